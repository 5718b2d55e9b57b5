// The library API with the managed proxy, in process against real bwrap: one proxy per sandbox
// object, reused by every run and stopped by close(); blocked requests as structured events (per
// run and through onBlockedRequest); names resolved by an injected resolver on the proxy side
// (these machines have no DNS), including a name that resolves to 127.0.0.1 with local binding off.
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

import { createSandbox, type BlockedRequestEvent } from '../src/index.js';
import { makeWorkspace, prepareExecutable, type PreparedExecutable } from './helpers/executable.js';

jest.setTimeout(120_000);

let exe: PreparedExecutable;
let origin: http.Server;
let port = 0;
let ws: ReturnType<typeof makeWorkspace>;

beforeAll(async () => {
  exe = prepareExecutable();
  origin = http.createServer((req, res) => res.end(`origin:${req.headers.host ?? ''}${req.url ?? ''}\n`));
  await new Promise<void>((resolve) => origin.listen(0, '127.0.0.1', resolve));
  port = (origin.address() as net.AddressInfo).port;
});
afterAll(() => {
  origin.close();
  exe.cleanup();
});
beforeEach(() => {
  ws = makeWorkspace();
  fs.writeFileSync(
    path.join(ws.codexHome, 'config.toml'),
    `[permissions.web]
extends = ":workspace"
[permissions.web.network]
enabled = true
allow_local_binding = true
[permissions.web.network.domains]
"**.allowed.test" = "allow"
"blocked.allowed.test" = "deny"

[permissions.strict]
extends = ":workspace"
[permissions.strict.network]
enabled = true
[permissions.strict.network.domains]
"allowed.test" = "allow"
`,
    { mode: 0o644 },
  );
});
afterEach(() => ws.cleanup());

/** `*.test` names are this machine's loopback; nothing else resolves. */
async function resolveHost(host: string): Promise<readonly string[]> {
  if (host.endsWith('.test')) return ['127.0.0.1'];
  throw Object.assign(new Error(`no such host ${host}`), { code: 'ENOTFOUND' });
}

/** Where the proxy's socket directories go: the front end's state directory (HOME is ws.root). */
function stateProxyDir(): string {
  return path.join(ws.root, '.cache', 'codex-sandbox', 'proxy');
}

function proxyDirs(): string[] {
  const prefix = `codex-proxy-${process.pid}-`;
  return [...new Set([os.tmpdir(), '/tmp', stateProxyDir()])]
    .filter((dir) => fs.existsSync(dir))
    .flatMap((dir) => fs.readdirSync(dir).filter((n) => n.startsWith(prefix)).map((n) => path.join(dir, n)));
}

function open(permissionProfile: string, events: BlockedRequestEvent[]) {
  return createSandbox({
    permissionProfile,
    cwd: ws.work,
    codexHome: ws.codexHome,
    env: { PATH: '/usr/bin:/bin', HOME: ws.root },
    frontEndPath: exe.path,
    resolveHost,
    onBlockedRequest: (event) => events.push(event),
  });
}

test('one proxy per sandbox object, reused across runs, gone after close(); events per run and as they happen', async () => {
  const events: BlockedRequestEvent[] = [];
  const before = proxyDirs();
  const sandbox = open('web', events);
  try {
    const curl = (url: string, extra: string[] = []) => sandbox.run(['curl', '-sS', ...extra, url], { stdio: 'pipe' });
    const first = await curl(`http://api.allowed.test:${port}/one`);
    expect(first.stdout?.toString()).toBe(`origin:api.allowed.test:${port}/one\n`);
    expect(first.blockedRequests).toEqual([]);
    const dirs = proxyDirs().filter((d) => !before.includes(d));
    expect(dirs).toHaveLength(1);

    const denied = await curl(`http://blocked.allowed.test:${port}/two`, ['-o', '/dev/null', '-w', '%{http_code}']);
    expect(denied.stdout?.toString()).toBe('403');
    expect(denied.blockedRequests?.map((e) => [e.protocol, e.host, e.port, e.reason, e.pattern])).toEqual([
      ['http', 'blocked.allowed.test', port, 'denylist', 'blocked.allowed.test'],
    ]);

    const socks = await sandbox.run(['sh', '-c', `curl -sS -x "$ALL_PROXY" http://allowed.test:${port}/three; curl -sS -x "$ALL_PROXY" http://other.test:${port}/ 2>/dev/null || echo refused:$?`], { stdio: 'pipe' });
    expect(socks.stdout?.toString()).toBe(`origin:allowed.test:${port}/three\nrefused:97\n`);
    expect(socks.blockedRequests?.map((e) => [e.protocol, e.host, e.reason])).toEqual([['socks5', 'other.test', 'allowlist']]);

    // Same proxy for every run of this object.
    expect(proxyDirs().filter((d) => !before.includes(d))).toEqual(dirs);
    expect(events.map((e) => [e.host, e.reason])).toEqual([
      ['blocked.allowed.test', 'denylist'],
      ['other.test', 'allowlist'],
    ]);
  } finally {
    await sandbox.close();
  }
  expect(proxyDirs().filter((d) => !before.includes(d))).toEqual([]);
  await expect(sandbox.run(['true'])).rejects.toThrow(/this sandbox was closed/);
});

