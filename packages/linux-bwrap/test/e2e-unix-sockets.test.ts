// End to end: Unix sockets in proxy-only runs (N15-N17). Real bubblewrap (system bwrap and
// codex-bwrap, as root and as uid 65534), codex-netns-helper's connect supervisor, real Unix
// socket servers in temp dirs (each records who connected), and python3 clients inside.

import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';

import { COMMAND_PATH, createFixture, killLeftoverDrivers, makeWorkspace, readOnlyPolicy, runDriver, VARIANT_NAMES, variantNamed, workspacePolicy, type Fixture, type Variant } from './support/e2e.js';
import type { UnixSocketRequest } from '../src/unix-socket-plan.js';

jest.setTimeout(90_000);

let fixture: Fixture;
const servers: net.Server[] = [];

beforeAll(() => {
  fixture = createFixture();
});
afterEach(() => killLeftoverDrivers());
afterAll(() => {
  for (const s of servers) s.close();
  fixture.dispose();
});

let counter = 0;

/** A directory owned by the variant's user. */
function ownDir(variant: Variant, name: string): string {
  counter += 1;
  const dir = path.join(variant.home, `${name}-${counter}`);
  fs.mkdirSync(dir, { mode: 0o755 });
  fs.chownSync(dir, variant.uid, variant.uid);
  return dir;
}

