// End to end: `unix_sockets` and `dangerously_allow_all_unix_sockets` through the built executable
// (root and uid 65534): real bwrap, the real managed proxy, Unix socket servers this test runs in
// temp dirs, python3 clients inside. With every socket allowed, the command can reach its own
// proxy's socket directly, and the proxy still decides every request (N17).
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';

import { listenLoopback, namedOrigin } from './helpers/origins.js';
import { makeWorkspace, prepareExecutable, type PreparedExecutable } from './helpers/executable.js';

jest.setTimeout(120_000);

let exe: PreparedExecutable;
let allowedPort = 0;
let deniedPort = 0;
const closers: Array<() => void> = [];

beforeAll(async () => {
  exe = prepareExecutable();
  const allowed = namedOrigin('allowed');
  const denied = namedOrigin('denied');
  allowedPort = await listenLoopback(allowed);
  deniedPort = await listenLoopback(denied);
  closers.push(() => allowed.close(), () => denied.close());
});
afterAll(() => {
  closers.forEach((close) => close());
  exe.cleanup();
});

let ws: ReturnType<typeof makeWorkspace>;
beforeEach(() => {
  ws = makeWorkspace();
});
afterEach(() => ws.cleanup());

/** A directory the user of the run owns. */
function ownDir(name: string, unprivileged: boolean): string {
  const dir = path.join(ws.root, name);
  fs.mkdirSync(dir, { mode: 0o755 });
  if (unprivileged) fs.chownSync(dir, 65534, 65534);
  return dir;
}

async function unixServer(dir: string, name: string, unprivileged: boolean): Promise<{ socketPath: string; connections: () => number }> {
  const socketPath = path.join(dir, `${name}.sock`);
  let connections = 0;
  const server = net.createServer((s) => {
    connections += 1;
    s.end(`${name}\n`);
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  if (unprivileged) fs.chownSync(socketPath, 65534, 65534);
  closers.push(() => server.close());
  return { socketPath, connections: () => connections };
}

function profile(network: string): string {
  return `default_permissions = "dev"
[permissions.dev]
extends = ":workspace"
[permissions.dev.network]
enabled = true
${network}
[permissions.dev.network.domains]
"localhost" = "allow"
"localhost:${deniedPort}" = "deny"
`;
}

interface Result {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** The executable, asynchronously (this process's servers must keep answering meanwhile). */
function codex(args: string[], unprivileged: boolean, cache: string): Promise<Result> {
  const argv = unprivileged ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--', exe.path, ...args] : [exe.path, ...args];
  const [program, ...rest] = argv as [string, ...string[]];
  const child = spawn(program, rest, {
    cwd: ws.work,
    env: { PATH: '/usr/bin:/bin', HOME: ws.root, CODEX_HOME: ws.codexHome, XDG_CACHE_HOME: cache, TMPDIR: cache },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (status) => resolve({ status, stdout, stderr })));
}

const CLIENT = `
import errno, socket, sys
def t(label, f):
    try:
        print(label + ':' + str(f()), flush=True)
    except OSError as e:
        print(label + ':' + errno.errorcode.get(e.errno, str(e.errno)), flush=True)
def unix(p):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(p)
    return s.recv(100).decode().strip()
`;

function lines(text: string): string[] {
  return text.split('\n').filter((l) => l !== '');
}

describe.each([
  ['root', false],
  ['nobody', true],
] as const)('as %s', (_who, unprivileged) => {
  it('unix_sockets: the allowed socket answers, another does not; the dry run shows the allowlist', async () => {
    const dir = ownDir('sockets', unprivileged);
    const allowed = await unixServer(dir, 'allowed', unprivileged);
    const other = await unixServer(dir, 'other', unprivileged);
    fs.writeFileSync(path.join(ws.codexHome, 'config.toml'), profile(`unix_sockets = { ${JSON.stringify(allowed.socketPath)} = "allow" }`));
    const cache = ownDir('cache', unprivileged);
    const script = `${CLIENT}
t('allowed', lambda: unix(${JSON.stringify(allowed.socketPath)}))
t('other', lambda: unix(${JSON.stringify(other.socketPath)}))
t('dgram', lambda: socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).close())
`;
    const result = await codex(['sandbox', '--', 'python3', '-c', script], unprivileged, cache);
    expect(result.stderr).toBe('');
    expect(lines(result.stdout)).toEqual(['allowed:allowed', 'other:EACCES', 'dgram:EPERM']);
    expect(result.status).toBe(0);
    expect(other.connections()).toBe(0);

    const dry = await codex(['sandbox', '--dry-run', '--', 'true'], unprivileged, cache);
    expect(lines(dry.stdout).filter((l) => /^unix|^\s+allowed: \//.test(l))).toEqual([
      'unix       allowlist: every connect(2) is decided by the helper; other socket paths get EACCES, datagram AF_UNIX sockets EPERM',
      `           allowed: ${allowed.socketPath}`,
    ]);
    const json = JSON.parse((await codex(['sandbox', '--dry-run', '--json', '--', 'true'], unprivileged, cache)).stdout) as { unix_sockets: unknown };
    expect(json.unix_sockets).toEqual({ mode: 'allowlist', allowed: [allowed.socketPath], hidden: [] });
  });

  it('dangerously_allow_all_unix_sockets: any socket answers; the proxy socket reached directly still decides every request; the proxies\' directory is hidden', async () => {
    const dir = ownDir('sockets', unprivileged);
    const any = await unixServer(dir, 'any', unprivileged);
    fs.writeFileSync(path.join(ws.codexHome, 'config.toml'), profile('dangerously_allow_all_unix_sockets = true\n# One route, so route-0 is the HTTP proxy.\nenable_socks5 = false'));
    const cache = ownDir('cache', unprivileged);
    const proxyDir = path.join(cache, 'codex-sandbox', 'proxy');
    const script = `${CLIENT}
t('any', lambda: unix(${JSON.stringify(any.socketPath)}))
import http.client
class OverUnix(http.client.HTTPConnection):
    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(5)
        self.sock.connect('/dev/.codex-netns/route-0.sock')
def direct():
    c = OverUnix('localhost')
    out = []
    socks = set()
    for port in (${allowedPort}, ${deniedPort}, ${allowedPort}):
        c.request('GET', 'http://localhost:%d/x' % port)
        r = c.getresponse()
        r.read()
        socks.add(id(c.sock))
        error = r.getheader('x-proxy-error')
        out.append(str(r.status) + ('/' + error if error else ''))
    return ' '.join(out) + (' (one connection)' if len(socks) == 1 else ' (%d connections)' % len(socks))
t('direct', direct)
import os
t('proxy-dir', lambda: os.listdir(${JSON.stringify(proxyDir)}))
`;
    const result = await codex(['sandbox', '--', 'python3', '-c', script], unprivileged, cache);
    expect(lines(result.stdout)).toEqual(['any:any', 'direct:200 403/blocked-by-denylist 200 (one connection)', 'proxy-dir:EACCES']);
    expect(result.stderr).toContain('the network proxy blocked 1 request');
    expect(result.status).toBe(0);

    const json = JSON.parse((await codex(['sandbox', '--dry-run', '--json', '--', 'true'], unprivileged, cache)).stdout) as { unix_sockets: unknown };
    expect(json.unix_sockets).toEqual({ mode: 'all', allowed: [], hidden: [fs.realpathSync(proxyDir)] });
  });
});