test("the proxy's sockets live in the state directory, which a concurrent :workspace command cannot write even when it contains it", async () => {
  const sandbox = open('web', []);
  const other = createSandbox({
    permissionProfile: ':workspace',
    // cwd = HOME: the state directory (~/.cache/codex-sandbox) lies inside the writable root.
    cwd: ws.root,
    codexHome: ws.codexHome,
    env: { PATH: '/usr/bin:/bin', HOME: ws.root },
    frontEndPath: exe.path,
  });
  try {
    expect((await sandbox.run(['true'])).exitCode).toBe(0);
    const [dir] = proxyDirs();
    expect(dir).toBeDefined();
    expect(path.dirname(dir as string)).toBe(fs.realpathSync(stateProxyDir()));
    const attack = await other.run(
      ['sh', '-c', `mv '${dir}/http.sock' '${dir}/moved' 2>/dev/null && echo moved; touch '${dir}/planted' 2>/dev/null && echo planted; rm -rf '${dir}' 2>/dev/null; echo done`],
      { stdio: 'pipe' },
    );
    expect(attack.stdout?.toString()).toBe('done\n');
    expect(fs.readdirSync(dir as string).sort()).toEqual(['http.sock', 'socks.sock']);
    // The proxy still serves the first sandbox.
    const again = await sandbox.run(['curl', '-sS', `http://api.allowed.test:${port}/after`], { stdio: 'pipe' });
    expect(again.stdout?.toString()).toBe(`origin:api.allowed.test:${port}/after\n`);
  } finally {
    other.dispose();
    await sandbox.close();
  }
});

test('local binding off: a name that resolves to 127.0.0.1 is blocked by its address', async () => {
  const events: BlockedRequestEvent[] = [];
  const sandbox = open('strict', events);
  try {
    const result = await sandbox.run(['curl', '-sS', '-o', '/dev/null', '-w', '%{http_code}', `http://allowed.test:${port}/`], { stdio: 'pipe' });
    expect(result.stdout?.toString()).toBe('403');
    expect(result.blockedRequests?.map((e) => [e.host, e.reason, e.address])).toEqual([['allowed.test', 'local-address', '127.0.0.1']]);
  } finally {
    await sandbox.close();
  }
});

test('plan() of a managed profile is proxy-only and starts no proxy', async () => {
  const before = proxyDirs();
  const sandbox = open('web', []);
  try {
    const plan = await sandbox.plan(['true']);
    expect(plan.argv).toContain('--unshare-net');
    expect(plan.argv.slice(-5)).toEqual(['/dev/.codex-netns/helper', '--spec-fd', '6', '--', 'true']);
    expect(plan.envAdditions['HTTPS_PROXY']).toBe('http://127.0.0.1:3128');
    expect(plan.envAdditions['NO_PROXY']).toBe('localhost,127.0.0.1,::1,10.0.0.0/8,172.16.0.0/12,192.168.0.0/16');
    expect(proxyDirs()).toEqual(before);
  } finally {
    await sandbox.close();
  }
});