/** A stream server on a Unix socket: greets each client with its name and counts connections. */
async function unixServer(variant: Variant, dir: string, name: string): Promise<{ socketPath: string; connections: () => number }> {
  const socketPath = path.join(dir, `${name}.sock`);
  let connections = 0;
  const server = net.createServer((s) => {
    connections += 1;
    s.end(`${name}\n`);
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  fs.chownSync(socketPath, variant.uid, variant.uid);
  servers.push(server);
  return { socketPath, connections: () => connections };
}

/** The stand-in for the managed proxy the route points at (an HTTP server on a Unix socket). */
async function proxySocket(variant: Variant): Promise<{ socketPath: string; requests: string[] }> {
  const dir = ownDir(variant, 'proxy');
  const socketPath = path.join(dir, 'http.sock');
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    res.end(`proxy:${req.method} ${req.url}\n`);
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  fs.chownSync(socketPath, variant.uid, variant.uid);
  servers.push(server);
  return { socketPath, requests };
}

function spec(variant: Variant, script: string, routeSocket: string, unixSockets: UnixSocketRequest | undefined, ws = makeWorkspace(variant)) {
  return {
    policy: workspacePolicy(ws, { network: 'enabled' }),
    command: ['python3', '-c', PRELUDE + script],
    commandCwd: ws,
    network: 'proxy-only' as const,
    env: { PATH: COMMAND_PATH },
    proxyRoutes: [{ listenPort: 3128, socketPath: routeSocket }],
    ...(unixSockets === undefined ? {} : { unixSockets }),
    netnsHelperPath: fixture.netnsHelper,
  };
}

const PRELUDE = `
import errno, os, socket, sys, threading, time
def t(label, f):
    try:
        r = f()
        print(label + ':' + ('ok' if r is None else str(r)), flush=True)
    except OSError as e:
        print(label + ':' + errno.errorcode.get(e.errno, str(e.errno)), flush=True)
def unix(p, kind=socket.SOCK_STREAM):
    s = socket.socket(socket.AF_UNIX, kind)
    s.settimeout(5)
    s.connect(p)
    data = s.recv(100).decode().strip()
    s.close()
    return data
`;

function lines(stdout: string): string[] {
  return stdout.split('\n').filter((l) => l !== '');
}

describe.each(VARIANT_NAMES)('%s', (variantName) => {
  let variant: Variant;
  beforeAll(() => {
    variant = variantNamed(fixture, variantName);
  });

  it('an allowlist: the allowed socket answers, any other path, a symlink to one and the route socket are refused', async () => {
    const proxy = await proxySocket(variant);
    const dir = ownDir(variant, 'sockets');
    const allowed = await unixServer(variant, dir, 'allowed');
    const other = await unixServer(variant, dir, 'other');
    const ws = makeWorkspace(variant);
    const script = `
t('allowed', lambda: unix(${JSON.stringify(allowed.socketPath)}))
t('other', lambda: unix(${JSON.stringify(other.socketPath)}))
os.symlink(${JSON.stringify(other.socketPath)}, 'to-other.sock')
t('symlink-to-other', lambda: unix(os.path.abspath('to-other.sock')))
os.symlink(${JSON.stringify(allowed.socketPath)}, 'to-allowed.sock')
t('symlink-to-allowed', lambda: unix(os.path.abspath('to-allowed.sock')))
t('relative', lambda: unix('to-allowed.sock'))
t('route-socket', lambda: unix('/dev/.codex-netns/route-0.sock'))
t('bound-copy', lambda: unix('/dev/.codex-netns/unix-0.sock'))
t('dgram', lambda: socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).close())
t('seqpacket', lambda: socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET).close())
def abstract():
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind('\\0codex-test-abstract')
    srv.listen(1)
    c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    c.connect('\\0codex-test-abstract')
    a, _ = srv.accept()
    a.sendall(b'inside')
    return c.recv(10).decode()
t('abstract', abstract)
def http_via_bridge():
    s = socket.create_connection(('127.0.0.1', 3128), timeout=5)
    s.sendall(b'GET http://a.test/ HTTP/1.0\\r\\n\\r\\n')
    return s.recv(1000).decode().split('\\r\\n')[0]
t('tcp-bridge', http_via_bridge)
def nonblocking():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.setblocking(False)
    s.connect(${JSON.stringify(allowed.socketPath)})
    s.setblocking(True)
    s.settimeout(5)
    return s.recv(100).decode().strip()
t('nonblocking', nonblocking)
`;
    const result = await runDriver(fixture, variant, spec(variant, script, proxy.socketPath, { allowAll: false, allow: [allowed.socketPath] }, ws));
    expect(result.stderr).toBe('');
    expect(lines(result.stdout)).toEqual([
      'allowed:allowed',
      'other:EACCES',
      'symlink-to-other:EACCES',
      'symlink-to-allowed:EACCES',
      'relative:EACCES',
      'route-socket:EACCES',
      'bound-copy:EACCES',
      'dgram:EPERM',
      'seqpacket:ok',
      'abstract:inside',
      'tcp-bridge:HTTP/1.1 200 OK',
      'nonblocking:allowed',
    ]);
    expect(result.code).toBe(0);
    expect(other.connections()).toBe(0);
    expect(allowed.connections()).toBe(2);
  });

  it('an address another thread swaps after the check cannot redirect the connect', async () => {
    const proxy = await proxySocket(variant);
    const dir = ownDir(variant, 'race');
    const allowed = await unixServer(variant, dir, 'allowed');
    const other = await unixServer(variant, dir, 'refused');
    // Same length, so the swap is one memmove of the path bytes while connect(2) is in flight.
    const a = allowed.socketPath;
    const b = other.socketPath;
    expect(b.length).toBe(a.length);
    const script = `
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
A = ${JSON.stringify(a)}.encode(); B = ${JSON.stringify(b)}.encode()
buf = ctypes.create_string_buffer(2 + 108)
buf[0:2] = socket.AF_UNIX.to_bytes(2, 'little')
buf[2:2 + len(A)] = A
stop = False
def flip():
    while not stop:
        ctypes.memmove(ctypes.addressof(buf) + 2, B, len(B))
        ctypes.memmove(ctypes.addressof(buf) + 2, A, len(A))
th = threading.Thread(target=flip); th.start()
ok = 0; refused = 0; names = set()
# Until both outcomes were seen (a loaded machine can run many attempts on one side of the flip),
# at least 300 attempts, and bounded in count and time.
deadline = time.monotonic() + 20
i = 0
while i < 300 or ((ok == 0 or refused == 0) and i < 20000 and time.monotonic() < deadline):
    i += 1
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    rc = libc.connect(s.fileno(), buf, 2 + len(A) + 1)
    if rc == 0:
        ok += 1
        s.settimeout(5)
        names.add(s.recv(100).decode().strip())
    else:
        refused += 1
    s.close()
stop = True; th.join()
print('ok' if ok > 0 else 'none-ok', 'refused' if refused > 0 else 'none-refused', sorted(names))
`;
    const result = await runDriver(fixture, variant, spec(variant, script, proxy.socketPath, { allowAll: false, allow: [a] }));
    expect(result.stderr).toBe('');
    // Both outcomes happen (the flip is real), and every connection that got through reached the allowed server.
    expect(lines(result.stdout)).toEqual(["ok refused ['allowed']"]);
    expect(other.connections()).toBe(0);
  });

  it('the helper is not dumpable: the command cannot open its memory or descriptors', async () => {
    const proxy = await proxySocket(variant);
    const script = `
t('mem', lambda: open('/proc/%d/mem' % os.getppid(), 'rb').close())
t('fd-link', lambda: os.readlink('/proc/%d/fd/0' % os.getppid()) and None)
t('fd-open', lambda: os.close(os.open('/proc/%d/fd/0' % os.getppid(), os.O_RDONLY)))
`;
    const result = await runDriver(fixture, variant, spec(variant, script, proxy.socketPath, { allowAll: false, allow: [] }));
    expect(lines(result.stdout)).toEqual(['mem:EACCES', 'fd-link:EACCES', 'fd-open:EACCES']);
  });

  it('a supervisor that dies lets no connect through: the command is killed, and a connect meanwhile fails', async () => {
    const proxy = await proxySocket(variant);
    const dir = ownDir(variant, 'dies');
    const allowed = await unixServer(variant, dir, 'allowed');
    const script = `
t('before', lambda: unix(${JSON.stringify(allowed.socketPath)}))
os.kill(os.getppid(), 9)
for i in range(200):
    t('after', lambda: unix(${JSON.stringify(allowed.socketPath)}))
`;
    const result = await runDriver(fixture, variant, spec(variant, script, proxy.socketPath, { allowAll: false, allow: [allowed.socketPath] }));
    const out = lines(result.stdout);
    expect(out[0]).toBe('before:allowed');
    // Until the kernel delivers the death signal, a connect finds no listener: ENOSYS.
    expect(out.slice(1).filter((l) => l !== 'after:ENOSYS')).toEqual([]);
    expect(result.code).toBe(137);
    expect(allowed.connections()).toBe(1);
  });

  it('an allowed socket that does not exist, or is not a socket, refuses the run before it starts', async () => {
    const proxy = await proxySocket(variant);
    const dir = ownDir(variant, 'missing');
    const missing = path.join(dir, 'nobody-here.sock');
    const result = await runDriver(fixture, variant, spec(variant, "print('ran')", proxy.socketPath, { allowAll: false, allow: [missing] }));
    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr: `ERROR: SandboxRequestError: Unix socket ${missing} cannot be allowed: it does not exist (the socket must exist when the run starts: it is bound into the sandbox then)\n`,
    });
    const file = path.join(dir, 'plain');
    fs.writeFileSync(file, '');
    const notSocket = await runDriver(fixture, variant, spec(variant, "print('ran')", proxy.socketPath, { allowAll: false, allow: [file] }));
    expect(notSocket.stderr).toContain(`Unix socket ${file} cannot be allowed: it is not a socket`);
    expect(notSocket.code).toBe(1);
  });

  it('allow-all: any visible socket and the route socket answer, the hidden directory is gone; datagrams work', async () => {
    const proxy = await proxySocket(variant);
    const dir = ownDir(variant, 'all');
    const any = await unixServer(variant, dir, 'any');
    const hidden = ownDir(variant, 'hidden');
    const inHidden = await unixServer(variant, hidden, 'secret');
    const script = `
t('any', lambda: unix(${JSON.stringify(any.socketPath)}))
def route():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect('/dev/.codex-netns/route-0.sock')
    s.sendall(b'GET http://direct.test/ HTTP/1.0\\r\\n\\r\\n')
    return s.recv(1000).decode().split('\\r\\n')[0]
t('route-socket', route)
t('hidden', lambda: unix(${JSON.stringify(inHidden.socketPath)}))
t('dgram', lambda: socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).close())
`;
    const result = await runDriver(fixture, variant, spec(variant, script, proxy.socketPath, { allowAll: true, hiddenDirectories: [hidden] }));
    expect(result.stderr).toBe('');
    expect(lines(result.stdout)).toEqual(['any:any', 'route-socket:HTTP/1.1 200 OK', 'hidden:EACCES', 'dgram:ok']);
    expect(proxy.requests).toEqual(['GET http://direct.test/']);
    expect(inHidden.connections()).toBe(0);
  });

  it('without a Unix-socket request the command still gets no AF_UNIX socket (N13)', async () => {
    const proxy = await proxySocket(variant);
    const ws = makeWorkspace(variant);
    const result = await runDriver(fixture, variant, {
      ...spec(variant, "t('unix', lambda: socket.socket(socket.AF_UNIX).close())", proxy.socketPath, undefined, ws),
      policy: readOnlyPolicy(ws, { network: 'enabled' }),
    });
    expect(lines(result.stdout)).toEqual(['unix:EPERM']);
  });
});
