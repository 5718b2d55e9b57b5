// The native tunnel relay (codex-proxy-relay, tunnel-relay.ts) with real sockets and the
// Bazel-built binary: decided CONNECT and SOCKS5 tunnels carry large data byte-exact both ways,
// half-close and resets pass through, 200 tunnels at once work, a killed relay cuts its tunnels,
// refuses later ones and says so, and nothing is left running after close(), after the relay's
// owner is killed, or as uid 65534.
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { bundleEntry } from './support/bundle.js';
import { startProxyChild } from './support/proxy-child-process.js';
import { Fixture } from './support/fixture.js';
import { connectTunnel, echoThrough, mapResolver, readAll, readUntil, socksConnect, startEcho, viaUnix, type Via } from './support/net.js';

jest.setTimeout(120_000);

const fx = new Fixture();
afterEach(() => fx.closeAll());

const NOBODY = 65534;
const TABLE = { allow_local_binding: true, domains: { 'allowed.example': 'allow' } };
const resolve = () => mapResolver({ 'allowed.example': ['127.0.0.1'] });

function relayBinary(): string {
  const file = process.env['CODEX_PROXY_RELAY_TEST_BINARY'];
  if (file === undefined || file === '') throw new Error('CODEX_PROXY_RELAY_TEST_BINARY must be set (the Bazel test rule sets it)');
  return file;
}

