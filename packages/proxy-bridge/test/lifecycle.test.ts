// The managed proxy's lifecycle with real sockets: what close() leaves (nothing), who can reach a
// run's proxy (only its owner, or whoever holds the per-run credential), what a killed owner
// leaves for the next start to sweep, and 200 concurrent connections.
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { ProxyStartError } from '../src/errors.js';
import { compileNetworkPolicy } from '../src/policy.js';
import { startManagedProxy, sweepStaleSocketDirs } from '../src/server.js';
import { bundleEntry } from './support/bundle.js';
import { startProxyChild } from './support/proxy-child-process.js';
import { Fixture } from './support/fixture.js';
import {
  basic,
  connectTunnel,
  echoThrough,
  mapResolver,
  proxyGet,
  socketHandles,
  socksConnect,
  startEcho,
  startOrigin,
  viaTcp,
  viaUnix,
} from './support/net.js';

const fx = new Fixture();
afterEach(() => fx.closeAll());

const NOBODY = 65534;
const resolve = () => mapResolver({ 'allowed.example': ['127.0.0.1'] });
const TABLE = { allow_local_binding: true, domains: { 'allowed.example': 'allow' } };

/** A 0755 directory under /tmp: traversable by other users, unlike a private TMPDIR. */
function publicDir(): string {
  const dir = mkdtempSync('/tmp/proxy-bridge-test-');
  chmodSync(dir, 0o755);
  return dir;
}

/**
 * The socket and listener handles once the test's own closing sockets (clients, the servers' side
 * of destroyed connections) have finished closing; bounded, so a leak fails instead of hanging.
 */
async function settledHandles(want: Record<string, number>): Promise<Record<string, number>> {
  let now = socketHandles();
  for (let i = 0; i < 100 && JSON.stringify(now) !== JSON.stringify(want); i++) {
    await new Promise((r) => setTimeout(r, 20));
    now = socketHandles();
  }
  return now;
}

function closed(s: Socket): Promise<void> {
  return new Promise((r) => (s.closed ? r() : s.once('close', () => r())));
}

function tryConnect(where: { path: string } | { port: number }): Promise<string> {
  return new Promise((r) => {
    const s = 'path' in where ? connect({ path: where.path }) : connect({ host: '127.0.0.1', port: where.port });
    s.once('connect', () => {
      s.destroy();
      r('connected');
    });
    s.once('error', (err: NodeJS.ErrnoException) => r(err.code ?? 'error'));
  });
}

