// End to end, as an attacker would try it: doors that a sandboxed command must not find open, each
// against the system bwrap and codex-bwrap, as root and as an unprivileged user. The attack model
// in the package README names the test for each threat.

import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

import {
  createFixture,
  killLeftoverDrivers,
  makeWorkspace,
  readOnlyPolicy,
  runDriver,
  VARIANT_NAMES,
  variantNamed,
  workspacePolicy,
  writableRoot,
  type Fixture,
  type Variant,
} from './support/e2e.js';

jest.setTimeout(60_000);

let fixture: Fixture;
beforeAll(() => {
  fixture = createFixture();
});
afterEach(() => killLeftoverDrivers());
afterAll(() => fixture.dispose());

function lines(text: string): string[] {
  return text.split('\n').filter((l) => l !== '');
}

// Each probe prints `label:ok` or `label:<errno name>`.
const PY_PRELUDE = `
import ctypes, errno, os, socket, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
def sys_call(label, nr, *args):
    rc = libc.syscall(nr, *args)
    print(label + ':' + ('ok' if rc >= 0 else errno.errorcode.get(ctypes.get_errno(), '?')))
def t(label, f):
    try:
        f()
        print(label + ':ok')
    except OSError as e:
        print(label + ':' + errno.errorcode.get(e.errno, str(e.errno)))
X64 = os.uname().machine == 'x86_64'
`;

// add_key, request_key, keyctl(KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, create=1).
const KEYRING_PROBE = `${PY_PRELUDE}
KEY_SPEC_SESSION_KEYRING = -3
ADD_KEY, REQUEST_KEY, KEYCTL = (248, 249, 250) if X64 else (217, 218, 219)
sys_call('add_key', ADD_KEY, b'user', b'codex-e2e', b'planted', 7, KEY_SPEC_SESSION_KEYRING)
sys_call('request_key', REQUEST_KEY, b'user', b'codex-e2e-host', None, 0)
sys_call('keyctl', KEYCTL, 0, KEY_SPEC_SESSION_KEYRING, 1)
`;

const USERNS_PROBE = `${PY_PRELUDE}
CLONE_NEWUSER = 0x10000000
rc = libc.unshare(CLONE_NEWUSER)
print('unshare-user:' + ('ok' if rc == 0 else 'refused'))
`;

/** socket(AF_UNIX, SOCK_DGRAM) and a datagram socketpair, each trying to reach a host socket path. */
const DATAGRAM_PROBE = `${PY_PRELUDE}
target = sys.argv[1]
def named():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.sendmsg([b'from-socket'], [], 0, target)
def paired():
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    a.sendmsg([b'from-pair'], [], 0, target)
def stream_pair():
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    os.write(a.fileno(), b'x')
    assert os.read(b.fileno(), 1) == b'x'
t('dgram-socket', named)
t('dgram-pair', paired)
t('stream-pair', stream_pair)
`;

/** A host datagram socket in `dir`; `drain()` returns every datagram it received (non-blocking). */
async function hostDatagramSocket(dir: string, uid: number): Promise<{ path: string; drain: () => Promise<string[]> }> {
  const socketPath = path.join(dir, 'host.sock');
  const server = spawn(
    '/usr/bin/python3',
    [
      '-c',
      `import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
os.chmod(sys.argv[1], 0o777)
print('ready', flush=True)
sys.stdin.readline()
s.setblocking(False)
while True:
    try:
        print(s.recv(100).decode(), flush=True)
    except BlockingIOError:
        break
`,
      socketPath,
    ],
    { stdio: ['pipe', 'pipe', 'inherit'], uid },
  );
  let out = '';
  server.stdout.on('data', (d: Buffer) => (out += d.toString()));
  await new Promise<void>((resolve, reject) => {
    server.once('exit', (code) => reject(new Error(`host socket server exited early (${String(code)})`)));
    const poll = setInterval(() => {
      if (out.includes('ready\n')) {
        clearInterval(poll);
        resolve();
      }
    }, 10);
  });
  return {
    path: socketPath,
    drain: () =>
      new Promise((resolve) => {
        server.once('close', () => resolve(lines(out).filter((l) => l !== 'ready')));
        server.stdin.end('\n');
      }),
  };
}