/** Relay processes whose parent is `pid`. */
function relaysOf(pid: number): number[] {
  try {
    return execFileSync('pgrep', ['-P', String(pid), '-f', 'codex-proxy-relay'], { encoding: 'utf8' }).trim().split('\n').filter((l) => l !== '').map(Number);
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

async function until(what: string, ok: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !ok(); i++) await new Promise((r) => setTimeout(r, 20));
  if (!ok()) throw new Error(`timed out waiting for ${what}`);
}

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/**
 * A target that reads until the client's end, then answers `<bytes> <sha256>\n` followed by
 * `down`, and ends: the upload, the client's half-close and the download after it in one exchange.
 */
async function startDigest(down: Buffer): Promise<{ port: number; close(): Promise<void>; sockets: Set<Socket> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer({ allowHalfOpen: true }, (s) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
    s.on('error', () => s.destroy());
    const hash = createHash('sha256');
    let n = 0;
    s.on('data', (c: Buffer) => {
      n += c.length;
      hash.update(c);
    });
    s.once('end', () => {
      s.write(`${n} ${hash.digest('hex')}\n`);
      s.end(down);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as { port: number }).port,
    sockets,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

type Opener = (via: Via, port: number) => Promise<Socket>;
const OPENERS: Array<[string, (p: { httpEndpoint: { unixSocketPath: string | undefined }; socksEndpoint: { unixSocketPath: string | undefined } | undefined }) => Opener]> = [
  [
    'CONNECT',
    () => async (via, port) => {
      const t = await connectTunnel(via, `allowed.example:${port}`);
      expect(t.status).toBe(200);
      return t.socket;
    },
  ],
  [
    'SOCKS5',
    () => async (via, port) => {
      const t = await socksConnect(via, { domain: 'allowed.example' }, port);
      expect(t.code).toBe(0);
      return t.socket;
    },
  ],
];

async function relayProxy() {
  const p = await fx.proxy(TABLE, { resolve: resolve(), tunnelRelay: { file: relayBinary() } });
  return p;
}

describe.each(OPENERS)('%s tunnels through codex-proxy-relay', (name, opener) => {
  const via = (p: Awaited<ReturnType<typeof relayProxy>>): Via => viaUnix(name === 'CONNECT' ? p.httpEndpoint : p.socksEndpoint);

  test('carry 24 MiB up and 40 MiB down byte-exact, with the client\'s half-close in between', async () => {
    const down = randomBytes(40 << 20);
    const target = fx.add(await startDigest(down));
    const p = await relayProxy();
    const s = await opener(p)(via(p), target.port);
    expect(relaysOf(process.pid)).toHaveLength(1);
    const up = randomBytes(24 << 20);
    s.end(up);
    const got = await readAll(s);
    const nl = got.indexOf('\n');
    expect(got.subarray(0, nl).toString()).toBe(`${up.length} ${sha(up)}`);
    expect(sha(got.subarray(nl + 1))).toBe(sha(down));
    expect(got.length - nl - 1).toBe(down.length);
  });

  test('carry 16 MiB both ways at once (an echo) byte-exact', async () => {
    const e = fx.add(await startEcho());
    const p = await relayProxy();
    const s = await opener(p)(via(p), e.port);
    const data = randomBytes(16 << 20);
    s.write(data);
    const back = await readUntil(s, (b) => b.length >= data.length);
    expect(sha(back)).toBe(sha(data));
    s.destroy();
  });

  test('an abrupt close by the client closes the target side, and a reset by the target closes the client', async () => {
    const target = fx.add(await startDigest(randomBytes(8 << 20)));
    const p = await relayProxy();
    // The client's side is a Unix socket (as from the netns bridge): no RST, an abrupt close.
    const first = await opener(p)(via(p), target.port);
    expect(await echoThroughDigestReady(target)).toBe(1);
    first.destroy();
    await until('the target side to close after the client went away', () => target.sockets.size === 0);

    const second = await opener(p)(via(p), target.port);
    await until('the target to accept', () => target.sockets.size === 1);
    const closed = new Promise<void>((r) => second.once('close', () => r()));
    second.on('error', () => undefined);
    second.resume();
    for (const s of target.sockets) s.resetAndDestroy();
    await closed;
  });
});

async function echoThroughDigestReady(target: { sockets: Set<Socket> }): Promise<number> {
  await until('the target to accept', () => target.sockets.size > 0);
  return target.sockets.size;
}

test('200 concurrent tunnels through the relay, each its own bytes, no error', async () => {
  const e = fx.add(await startEcho());
  const p = await relayProxy();
  const N = 200;
  const tunnels = await Promise.all(Array.from({ length: N }, (_, i) => (i % 2 === 0 ? connectTunnel(viaUnix(p.httpEndpoint), `allowed.example:${e.port}`) : socksConnect(viaUnix(p.socksEndpoint), { domain: 'allowed.example' }, e.port).then((t) => ({ status: t.code === 0 ? 200 : t.code, socket: t.socket })))));
  expect(tunnels.map((t) => t.status)).toEqual(new Array(N).fill(200));
  const answers = await Promise.all(tunnels.map((t, i) => echoThrough(t.socket, `tunnel ${i} `.repeat(100))));
  expect(answers).toEqual(tunnels.map((_, i) => `tunnel ${i} `.repeat(100)));
  for (const t of tunnels) t.socket.destroy();
  expect(relaysOf(process.pid)).toHaveLength(1);
});

test('a killed relay cuts its tunnels, later tunnels are refused (502 / SOCKS failure), and relayFailure says why', async () => {
  const e = fx.add(await startEcho());
  const p = await relayProxy();
  const t = await connectTunnel(viaUnix(p.httpEndpoint), `allowed.example:${e.port}`);
  expect(await echoThrough(t.socket, 'before')).toBe('before');
  const [pid] = relaysOf(process.pid);
  if (pid === undefined) throw new Error('no relay running');
  const cut = new Promise<void>((r) => t.socket.once('close', () => r()));
  process.kill(pid, 'SIGKILL');
  await cut;
  await until('relayFailure', () => p.relayFailure !== undefined);
  expect(p.relayFailure).toMatch(/tunnel relay \(codex-proxy-relay\) was killed by SIGKILL; its tunnels were cut and later ones refused/);
  const again = await connectTunnel(viaUnix(p.httpEndpoint), `allowed.example:${e.port}`);
  expect(again.status).toBe(502);
  expect(again.head).toMatch(/killed by SIGKILL/);
  again.socket.destroy();
  const socks = await socksConnect(viaUnix(p.socksEndpoint), { domain: 'allowed.example' }, e.port);
  expect(socks.code).toBe(0x01);
  socks.socket.destroy();
  expect(relaysOf(process.pid)).toEqual([]);
});

test('a relay that cannot be found refuses tunnels (fail closed) and says why', async () => {
  const e = fx.add(await startEcho());
  const p = await fx.proxy(TABLE, { resolve: resolve(), tunnelRelay: { file: () => Promise.reject(new Error('codex-resources/codex-proxy-relay is missing')) } });
  const t = await connectTunnel(viaUnix(p.httpEndpoint), `allowed.example:${e.port}`);
  // The decision and the 200 come first; the tunnel is then closed without a byte through it.
  expect(t.status).toBe(200);
  await new Promise<void>((r) => (t.socket.closed ? r() : t.socket.once('close', () => r())));
  expect(p.relayFailure).toMatch(/tunnel relay cannot be used: codex-resources\/codex-proxy-relay is missing; tunnels are refused/);
  const again = await connectTunnel(viaUnix(p.httpEndpoint), `allowed.example:${e.port}`);
  expect(again.status).toBe(502);
  again.socket.destroy();
});

test('close() stops the relay and its tunnels; no relay is started before the first tunnel', async () => {
  const e = fx.add(await startEcho());
  const p = await relayProxy();
  expect(relaysOf(process.pid)).toEqual([]);
  const t = await connectTunnel(viaUnix(p.httpEndpoint), `allowed.example:${e.port}`);
  expect(await echoThrough(t.socket, 'x')).toBe('x');
  expect(relaysOf(process.pid)).toHaveLength(1);
  const cut = new Promise<void>((r) => t.socket.once('close', () => r()));
  await p.close();
  await cut;
  expect(relaysOf(process.pid)).toEqual([]);
});

describe.each([
  ['root', 0],
  ['nobody', NOBODY],
] as const)('a proxy process as %s', (_who, uid) => {
  test('relays a tunnel byte-exact with a relay of its own user, and its SIGKILL takes the relay with it', async () => {
    const dir = mkdtempSync('/tmp/proxy-relay-test-');
    chmodSync(dir, 0o1777);
    fx.add({ close: () => rmSync(dir, { recursive: true, force: true }) });
    const entry = bundleEntry(join(__dirname, 'support', 'proxy-child.ts'), dir, 'proxy-child');
    chmodSync(entry, 0o644);
    // Bazel's output tree is not traversable by other users: a 0755 copy of the relay.
    const relay = join(dir, 'codex-proxy-relay');
    copyFileSync(relayBinary(), relay);
    chmodSync(relay, 0o755);
    const e = fx.add(await startEcho());
    const options = JSON.stringify({ table: TABLE, socketParentDir: dir, tunnelRelay: relay, resolve: { 'allowed.example': ['127.0.0.1'] } });
    const argv = uid === 0 ? [process.execPath, entry, options] : ['setpriv', `--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', '--', process.execPath, entry, options];
    const child = await startProxyChild(argv);
    fx.add({ close: () => child.kill() });
    const { info } = child;
    const t = await connectTunnel({ socketPath: info.http.unixSocketPath }, `allowed.example:${e.port}`);
    expect(t.status).toBe(200);
    const data = randomBytes(8 << 20);
    t.socket.write(data);
    expect(sha(await readUntil(t.socket, (b) => b.length >= data.length))).toBe(sha(data));
    // The proxy is the setpriv'd process itself (setpriv execs node).
    const proxyPid = child.pid;
    const relays = relaysOf(proxyPid);
    expect(relays).toHaveLength(1);
    expect(execFileSync('ps', ['-o', 'uid=', '-p', String(relays[0])], { encoding: 'utf8' }).trim()).toBe(String(uid));
    const cut = new Promise<void>((r) => t.socket.once('close', () => r()));
    await child.kill();
    await cut;
    await until('the relay to die with its proxy', () => {
      try {
        process.kill(relays[0] ?? 0, 0);
        return false;
      } catch {
        return true;
      }
    });
  });
});
