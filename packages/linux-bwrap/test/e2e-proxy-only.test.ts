// End to end: proxy-only network. The bundled front end runs real commands under real bubblewrap
// (system bwrap and codex-bwrap, as root and as uid 65534) with codex-netns-helper in front of
// them; the only way out is a 127.0.0.1 listener bridged to a Unix socket served by this test (an
// HTTP server standing in for the managed proxy). Checks what gets through, what the seccomp
// program refuses, that a dead bridge stops the command, that a route to nothing refuses the run,
// and that nothing is left running.

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';

import {
  COMMAND_PATH,
  createFixture,
  killLeftoverDrivers,
  makeWorkspace,
  pidsWithCmdline,
  readOnlyPolicy,
  runDriver,
  startDriver,
  VARIANT_NAMES,
  variantNamed,
  waitUntil,
  type Fixture,
  type Variant,
} from './support/e2e.js';

jest.setTimeout(90_000);

let fixture: Fixture;
let hostTcp: net.Server;
let hostTcpPort = 0;
const servers: http.Server[] = [];

beforeAll(async () => {
  fixture = createFixture();
  hostTcp = net.createServer((s) => s.end('host-loopback\n'));
  await new Promise<void>((resolve) => hostTcp.listen(0, '127.0.0.1', resolve));
  hostTcpPort = (hostTcp.address() as net.AddressInfo).port;
});
afterEach(() => killLeftoverDrivers());
afterAll(async () => {
  for (const s of servers) s.close();
  hostTcp.close();
  fixture.dispose();
});

let counter = 0;

/** An HTTP server on a Unix socket owned by the variant's user: answers with what it was asked. */
async function socketServer(variant: Variant): Promise<{ socketPath: string; requests: string[] }> {
  counter += 1;
  const dir = path.join(variant.home, `proxy-${counter}`);
  fs.mkdirSync(dir, { mode: 0o700 });
  fs.chownSync(dir, variant.uid, variant.uid);
  const socketPath = path.join(dir, 'http.sock');
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    if (req.url === 'http://big.test/') {
      const chunk = Buffer.alloc(1 << 20, 0x61);
      res.writeHead(200, { 'content-length': String(8 * chunk.length) });
      for (let i = 0; i < 8; i += 1) res.write(chunk);
      res.end();
      return;
    }
    res.end(`bridge:${req.method} ${req.url}\n`);
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  fs.chownSync(socketPath, variant.uid, variant.uid);
  servers.push(server);
  return { socketPath, requests };
}

