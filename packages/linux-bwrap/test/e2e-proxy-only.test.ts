// End to end: proxy-only network. The bundled front end runs real commands under real bubblewrap
// (system bwrap and codex-bwrap, as root and as uid 65534) with codex-netns-helper in front of
// them; the only way out is a 127.0.0.1 listener bridged to a Unix socket served by this test (an
// HTTP server standing in for the managed proxy). Checks what gets through, what the seccomp
// program refuses, that a dead bridge stops the command, that a route to nothing refuses the run,
// and that nothing is left running.

import { execFileSync } from 'node:child_process';
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

  it('a route socket nobody listens on refuses the run: the helper never starts the command', async () => {
    const { socketPath } = await socketServer(variant);
    const server = servers[servers.length - 1];
    await new Promise<void>((resolve) => server?.close(() => resolve()));
    // A stale socket file (a proxy that died): bound once, never listened on, never unlinked.
    execFileSync('python3', ['-c', 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])', socketPath]);
    fs.chownSync(socketPath, variant.uid, variant.uid);
    const result = await runDriver(fixture, variant, proxySpec(variant, ['sh', '-c', 'echo ran'], socketPath));
    expect(result.stdout).toBe('');
    expect(result.code).toBe(1);
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