function runAs(uid: number, argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((r) => {
    execFile('setpriv', [`--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', '--', ...argv], { timeout: 30_000, env: { PATH: '/usr/bin:/bin' } }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1;
      r({ code, stdout, stderr });
    });
  });
}

describe('close()', () => {
  test('destroys open tunnels, kept-alive and in-flight connections, removes the sockets and the directory, and leaves no handle', async () => {
    const o = fx.add(await startOrigin());
    const e = fx.add(await startEcho());
    // An origin that accepts and never answers: a request through the proxy stays in flight.
    const hanging = fx.add(await startEcho('127.0.0.1', { silent: true }));
    const before = socketHandles();
    const proxy = await startManagedProxy(compileNetworkPolicy(TABLE), { resolve: resolve(), transport: 'both' });
    // The count sees the proxy's four listeners (so the final comparison can fail).
    expect(socketHandles()).toEqual({ ...before, 'tcp-server': (before['tcp-server'] ?? 0) + 2, 'unix-server': (before['unix-server'] ?? 0) + 2 });
    const dir = proxy.socketDir ?? '';
    const files = [proxy.httpEndpoint.unixSocketPath ?? '', proxy.socksEndpoint?.unixSocketPath ?? ''];
    const ports = [proxy.httpEndpoint.tcp?.port ?? 0, proxy.socksEndpoint?.tcp?.port ?? 0];
    expect(files.every((f) => lstatSync(f).isSocket())).toBe(true);

    const tunnel = await connectTunnel(viaUnix(proxy.httpEndpoint), `allowed.example:${e.port}`);
    expect(await echoThrough(tunnel.socket, 'open')).toBe('open');
    const socks = await socksConnect(viaUnix(proxy.socksEndpoint), { domain: 'allowed.example' }, e.port);
    expect(await echoThrough(socks.socket, 'open')).toBe('open');
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    expect((await proxyGet(viaUnix(proxy.httpEndpoint), `http://allowed.example:${o.port}/`, { agent })).status).toBe(200);
    const keptAlive = Object.values(agent.freeSockets).flat()[0] as Socket | undefined;
    expect(keptAlive).toBeDefined();
    const inFlight = proxyGet(viaUnix(proxy.httpEndpoint), `http://allowed.example:${hanging.port}/`).then(
      () => 'answered',
      (err: Error) => err.message,
    );
    while (hanging.connections === 0) await new Promise((r) => setTimeout(r, 10));

    await proxy.close();
    await proxy.close(); // idempotent

    await Promise.all([closed(tunnel.socket), closed(socks.socket), closed(keptAlive as Socket)]);
    expect(await inFlight).toBe('socket hang up');
    agent.destroy();
    expect(existsSync(dir)).toBe(false);
    for (const f of files) expect(existsSync(f)).toBe(false);
    for (const port of ports) expect(await tryConnect({ port })).toBe('ECONNREFUSED');
    expect(await tryConnect({ path: files[0] ?? '' })).toBe('ENOENT');
    expect(await settledHandles(before)).toEqual(before);
  });

  test('a start that fails (port in use) closes what it had opened and says why', async () => {
    const busy = await startManagedProxy(compileNetworkPolicy(TABLE), { transport: 'tcp' });
    fx.add(busy);
    const parent = fx.tempDir();
    const before = socketHandles();
    let err: unknown;
    try {
      await startManagedProxy(compileNetworkPolicy(TABLE), { transport: 'both', socketParentDir: parent, tcpPorts: { http: busy.httpEndpoint.tcp?.port } });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ProxyStartError);
    expect((err as Error).message).toContain('EADDRINUSE');
    expect(readdirSync(parent)).toEqual([]);
    expect(await settledHandles(before)).toEqual(before);
  });
});

describe('who can reach a run proxy', () => {
  test('close() removes the socket directory also when something else was put in it (and when a socket is gone already)', async () => {
    const parent = publicDir();
    const p = await fx.proxy(TABLE, { socketParentDir: parent });
    const dir = p.socketDir ?? '';
    mkdirSync(join(dir, 'extra'));
    writeFileSync(join(dir, 'extra', 'file'), 'x');
    rmSync(p.socksEndpoint?.unixSocketPath ?? '');
    await p.close();
    expect(existsSync(dir)).toBe(false);
    expect(readdirSync(parent)).toEqual([]);
    rmSync(parent, { recursive: true, force: true });
  });

  test('the socket directory is private (0700, ours) and the sockets 0600', async () => {
    const p = await fx.proxy(TABLE, { socketParentDir: publicDir() });
    const dir = statSync(p.socketDir ?? '');
    expect([dir.mode & 0o777, dir.uid]).toEqual([0o700, process.geteuid?.()]);
    for (const f of [p.httpEndpoint.unixSocketPath, p.socksEndpoint?.unixSocketPath]) expect(statSync(f ?? '').mode & 0o777).toBe(0o600);
    rmSync(join(p.socketDir ?? '', '..'), { recursive: true, force: true });
  });

  test('another user cannot use the Unix sockets (control: with the directory opened up, it can)', async () => {
    expect(process.geteuid?.()).toBe(0); // switching users needs root, as the whole e2e suite does
    const o = fx.add(await startOrigin());
    const parent = publicDir();
    fx.add({ close: () => rmSync(parent, { recursive: true, force: true }) });
    const p = await fx.proxy({ domains: { [`127.0.0.1:${o.port}`]: 'allow' } }, { socketParentDir: parent });
    const socksPath = p.socksEndpoint?.unixSocketPath ?? '';
    const curlArgs = ['curl', '--silent', '--show-error', '--max-time', '10', '--proxy', `socks5h://localhost${socksPath}`, `http://127.0.0.1:${o.port}/as-nobody`];
    const denied = await runAs(NOBODY, curlArgs);
    expect(denied.code).not.toBe(0);
    expect(o.requests).toEqual([]);
    // The same client, proxy and socket succeed once the directory and socket let others in: the
    // private directory is what kept uid 65534 out.
    chmodSync(p.socketDir ?? '', 0o755);
    chmodSync(socksPath, 0o666);
    const allowed = await runAs(NOBODY, curlArgs);
    expect([allowed.code, allowed.stderr]).toEqual([0, '']);
    expect(JSON.parse(allowed.stdout)).toMatchObject({ url: '/as-nobody' });
  });

  test('another user reaching the TCP listener is refused without the credential (407, SOCKS5 no method)', async () => {
    expect(process.geteuid?.()).toBe(0);
    const o = fx.add(await startOrigin());
    const p = await fx.proxy({ domains: { [`127.0.0.1:${o.port}`]: 'allow' } }, { transport: 'tcp' });
    const http = await runAs(NOBODY, ['curl', '--silent', '--max-time', '10', '-o', '/dev/null', '-w', '%{http_code}', '--proxy', `http://127.0.0.1:${p.httpEndpoint.tcp?.port}`, `http://127.0.0.1:${o.port}/`]);
    expect(http.stdout).toBe('407');
    const socks = await runAs(NOBODY, ['curl', '--silent', '--max-time', '10', '--socks5-hostname', `127.0.0.1:${p.socksEndpoint?.tcp?.port}`, `http://127.0.0.1:${o.port}/`]);
    expect(socks.code).not.toBe(0);
    expect(o.requests).toEqual([]);
    // With the credential the same user gets through: the credential is what is checked.
    const withCred = await runAs(NOBODY, ['curl', '--silent', '--max-time', '10', '--proxy', p.httpEndpoint.url ?? '', `http://127.0.0.1:${o.port}/with-cred`]);
    expect(withCred.code).toBe(0);
    expect(p.events.authFailures).toBeGreaterThanOrEqual(2);
  });

  test('a socket directory parent too long for a Unix socket path is refused', async () => {
    const long = join(fx.tempDir(), 'x'.repeat(80));
    mkdirSync(long);
    await expect(startManagedProxy(compileNetworkPolicy(TABLE), { socketParentDir: long })).rejects.toThrow(/too long for a Unix socket path/);
  });
});

describe('a killed owner', () => {
  test('SIGKILL leaves the socket directory behind; the next start removes it, a live owner keeps its own', async () => {
    const parent = fx.tempDir();
    const entry = bundleEntry(join(__dirname, 'support', 'proxy-child.ts'), parent, 'proxy-child');
    const startChild = async (): Promise<{ pid: number; socketDir: string; kill: () => Promise<void> }> => {
      const child = await startProxyChild([process.execPath, entry, JSON.stringify({ table: TABLE, socketParentDir: parent })]);
      return { pid: child.pid, socketDir: child.info.socketDir, kill: () => child.kill() };
    };
    const dead = await startChild();
    const live = await startChild();
    fx.add({ close: live.kill });
    await dead.kill();
    expect(existsSync(dead.socketDir)).toBe(true); // a SIGKILL runs no cleanup
    sweepStaleSocketDirs(parent);
    expect(existsSync(dead.socketDir)).toBe(false);
    expect(existsSync(live.socketDir)).toBe(true);
    // The sweep also runs on every start.
    const again = await startChild();
    await again.kill();
    const p = await fx.proxy(TABLE, { socketParentDir: parent });
    expect(existsSync(again.socketDir)).toBe(false);
    expect(existsSync(live.socketDir)).toBe(true);
    expect(existsSync(p.socketDir ?? '')).toBe(true);
  });
});

/** The whole answer to one request for a host the table does not allow, sent over the HTTP proxy's Unix socket. */
function blockedRequestAnswer(socketPath: string): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const s = connect({ path: socketPath });
    let got = '';
    s.on('data', (c: Buffer) => (got += c.toString()));
    s.on('end', () => resolve(got));
    s.on('error', reject);
    s.write('GET http://blocked.example/ HTTP/1.1\r\nHost: blocked.example\r\nConnection: close\r\n\r\n');
  });
}

