// End to end, the legacy Landlock backend (LL1-LL6) against the real kernel Landlock, as root and
// as an unprivileged user: what the command can read, write and reach, what it keeps of the front
// end (capabilities, descriptors, environment), and that every policy it cannot enforce is refused
// before anything runs. The helper itself is driven directly for the refusals only it can make.

import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';

import { encodeLandlockHelperSpec, type LandlockHelperSpec } from '@codex-sandbox/policy';

import { buildSeccompProgram } from '../src/seccomp.js';
import {
  createFixture,
  killLeftoverDrivers,
  makeWorkspace,
  PROBE_PRELUDE,
  readOnlyPolicy,
  runDriver,
  variantNamed,
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

function kernelAbi(): number {
  const out = spawnSync(fixture.landlockHelper, ['--abi'], { encoding: 'utf8' });
  return Number.parseInt(out.stdout.trim(), 10);
}

/** A writable root whose metadata names the profile made writable on purpose (Landlock can express it). */
function openRoot(root: string): ReturnType<typeof writableRoot> {
  return { ...writableRoot(root), protectedMetadataNames: [] };
}

function landlock(variant: Variant, policy: Parameters<typeof readOnlyPolicy>[1] & { cwd?: string }, command: string[], extra: Record<string, unknown> = {}) {
  const ws = policy.cwd ?? variant.home;
  return runDriver(fixture, variant, {
    policy: readOnlyPolicy(ws, policy),
    command,
    commandCwd: ws,
    landlockHelperPath: fixture.landlockHelper,
    ...extra,
  });
}

describe.each(['system-bwrap as root', 'system-bwrap as nobody'])('legacy Landlock (%s)', (name) => {
  let variant: Variant;
  beforeAll(() => {
    variant = variantNamed(fixture, name);
  });

  it('reads everywhere, writes nowhere, truncates nothing under a read-only policy (LL3)', async () => {
    const ws = makeWorkspace(variant, { 'kept.txt': 'kept\n' });
    const script =
      PROBE_PRELUDE +
      `p read "cat /etc/hostname"; p list "ls /"; p create "touch ${ws}/new"; p append "echo x >> ${ws}/kept.txt"; ` +
      `p truncate "truncate -s 0 ${ws}/kept.txt"; p remove "rm -f ${ws}/kept.txt"; p devnull "echo x > /dev/null"; p mkdir "mkdir ${ws}/d"; ` +
      `p chmod "chmod 600 ${ws}/kept.txt"; p touch-time "touch -d 2001-01-01 ${ws}/kept.txt"; p xattr "python3 -c 'import os; os.setxattr(\\"${ws}/kept.txt\\", \\"user.x\\", b\\"1\\")'"`;
    const result = await landlock(variant, { cwd: ws }, ['sh', '-c', script]);
    expect(result.stderr).toBe('');
    expect(result.stdout.trim().split('\n')).toEqual([
      'read:ok',
      'list:ok',
      'create:denied',
      'append:denied',
      'truncate:denied',
      'remove:denied',
      'devnull:ok',
      'mkdir:denied',
      'chmod:denied',
      'touch-time:denied',
      'xattr:denied',
    ]);
    expect(fs.readFileSync(path.join(ws, 'kept.txt'), 'utf8')).toBe('kept\n');
    expect(fs.statSync(path.join(ws, 'kept.txt')).mode & 0o777).toBe(0o644);
    expect(fs.existsSync(path.join(ws, 'new'))).toBe(false);
  });

  it('writes inside a writable root and nowhere else, and cannot move files out of it (LL3)', async () => {
    const ws = makeWorkspace(variant, { 'in.txt': 'in\n' });
    const outside = makeWorkspace(variant, { 'out.txt': 'out\n' });
    const script =
      PROBE_PRELUDE +
      `p create "echo new > ${ws}/new.txt"; p mkdir "mkdir -p ${ws}/a/b && touch ${ws}/a/b/c"; p truncate "truncate -s 0 ${ws}/in.txt"; ` +
      `p outside "echo x > ${outside}/x"; p move-out "mv ${ws}/new.txt ${outside}/moved"; p move-in "mv ${outside}/out.txt ${ws}/stolen"; ` +
      `p link-out "ln ${outside}/out.txt ${ws}/hard"`;
    const result = await landlock(variant, { cwd: ws, writableRoots: [openRoot(ws)] }, ['sh', '-c', script]);
    expect(result.stdout.trim().split('\n')).toEqual(['create:ok', 'mkdir:ok', 'truncate:ok', 'outside:denied', 'move-out:denied', 'move-in:denied', 'link-out:denied']);
    expect(fs.readFileSync(path.join(ws, 'new.txt'), 'utf8')).toBe('new\n');
    expect(fs.readFileSync(path.join(outside, 'out.txt'), 'utf8')).toBe('out\n');
    expect(fs.existsSync(path.join(outside, 'x'))).toBe(false);
  });

  it('reaches no network when the policy restricts it: no sockets, no TCP to a live loopback server (LL4)', async () => {
    const accepted: net.Socket[] = [];
    const server = net.createServer((socket) => accepted.push(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    try {
      const py = `import socket\ntry:\n  s = socket.create_connection(("127.0.0.1", ${port}), timeout=2)\n  print("tcp:connected")\nexcept OSError as e:\n  print("tcp:" + str(e.errno))\n`;
      const result = await landlock(variant, {}, ['/usr/bin/python3', '-c', py]);
      expect(result.stdout.trim()).toBe('tcp:1'); // EPERM from socket(2)
      expect(accepted).toHaveLength(0);
    } finally {
      server.close();
      for (const socket of accepted) socket.destroy();
    }
  });

  it('keeps no capability, no descriptor and no variable of the front end, and sets no_new_privs (LL3)', async () => {
    const script = 'grep -E "^(CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp):" /proc/self/status; ls /proc/self/fd | sort -n | tr "\\n" " "; echo; env | sort';
    const result = await runDriver(fixture, variant, {
      policy: readOnlyPolicy(variant.home),
      command: ['/bin/sh', '-c', script],
      commandCwd: variant.home,
      landlockHelperPath: fixture.landlockHelper,
      env: { ONLY_THIS: 'yes' },
    });
    const out = result.stdout;
    // The bounding set only matters for uid 0 (no_new_privs keeps file capabilities from anyone else).
    const sets = variant.uid === 0 ? ['CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb'] : ['CapInh', 'CapPrm', 'CapEff', 'CapAmb'];
    for (const set of sets) expect(out).toMatch(new RegExp(`^${set}:\\s+0{16}$`, 'm'));
    expect(out).toMatch(/^NoNewPrivs:\s+1$/m);
    expect(out).toMatch(/^Seccomp:\s+2$/m);
    // 0-2 and the descriptor ls opened for /proc/self/fd.
    expect(out).toMatch(/^0 1 2 3 $/m);
    expect(out).toContain('ONLY_THIS=yes');
    expect(out).not.toMatch(/^CODEX_LANDLOCK/m);
  });

  it('cannot signal a process of the same user outside the sandbox (LL4, signal scope)', async () => {
    if (kernelAbi() < 6) return; // the plan warns instead (table test)
    const outside = spawn('sleep', ['60'], { uid: variant.uid, gid: variant.uid, stdio: 'ignore' });
    try {
      const result = await landlock(variant, {}, ['sh', '-c', `${PROBE_PRELUDE}p kill-outside "kill -0 ${outside.pid}"; p kill-own 'sleep 5 & kill $!'`]);
      expect(result.stdout.trim().split('\n')).toEqual(['kill-outside:denied', 'kill-own:ok']);
      expect(outside.exitCode).toBeNull();
    } finally {
      outside.kill('SIGKILL');
    }
  });

  it('passes the exit status and a fatal signal through (LL3)', async () => {
    expect((await landlock(variant, {}, ['sh', '-c', 'exit 7'])).code).toBe(7);
    expect((await landlock(variant, {}, ['sh', '-c', 'kill -TERM $$'])).code).toBe(128 + 15);
  });
});

describe('legacy Landlock refusals through the sandbox object (LL2)', () => {
  it.each<[string, (ws: string) => Parameters<typeof readOnlyPolicy>[1]]>([
    ['a denied path inside what is readable', (ws) => ({ unreadableRoots: [path.join(ws, 'secret')] })],
    ['a deny glob', (ws) => ({ unreadableGlobs: [path.join(ws, '**', '*.env')] })],
    ['restricted reads', () => ({ fullDiskRead: false, readableRoots: ['/usr'] })],
    ['a read-only carve-out in a writable root', (ws) => ({ writableRoots: [{ ...openRoot(ws), readOnlySubpaths: [path.join(ws, '.git')] }] })],
    ['protected metadata names in a writable root', (ws) => ({ writableRoots: [writableRoot(ws)] })],
  ])('refuses %s and runs nothing', async (_what, policyOf) => {
    const variant = variantNamed(fixture, 'system-bwrap as root');
    const ws = makeWorkspace(variant, { '.git/config': '' });
    const marker = path.join(variant.home, `ran-${path.basename(ws)}`);
    const result = await landlock(variant, { cwd: ws, ...policyOf(ws) }, ['sh', '-c', `touch ${marker}`]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/ERROR: LandlockUnsupportedError: (permission profiles requiring direct runtime enforcement are incompatible with --use-legacy-landlock|Restricted read-only access is not supported)/);
    expect(fs.existsSync(marker)).toBe(false);
  });

  it('refuses when the front end state lies inside a writable root', async () => {
    const variant = variantNamed(fixture, 'system-bwrap as root');
    const ws = makeWorkspace(variant);
    const result = await landlock(variant, { cwd: ws, writableRoots: [openRoot(ws)] }, ['true'], { protectedPaths: [path.join(ws, 'codex-home')] });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${path.join(ws, 'codex-home')} (the front end's own state, inside ${ws})`);
  });

  it('refuses proxy-only networking', async () => {
    const variant = variantNamed(fixture, 'system-bwrap as root');
    const result = await landlock(variant, {}, ['true'], {
      network: 'proxy-only',
      proxyRoutes: [{ listenPort: 3128, socketPath: path.join(variant.home, 'proxy.sock') }],
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('a managed network proxy needs bubblewrap');
  });

  it('shows the ABI and the rules in the plan', async () => {
    const variant = variantNamed(fixture, 'system-bwrap as root');
    const ws = makeWorkspace(variant);
    const result = await landlock(variant, { cwd: ws, writableRoots: [openRoot(ws)] }, ['true'], { planOnly: true });
    const plan = JSON.parse(result.stdout) as { mode: string; argv: string[]; landlock: { abi: number; rules: Array<{ path: string; role: string }> } };
    expect(plan.mode).toBe('landlock');
    expect(plan.argv).toEqual([fixture.landlockHelper, '--spec-fd', '3', '--', 'true']);
    expect(plan.landlock.abi).toBe(kernelAbi());
    expect(plan.landlock.rules.map((r) => [r.role, r.path])).toEqual([['read', '/'], ['device', '/dev/null'], ['write', ws]]);
  });
});

describe('codex-landlock-helper on its own', () => {
  function spec(change: Partial<LandlockHelperSpec>): LandlockHelperSpec {
    return {
      abi: 3,
      handledAccessFs: 0x7fff,
      handledAccessNet: 0,
      scoped: 0,
      pathRules: [{ path: '/', allowedAccess: 0b1101 }],
      seccompProgram: buildSeccompProgram('base', process.arch),
      parentPid: process.pid,
      ...change,
    };
  }

  function runHelper(s: LandlockHelperSpec, command: string[]): { status: number | null; stderr: string; stdout: string } {
    const file = path.join(fixture.root, `spec-${process.hrtime.bigint()}`);
    fs.writeFileSync(file, encodeLandlockHelperSpec(s));
    const fd = fs.openSync(file, 'r');
    try {
      const out = spawnSync(fixture.landlockHelper, ['--spec-fd', '3', '--', ...command], { stdio: ['ignore', 'pipe', 'pipe', fd], encoding: 'utf8' });
      return { status: out.status, stderr: out.stderr, stdout: out.stdout };
    } finally {
      fs.closeSync(fd);
    }
  }

  it('prints the kernel ABI', () => {
    expect(kernelAbi()).toBeGreaterThanOrEqual(1);
  });

  it('refuses a spec planned for an ABI the kernel does not offer', () => {
    const out = runHelper(spec({ abi: kernelAbi() + 1 }), ['true']);
    expect(out.status).toBe(1);
    expect(out.stderr).toContain(`the run was planned for ABI ${kernelAbi() + 1}; refusing to run`);
  });

  it('refuses a rule path that has become a symlink, so a swap cannot redirect a write grant', () => {
    const dir = fs.mkdtempSync(path.join(fixture.root, 'swap-'));
    fs.symlinkSync('/etc', path.join(dir, 'root'));
    const out = runHelper(spec({ pathRules: [{ path: '/', allowedAccess: 0b1101 }, { path: path.join(dir, 'root'), allowedAccess: 0x7fff }] }), ['touch', '/etc/codex-landlock-swapped']);
    expect(out.status).toBe(1);
    expect(out.stderr).toContain('has a symlink in it now');
    expect(fs.existsSync('/etc/codex-landlock-swapped')).toBe(false);
  });

  it('runs the command only when its parent is the front end named in the spec', () => {
    const out = runHelper(spec({ parentPid: 1 }), ['sh', '-c', 'echo ran']);
    expect(out.status).toBe(1);
    expect(out.stdout).toBe('');
  });

  it('refuses a spec that is not a LandlockHelperSpec', () => {
    const file = path.join(fixture.root, 'garbage');
    fs.writeFileSync(file, Buffer.from([0xff, 0xff, 0xff]));
    const fd = fs.openSync(file, 'r');
    try {
      const out = spawnSync(fixture.landlockHelper, ['--spec-fd', '3', '--', 'true'], { stdio: ['ignore', 'pipe', 'pipe', fd], encoding: 'utf8' });
      expect(out.status).toBe(1);
      expect(out.stderr).toContain('is not a valid LandlockHelperSpec message');
    } finally {
      fs.closeSync(fd);
    }
  });
});