describe.each(VARIANT_NAMES)('%s', (variantName) => {
  let variant: Variant;
  beforeAll(() => {
    variant = variantNamed(fixture, variantName);
  });

  it.each(['isolated', 'full'] as const)('the kernel keyrings are out of reach (network %s)', async (network) => {
    const ws = makeWorkspace(variant);
    const policy = network === 'full' ? workspacePolicy(ws, { network: 'enabled' }) : workspacePolicy(ws);
    const result = await runDriver(fixture, variant, {
      policy,
      command: ['/usr/bin/python3', '-c', KEYRING_PROBE],
      commandCwd: ws,
      network,
    });
    expect(result.stderr).toBe('');
    expect(lines(result.stdout)).toEqual(['add_key:EPERM', 'request_key:EPERM', 'keyctl:EPERM']);
  });

  it('the command cannot create user namespaces of its own', async () => {
    const ws = makeWorkspace(variant);
    const result = await runDriver(fixture, variant, {
      policy: workspacePolicy(ws),
      command: ['sh', '-c', `/usr/bin/python3 -c '${USERNS_PROBE.replace(/'/g, "'\\''")}'; unshare -U true 2>/dev/null && echo unshare-cmd:ok || echo unshare-cmd:refused`],
      commandCwd: ws,
    });
    expect(lines(result.stdout)).toEqual(['unshare-user:refused', 'unshare-cmd:refused']);
  });

  it('without network, no datagram reaches a host socket the command can see; stream pairs still work', async () => {
    const ws = makeWorkspace(variant);
    const host = await hostDatagramSocket(variant.home, variant.uid);
    try {
      const result = await runDriver(fixture, variant, {
        policy: readOnlyPolicy(ws),
        command: ['/usr/bin/python3', '-c', DATAGRAM_PROBE, host.path],
        commandCwd: ws,
      });
      expect(result.stderr).toBe('');
      expect(lines(result.stdout)).toEqual(['dgram-socket:EPERM', 'dgram-pair:EPERM', 'stream-pair:ok']);
    } finally {
      expect(await host.drain()).toEqual([]);
      fs.rmSync(host.path, { force: true });
    }
  });

  it('the front end never gives its seccomp program or bwrap status a name in the temp dir', async () => {
    // A :workspace command that can write TMPDIR could open such a file between creation and use
    // (swap the filter, forge the pid). inotify sees every name ever made in the directory.
    const tmp = path.join(variant.home, 'tmp');
    const ws = makeWorkspace(variant);
    const names: string[] = [];
    const watcher = fs.watch(tmp, (_event, name) => {
      if (name !== null) names.push(String(name));
    });
    try {
      const result = await runDriver(fixture, variant, {
        policy: workspacePolicy(ws, { writableRoots: [writableRoot(ws), writableRoot(tmp)] }),
        command: ['true'],
        commandCwd: ws,
      });
      expect(result.code).toBe(0);
      await new Promise((resolve) => setTimeout(resolve, 100));
    } finally {
      watcher.close();
    }
    expect(names.filter((n) => /seccomp|status/.test(n))).toEqual([]);
  });

  it('the state directory (probe cache, placeholder registry) is read-only inside, also when it lies in a writable root', async () => {
    const ws = makeWorkspace(variant);
    const cache = path.join(ws, 'state-cache');
    const result = await runDriver(fixture, variant, {
      policy: workspacePolicy(ws),
      command: [
        'sh',
        '-c',
        `ls -d ${cache}/placeholders >/dev/null && echo registry:present; touch ${cache}/placeholders/run-1-1-1 2>/dev/null && echo forge:ok || echo forge:denied; echo x > ${cache}/bwrap-probes.json 2>/dev/null && echo cache:ok || echo cache:denied`,
      ],
      commandCwd: ws,
      cacheDir: cache,
    });
    expect(lines(result.stdout)).toEqual(['registry:present', 'forge:denied', 'cache:denied']);
  });
});