describe('start-up', () => {
  test('Unix-socket listeners start without loading the cluster module, and answer', async () => {
    const parent = fx.tempDir();
    const entry = bundleEntry(join(__dirname, 'support', 'proxy-child.ts'), parent, 'proxy-child');
    const child = await startProxyChild([process.execPath, entry, JSON.stringify({ table: TABLE, socketParentDir: parent, transport: 'unix' })]);
    fx.add({ close: () => child.kill() });
    const { info } = child;
    expect(info.cluster).toEqual([]);
    const answer = await blockedRequestAnswer(info.http.unixSocketPath);
    expect(answer).toMatch(/^HTTP\/1\.1 403 /);
    expect(answer).toMatch(/x-proxy-error: blocked-by-allowlist/i);
  });
});

describe('start-up without the private pipe binding', () => {
  test('with --pending-deprecation the listeners take net.Server\'s own path (no warning to print), and answer', async () => {
    const parent = fx.tempDir();
    const entry = bundleEntry(join(__dirname, 'support', 'proxy-child.ts'), parent, 'proxy-child');
    const child = await startProxyChild([process.execPath, '--pending-deprecation', '--throw-deprecation', entry, JSON.stringify({ table: TABLE, socketParentDir: parent, transport: 'unix' })]);
    fx.add({ close: () => child.kill() });
    expect(child.info.cluster).toEqual([]);
    const answer = await blockedRequestAnswer(child.info.http.unixSocketPath);
    expect(answer).toMatch(/^HTTP\/1\.1 403 /);
  });
});