/** A raw stream server on a Unix socket owned by the variant's user (the bridge's far end). */
async function rawSocketServer(variant: Variant, onConnection: (s: net.Socket) => void): Promise<{ socketPath: string; accepted: () => number; closed: () => number }> {
  counter += 1;
  const dir = path.join(variant.home, `raw-${counter}`);
  fs.mkdirSync(dir, { mode: 0o700 });
  fs.chownSync(dir, variant.uid, variant.uid);
  const socketPath = path.join(dir, 'raw.sock');
  let closed = 0;
  let accepted = 0;
  const server = net.createServer({ allowHalfOpen: true }, (s) => {
    accepted += 1;
    s.on('error', () => s.destroy());
    s.once('close', () => (closed += 1));
    onConnection(s);
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  fs.chownSync(socketPath, variant.uid, variant.uid);
  servers.push(server as unknown as http.Server);
  return { socketPath, accepted: () => accepted, closed: () => closed };
}

/** `n` bytes of a fixed pattern both sides can make: byte i is (i * 7 + i / 4093) mod 251. */
function pattern(n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i += 1) b[i] = (i * 7 + Math.floor(i / 4093)) % 251;
  return b;
}
const PATTERN_PY = 'def pattern(n):\n    return bytes(((i * 7 + i // 4093) % 251) for i in range(n))\n';

function proxySpec(variant: Variant, command: string[], socketPath: string) {
  const ws = makeWorkspace(variant);
  return {
    policy: readOnlyPolicy(ws, { network: 'enabled' }),
    command,
    commandCwd: ws,
    network: 'proxy-only' as const,
    env: { PATH: COMMAND_PATH },
    proxyRoutes: [{ listenPort: 3128, socketPath }],
    netnsHelperPath: fixture.netnsHelper,
  };
}

const PROBES = (hostPort: number, routeSocket: string): string => `
import errno, socket
def t(label, f):
    try:
        f()
        print(label + ':ok')
    except OSError as e:
        print(label + ':' + errno.errorcode.get(e.errno, str(e.errno)))
def tcp(port):
    s = socket.create_connection(('127.0.0.1', port), timeout=5)
    s.close()
t('bridge-port', lambda: tcp(3128))
t('host-loopback', lambda: tcp(${hostPort}))
t('unix', lambda: socket.socket(socket.AF_UNIX, socket.SOCK_STREAM).close())
def route():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(${JSON.stringify(routeSocket)})
t('route-socket', route)
t('socketpair', lambda: [x.close() for x in socket.socketpair()])
t('socketpair-dgram', lambda: [x.close() for x in socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)])
t('netlink', lambda: socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0).close())
# /proc/net is the reader's network namespace (if_nameindex would need netlink, refused here).
print('interfaces:' + ','.join(sorted(l.split(':')[0].strip() for l in open('/proc/self/net/dev').readlines()[2:])))
`;

/**
 * This file's helper processes: their environment names this fixture's directory (HOME), so
 * helpers of other test packages running at the same time are not counted.
 */
function helperPids(): number[] {
  return pidsWithCmdline('/dev/.codex-netns/helper').filter((pid) => {
    try {
      return fs.readFileSync(`/proc/${pid}/environ`, 'latin1').includes(fixture.root);
    } catch {
      return false;
    }
  });
}


describe.each(VARIANT_NAMES)('%s', (variantName) => {
  let variant: Variant;
  beforeAll(() => {
    variant = variantNamed(fixture, variantName);
  });

  it('HTTP through the bridge reaches the socket, and only it', async () => {
    const { socketPath, requests } = await socketServer(variant);
    const result = await runDriver(
      fixture,
      variant,
      proxySpec(variant, ['curl', '-sS', '--noproxy', '', '-x', 'http://127.0.0.1:3128', 'http://allowed.test/path?q=1'], socketPath),
    );
    expect(result).toEqual({ code: 0, stdout: 'bridge:GET http://allowed.test/path?q=1\n', stderr: '' });
    expect(requests).toEqual(['GET http://allowed.test/path?q=1']);
  });

  it('an 8 MiB body arrives whole through the bridge', async () => {
    const { socketPath } = await socketServer(variant);
    const result = await runDriver(
      fixture,
      variant,
      proxySpec(variant, ['sh', '-c', 'curl -sS -x http://127.0.0.1:3128 http://big.test/ | tr -d a | wc -c; curl -sS -x http://127.0.0.1:3128 http://big.test/ | wc -c'], socketPath),
    );
    expect(result).toEqual({ code: 0, stdout: '0\n8388608\n', stderr: '' });
  });

  it('the bridge carries 16 MiB up and 24 MiB down byte-exact, with the client\'s half-close in between', async () => {
    const down = pattern(24 << 20);
    const { socketPath } = await rawSocketServer(variant, (s) => {
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
    const script = `import hashlib, socket
${PATTERN_PY}up = pattern(16 << 20)
s = socket.create_connection(('127.0.0.1', 3128), timeout=60)
s.sendall(up)
s.shutdown(socket.SHUT_WR)
got = bytearray()
while True:
    c = s.recv(1 << 20)
    if not c:
        break
    got += c
line, rest = bytes(got).split(b'\\n', 1)
print(line.decode() == '%d %s' % (len(up), hashlib.sha256(up).hexdigest()), len(rest), hashlib.sha256(rest).hexdigest())
`;
    const result = await runDriver(fixture, variant, proxySpec(variant, ['python3', '-c', script], socketPath));
    expect(result).toEqual({ code: 0, stdout: `True ${down.length} ${createHash('sha256').update(down).digest('hex')}\n`, stderr: '' });
  });

  it('an abrupt close (RST) by the command closes the proxy side; the proxy side closing ends the command\'s connection; 200 connections at once', async () => {
    const { socketPath, accepted, closed } = await rawSocketServer(variant, (s) => {
      // `quit` asks this side to close abruptly, `closed?` how many connections have closed so far
      // (the route probe is one); anything else is echoed.
      s.on('data', (c: Buffer) => {
        if (c.toString() === 'quit') s.destroy();
        else if (c.toString() === 'closed?') s.end(String(closed()));
        else s.write(c);
      });
      s.once('end', () => s.end());
    });
    const script = `import socket, struct, threading, time
s = socket.create_connection(('127.0.0.1', 3128), timeout=20)
s.sendall(b'hello')
assert s.recv(5) == b'hello'
s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
s.close()
seen = 0
for _ in range(250):
    p = socket.create_connection(('127.0.0.1', 3128), timeout=20)
    p.sendall(b'closed?')
    seen = int(p.recv(100) or b'0')
    p.close()
    if seen >= 2:
        break
    time.sleep(0.02)
print('reset-reached-proxy-side', seen >= 2)
t = socket.create_connection(('127.0.0.1', 3128), timeout=20)
t.sendall(b'quit')
print('far-end-closed', t.recv(10) == b'')
ok = []
def one(i):
    c = socket.create_connection(('127.0.0.1', 3128), timeout=30)
    msg = ('connection %d ' % i).encode() * 50
    c.sendall(msg)
    got = b''
    while len(got) < len(msg):
        got += c.recv(65536)
    ok.append(got == msg)
    c.close()
threads = [threading.Thread(target=one, args=(i,)) for i in range(200)]
[x.start() for x in threads]
[x.join() for x in threads]
print('concurrent', len(ok), all(ok))
`;
    const result = await runDriver(fixture, variant, proxySpec(variant, ['python3', '-c', script], socketPath));
    expect(result).toEqual({ code: 0, stdout: 'reset-reached-proxy-side True\nfar-end-closed True\nconcurrent 200 True\n', stderr: '' });
    await waitUntil(() => closed() === accepted(), 'every connection closed at the proxy side');
  });

  it('the command gets IP sockets but no AF_UNIX socket, no host loopback, only lo', async () => {
    const { socketPath } = await socketServer(variant);
    const result = await runDriver(fixture, variant, proxySpec(variant, ['python3', '-c', PROBES(hostTcpPort, '/dev/.codex-netns/route-0.sock')], socketPath));
    expect(result.stderr).toBe('');
    expect(result.stdout.split('\n').filter((l) => l !== '')).toEqual([
      'bridge-port:ok',
      'host-loopback:ECONNREFUSED',
      'unix:EPERM',
      'route-socket:EPERM',
      'socketpair:ok',
      'socketpair-dgram:EPERM',
      'netlink:EPERM',
      'interfaces:lo',
    ]);
    expect(result.code).toBe(0);
  });

  it('a bridge that dies stops the command (it is killed, not left with a dead route)', async () => {
    const { socketPath } = await socketServer(variant);
    const result = await runDriver(fixture, variant, proxySpec(variant, ['sh', '-c', 'kill -KILL $PPID; sleep 10; echo survived'], socketPath));
    expect(result.stdout).toBe('');
    expect(result.code).toBe(137);
  });

  it('a route socket that does not exist refuses the run before the command starts', async () => {
    const missing = path.join(variant.home, 'no-such-proxy', 'http.sock');
    const result = await runDriver(fixture, variant, proxySpec(variant, ['sh', '-c', 'echo ran'], missing));
    expect(result.stdout).toBe('');
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`ERROR: SandboxRequestError: proxy route socket ${missing} cannot be used: ENOENT; is the proxy running?\n`);
  });

  /** A stale socket file (a proxy that died): bound once, never listened on, never unlinked. */
  async function staleSocket(): Promise<string> {
    const { socketPath } = await socketServer(variant);
    const server = servers[servers.length - 1];
    await new Promise<void>((resolve) => server?.close(() => resolve()));
    execFileSync('python3', ['-c', 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])', socketPath]);
    fs.chownSync(socketPath, variant.uid, variant.uid);
    return socketPath;
  }

  it('a route socket nobody listens on refuses the run: the helper never starts the command', async () => {
    const socketPath = await staleSocket();
    const result = await runDriver(fixture, variant, proxySpec(variant, ['sh', '-c', 'echo ran'], socketPath));
    expect(result.stdout).toBe('');
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`codex sandbox: network bridge: cannot reach the proxy socket /dev/.codex-netns/route-0.sock: Connection refused\n`);
  });

  it('a route held open by its caller is not probed: the command starts, and a connection the dead socket cannot take is closed', async () => {
    const socketPath = await staleSocket();
    const client = [
      'import socket',
      "s = socket.create_connection(('127.0.0.1', 3128), timeout=5)",
      "s.sendall(b'GET http://example.test/ HTTP/1.1\\r\\nHost: example.test\\r\\n\\r\\n')",
      'try:',
      "    print('started', 'closed' if s.recv(1024) == b'' else 'answered')",
      'except ConnectionResetError:',
      "    print('started', 'closed')",
    ].join('\n');
    const spec = proxySpec(variant, ['python3', '-c', client], socketPath);
    const result = await runDriver(fixture, variant, { ...spec, proxyRoutes: [{ listenPort: 3128, socketPath, heldOpen: true }] });
    expect(result.stdout).toBe('started closed\n');
    expect(result.code).toBe(0);
    expect(result.stderr).toBe(`codex sandbox: network bridge: cannot reach the proxy socket /dev/.codex-netns/route-0.sock: Connection refused\n`);
  });

  it('exit status and signals pass through the helper; nothing is left running after the run', async () => {
    const { socketPath } = await socketServer(variant);
    expect((await runDriver(fixture, variant, proxySpec(variant, ['sh', '-c', 'exit 7'], socketPath))).code).toBe(7);
    expect((await runDriver(fixture, variant, proxySpec(variant, ['sh', '-c', 'kill -TERM $$'], socketPath))).code).toBe(143);
    expect(helperPids()).toEqual([]);
  });

  it('SIGTERM to the front end reaches the command; SIGKILL of the front end leaves nothing running', async () => {
    const { socketPath } = await socketServer(variant);
    const term = startDriver(fixture, variant, proxySpec(variant, ['sh', '-c', "trap 'echo got-term; exit 3' TERM; echo ready; while :; do sleep 0.1; done"], socketPath));
    await term.waitFor('ready');
    term.child.kill('SIGTERM');
    expect(await term.exited).toBe(3);
    expect(term.stdout()).toBe('ready\ngot-term\n');

    const marker = `proxy-only-sigkill-${process.pid}-${counter}`;
    const killed = startDriver(fixture, variant, proxySpec(variant, ['sh', '-c', `echo ready; sleep 30; : ${marker}`], socketPath));
    await killed.waitFor('ready');
    await waitUntil(() => pidsWithCmdline(marker).length > 0, 'the command runs');
    killed.child.kill('SIGKILL');
    await killed.exited;
    await waitUntil(() => pidsWithCmdline(marker).length === 0 && helperPids().length === 0, 'the command and the helper are gone');
  });
});
