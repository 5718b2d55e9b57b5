// End to end: the bundled front end runs real commands under real bubblewrap, against the system
// bwrap and codex-bwrap, as root and as an unprivileged user. Each scenario prints one line per
// probe (`label:ok` / `label:denied` or an errno name) and the test compares whole outputs.

import * as fs from 'node:fs';
import * as path from 'node:path';

import {
  COMMAND_PATH,
  createFixture,
  killLeftoverDrivers,
  makeWorkspace,
  PROBE_PRELUDE,
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

const SOCKET_PROBES = `
import ctypes, errno, socket
def t(label, f):
    try:
        f()
        print(label + ':ok')
    except OSError as e:
        print(label + ':' + errno.errorcode.get(e.errno, str(e.errno)))
t('inet', lambda: socket.socket(socket.AF_INET, socket.SOCK_STREAM).close())
t('inet6', lambda: socket.socket(socket.AF_INET6, socket.SOCK_DGRAM).close())
t('unix', lambda: socket.socket(socket.AF_UNIX, socket.SOCK_STREAM).close())
def unix_connect():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.connect('/nonexistent-codex-sandbox-socket')
    finally:
        s.close()
t('unix-connect', unix_connect)
t('socketpair', lambda: [x.close() for x in socket.socketpair()])
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
# io_uring_setup(1, NULL): EFAULT without a filter, EPERM with ours (425 on x86_64 and aarch64).
rc = libc.syscall(425, 1, None)
print('io_uring:' + (errno.errorcode.get(ctypes.get_errno(), '?') if rc < 0 else 'ok'))
`;


describe.each(VARIANT_NAMES)('%s', (variantName) => {
  let variant: Variant;
  beforeAll(() => {
    variant = variantNamed(fixture, variantName);
  });

  async function sh(ws: string, policy: Parameters<typeof runDriver>[2]['policy'], script: string, network?: 'isolated' | 'full') {
    return runDriver(fixture, variant, {
      policy,
      command: ['sh', '-c', PROBE_PRELUDE + script],
      commandCwd: ws,
      ...(network === undefined ? {} : { network }),
    });
  }

  it('read-only: reads anything, writes nothing', async () => {
    const ws = makeWorkspace(variant, { 'file.txt': 'hello' });
    const result = await sh(
      ws,
      readOnlyPolicy(ws),
      `p read-ws 'cat file.txt'; p read-etc 'cat /etc/passwd'; p write-ws 'touch new'; p write-tmp 'touch /tmp/codex-e2e-$$'; p write-home 'touch ${variant.home}/x'; p dev-null 'echo x > /dev/null'`,
    );
    expect(lines(result.stdout)).toEqual(['read-ws:ok', 'read-etc:ok', 'write-ws:denied', 'write-tmp:denied', 'write-home:denied', 'dev-null:ok']);
    expect(result.code).toBe(0);
    expect(fs.existsSync(path.join(ws, 'new'))).toBe(false);
  });

  it('workspace: writes the workspace, not outside it, not its metadata; placeholders are removed', async () => {
    const ws = makeWorkspace(variant, { '.git/config': 'orig', 'src/a.txt': 'a' });
    const result = await sh(
      ws,
      workspacePolicy(ws),
      [
        `p write-ws 'echo new > new.txt'`,
        `p write-sub 'echo b > src/b.txt'`,
        `p write-outside 'touch ${variant.home}/outside'`,
        `p write-git 'echo x >> .git/config'`,
        `p create-git 'touch .git/hooks-x'`,
        `p create-codex 'mkdir -p .codex/sub || touch .codex/x'`,
        `p create-agents 'touch .agents/x'`,
        `p replace-git 'mv .git .git-old'`,
      ].join('; '),
    );
    expect(lines(result.stdout)).toEqual([
      'write-ws:ok',
      'write-sub:ok',
      'write-outside:denied',
      'write-git:denied',
      'create-git:denied',
      'create-codex:denied',
      'create-agents:denied',
      'replace-git:denied',
    ]);
    expect(fs.readFileSync(path.join(ws, '.git', 'config'), 'utf8')).toBe('orig');
    expect(fs.readFileSync(path.join(ws, 'new.txt'), 'utf8')).toBe('new\n');
    // The mount placeholders bwrap created for the missing .codex/.agents are gone again.
    expect(fs.readdirSync(ws).sort()).toEqual(['.git', 'new.txt', 'src']);
  });

  it('the placeholder registry stays read-only even when the directories holding it are writable', async () => {
    const ws = makeWorkspace(variant);
    const tmp = path.join(variant.home, 'tmp');
    // It lives in the state directory (the driver's cache dir), not in TMPDIR.
    const registry = path.join(variant.home, 'cache', 'placeholders');
    const policy = workspacePolicy(ws, { writableRoots: [writableRoot(ws), writableRoot(variant.home)] });
    const result = await sh(
      ws,
      policy,
      `p write-tmp 'touch ${tmp}/scratch-$$'; p forge-marker 'mkdir ${registry}/forged'; p remove-registry 'rm -rf ${registry}'`,
    );
    expect(lines(result.stdout)).toEqual(['write-tmp:ok', 'forge-marker:denied', 'remove-registry:denied']);
    expect(fs.existsSync(path.join(registry, 'forged'))).toBe(false);
    expect(fs.lstatSync(registry).isDirectory()).toBe(true);
  });

  it('nested carve-outs: read-only inside writable, writable inside read-only, deny with a writable child', async () => {
    const ws = makeWorkspace(variant, {
      'ro/file': 'ro',
      'ro/rw/file': 'rw',
      'secret/s.txt': 'top secret',
      'secret/allowed/file': 'allowed',
    });
    const policy = workspacePolicy(ws, {
      writableRoots: [
        writableRoot(ws, [path.join(ws, 'ro')]),
        writableRoot(path.join(ws, 'ro', 'rw')),
        writableRoot(path.join(ws, 'secret', 'allowed')),
      ],
      unreadableRoots: [path.join(ws, 'secret')],
    });
    const result = await sh(
      ws,
      policy,
      [
        `p write-ro 'touch ro/x'`,
        `p read-ro 'cat ro/file'`,
        `p write-ro-rw 'touch ro/rw/x'`,
        `p read-secret 'cat secret/s.txt'`,
        `p list-secret 'ls secret'`,
        `p write-secret 'touch secret/x'`,
        `p write-allowed 'touch secret/allowed/x'`,
        `p read-allowed 'cat secret/allowed/file'`,
      ].join('; '),
    );
    expect(lines(result.stdout)).toEqual([
      'write-ro:denied',
      'read-ro:ok',
      'write-ro-rw:ok',
      'read-secret:denied',
      'list-secret:denied',
      'write-secret:denied',
      'write-allowed:ok',
      'read-allowed:ok',
    ]);
    expect(fs.readFileSync(path.join(ws, 'secret', 's.txt'), 'utf8')).toBe('top secret');
    expect(fs.existsSync(path.join(ws, 'secret', 'x'))).toBe(false);
  });

  it('deny file and deny glob: masked files are unreadable and unwritable, others are not', async () => {
    const ws = makeWorkspace(variant, {
      'secret.txt': 'deny me',
      'ok.txt': 'fine',
      'a.env': 'A=1',
      'deep/er/b.env': 'B=2',
      'deep/c.txt': 'c',
    });
    const policy = workspacePolicy(ws, {
      unreadableRoots: [path.join(ws, 'secret.txt')],
      unreadableGlobs: [`${ws}/**/*.env`],
    });
    const result = await sh(
      ws,
      policy,
      `p read-file 'cat secret.txt'; p write-file 'echo x > secret.txt'; p read-ok 'cat ok.txt'; p read-env 'cat a.env'; p read-deep-env 'cat deep/er/b.env'; p write-env 'echo x > deep/er/b.env'; p read-deep-txt 'cat deep/c.txt'`,
    );
    expect(lines(result.stdout)).toEqual([
      'read-file:denied',
      'write-file:denied',
      'read-ok:ok',
      'read-env:denied',
      'read-deep-env:denied',
      'write-env:denied',
      'read-deep-txt:ok',
    ]);
    expect(fs.readFileSync(path.join(ws, 'deep', 'er', 'b.env'), 'utf8')).toBe('B=2');
    expect(fs.readFileSync(path.join(ws, 'secret.txt'), 'utf8')).toBe('deny me');
  });

  it('seccomp restricted (no network): no new sockets, no connect, socketpair ok, no io_uring', async () => {
    const ws = makeWorkspace(variant);
    const result = await runDriver(fixture, variant, {
      policy: readOnlyPolicy(ws),
      command: ['/usr/bin/python3', '-c', SOCKET_PROBES],
      commandCwd: ws,
    });
    expect(result.stderr).toBe('');
    expect(lines(result.stdout)).toEqual(['inet:EPERM', 'inet6:EPERM', 'unix:EPERM', 'unix-connect:EPERM', 'socketpair:ok', 'io_uring:EPERM']);
  });

  it('seccomp base (network enabled): sockets work, io_uring is still refused', async () => {
    const ws = makeWorkspace(variant);
    const result = await runDriver(fixture, variant, {
      policy: workspacePolicy(ws, { network: 'enabled' }),
      command: ['/usr/bin/python3', '-c', SOCKET_PROBES],
      commandCwd: ws,
    });
    expect(lines(result.stdout)).toEqual(['inet:ok', 'inet6:ok', 'unix:ok', 'unix-connect:ENOENT', 'socketpair:ok', 'io_uring:EPERM']);
  });

  it('no_new_privs is set and no capabilities are left; no front-end descriptor leaks in', async () => {
    const ws = makeWorkspace(variant);
    const result = await runDriver(fixture, variant, {
      policy: workspacePolicy(ws),
      command: ['sh', '-c', "grep -E '^(NoNewPrivs|CapEff|CapPrm):' /proc/self/status; ls -l /proc/self/fd/ | sed 1d"],
      commandCwd: ws,
    });
    const out = lines(result.stdout);
    expect(out.slice(0, 3)).toEqual(['CapPrm:\t0000000000000000', 'CapEff:\t0000000000000000', 'NoNewPrivs:\t1']);
    const fdLines = out.slice(3).filter((l) => !/ [012] -> /.test(l));
    // Only `ls`'s own directory descriptor may be open beyond 0-2 (plus anything the test harness
    // itself leaked into this process tree, which is a pipe): nothing the front end opened.
    for (const line of fdLines) {
      expect(line).not.toMatch(/socket:|\/dev\/null|seccomp|bwrap|codex/);
    }
  });

  it('exit status passes through, including 128+N for a signal death', async () => {
    const ws = makeWorkspace(variant);
    const policy = workspacePolicy(ws);
    const codes: number[] = [];
    for (const script of ['exit 3', 'kill -TERM $$', 'kill -KILL $$', 'true']) {
      codes.push((await runDriver(fixture, variant, { policy, command: ['sh', '-c', script], commandCwd: ws })).code);
    }
    expect(codes).toEqual([3, 143, 137, 0]);
    const missing = await runDriver(fixture, variant, { policy, command: ['no-such-command-e2e'], commandCwd: ws });
    expect(missing.code).toBe(127);
    expect(missing.stderr).toBe('codex sandbox: command not found: no-such-command-e2e\n');
  });

  it('SIGPIPE has its default disposition in the command', async () => {
    const ws = makeWorkspace(variant);
    const result = await runDriver(fixture, variant, {
      policy: workspacePolicy(ws),
      command: ['bash', '-c', 'yes | head -1; echo "status=${PIPESTATUS[0]}"; grep SigIgn /proc/self/status'],
      commandCwd: ws,
    });
    const [y, status, sigIgn] = lines(result.stdout);
    expect([y, status]).toEqual(['y', 'status=141']);
    // SIGPIPE (13) is bit 12 of the ignored-signal mask. (Signals above 31 that the caller's own
    // environment ignores, e.g. under Bazel, are inherited and not our business.)
    const ignored = BigInt(`0x${(sigIgn ?? '').replace('SigIgn:\t', '')}`);
    expect(ignored & (1n << 12n)).toBe(0n);
    expect(result.stderr).not.toMatch(/Broken pipe/);
  });

  it('stdin, stdout and stderr pass through; the environment is the one given', async () => {
    const ws = makeWorkspace(variant);
    const run = await runDriver(
      fixture,
      variant,
      {
        policy: workspacePolicy(ws),
        command: ['sh', '-c', 'tr a-z A-Z; echo "to-stderr $E2E_MARK" >&2; echo "PATH=$PATH"'],
        commandCwd: ws,
        env: { E2E_MARK: 'marked' },
      },
      { stdin: 'piped input\n' },
    );
    expect(lines(run.stdout)).toEqual(['PIPED INPUT', `PATH=${COMMAND_PATH}`]);
    expect(run.stderr).toBe('to-stderr marked\n');
  });

  it('a terminal passes through', async () => {
    const ws = makeWorkspace(variant);
    const result = await runDriver(
      fixture,
      variant,
      {
        policy: workspacePolicy(ws),
        command: ['sh', '-c', 'if test -t 0 && test -t 1 && test -t 2; then echo tty-yes; else echo tty-no; fi'],
        commandCwd: ws,
      },
      { tty: true },
    );
    expect(result.stdout).toMatch(/tty-yes/);
    expect(result.code).toBe(0);
  });

  it('the plan (dry run) shows the bwrap command line and runs nothing', async () => {
    const ws = makeWorkspace(variant);
    const result = await runDriver(fixture, variant, {
      policy: workspacePolicy(ws),
      command: ['touch', 'ran'],
      commandCwd: ws,
      planOnly: true,
    });
    const plan = JSON.parse(result.stdout) as { mode: string; argv: string[]; seccompMode: string; syntheticTargets: { path: string }[] };
    expect(plan.mode).toBe('bwrap');
    expect(plan.seccompMode).toBe('restricted');
    expect(plan.argv.slice(-3)).toEqual(['--', 'touch', 'ran']);
    expect(plan.argv[0]).toBe(variant.launcher.kind === 'choose' ? undefined : variant.launcher.path);
    expect(plan.argv).toEqual(expect.arrayContaining(['--unshare-net', '--seccomp', '--json-status-fd', '--die-with-parent']));
    expect(plan.syntheticTargets.map((t) => path.basename(t.path)).sort()).toEqual(['.agents', '.aws', '.codex', '.git']);
    expect(fs.readdirSync(ws)).toEqual([]);
  });

  it('a full-access policy runs the command directly, outside any namespace', async () => {
    const ws = makeWorkspace(variant);
    const policy = readOnlyPolicy(ws, { kind: 'unrestricted', fullDiskWrite: true, network: 'enabled', needsSandbox: false });
    const outside = path.join(variant.home, `direct-${process.pid}`);
    const result = await runDriver(fixture, variant, {
      policy,
      command: ['sh', '-c', `touch ${outside} && readlink /proc/self/ns/pid /proc/self/ns/mnt`],
      commandCwd: ws,
    });
    expect(result.code).toBe(0);
    expect(fs.existsSync(outside)).toBe(true);
    expect(lines(result.stdout)).toEqual([fs.readlinkSync('/proc/self/ns/pid'), fs.readlinkSync('/proc/self/ns/mnt')]);
  });
});