describe('load', () => {
  test('200 concurrent CONNECT tunnels, 200 concurrent SOCKS5 tunnels and 200 concurrent requests, with no error', async () => {
    const o = fx.add(await startOrigin());
    const e = fx.add(await startEcho());
    const p = await fx.proxy(TABLE, { resolve: resolve(), transport: 'both' });
    const cred = p.credential;
    if (cred === undefined) throw new Error('no credential');
    const N = 200;
    const tunnels = await Promise.all(Array.from({ length: N }, () => connectTunnel(viaUnix(p.httpEndpoint), `allowed.example:${e.port}`)));
    const socks = await Promise.all(
      Array.from({ length: N }, () => socksConnect(viaTcp(p.socksEndpoint), { domain: 'allowed.example' }, e.port, { auth: { user: cred.username, pass: cred.password } })),
    );
    try {
      expect(tunnels.map((t) => t.status)).toEqual(new Array(N).fill(200));
      expect(socks.map((s) => s.code)).toEqual(new Array(N).fill(0));
      // All 400 tunnels are open at once; each carries its own bytes.
      const echoed = await Promise.all([...tunnels.map((t) => t.socket), ...socks.map((s) => s.socket)].map((s, i) => echoThrough(s, `message ${i} `.repeat(50))));
      expect(echoed).toEqual(Array.from({ length: 2 * N }, (_, i) => `message ${i} `.repeat(50)));
      expect(e.connections).toBe(2 * N);
      const responses = await Promise.all(
        Array.from({ length: N }, (_, i) =>
          proxyGet(viaTcp(p.httpEndpoint), `http://allowed.example:${o.port}/r${i}`, { headers: { 'proxy-authorization': basic(cred.username, cred.password) } }),
        ),
      );
      expect(responses.map((r) => r.status)).toEqual(new Array(N).fill(200));
      expect(responses.map((r) => (JSON.parse(r.body) as { url: string }).url)).toEqual(Array.from({ length: N }, (_, i) => `/r${i}`));
    } finally {
      for (const t of tunnels) t.socket.destroy();
      for (const s of socks) s.socket.destroy();
    }
    expect(p.events.blocked).toEqual([]);
  });
});
