// End to end (G11): codex-mask-helper makes the deny masks of runs with many of them, under real
// bubblewrap (system bwrap and codex-bwrap, as root and as uid 65534), and what it leaves the
// command: masked files and directories unreadable and unwritable, their siblings readable, masks
// that hold against umount / mount --move / remount and through /proc/1/root, no capability, no
// extra descriptor, proxy-only chaining to codex-netns-helper; and bubblewrap's own masks when the
// helper is not used. The helper on its own (real bwrap, specs written here) refuses a path that
// became a symlink, changed kind or vanished, and a template that is not a mask.

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';

import { encodeMaskHelperSpec, type ResolvedSandboxPolicy } from '@codex-sandbox/policy';

import { DIR_TEMPLATE_IN_SANDBOX, FILE_TEMPLATE_IN_SANDBOX, MASK_HELPER_MIN_MASKS, maskStageArgs } from '../src/mask-stage.js';
import type { SandboxPlan } from '../src/run-plan.js';
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
  type Fixture,
  type Variant,
} from './support/e2e.js';

jest.setTimeout(90_000);

let fixture: Fixture;
const servers: http.Server[] = [];
beforeAll(() => {
  fixture = createFixture();
});
afterEach(() => killLeftoverDrivers());
afterAll(() => {
  for (const s of servers) s.close();
  fixture.dispose();
});

const lines = (text: string): string[] => text.split('\n').filter((l) => l !== '');
const MATCHES = MASK_HELPER_MIN_MASKS + 8;

/** A workspace with MATCHES `*.env` files (one per directory d0..), two matching directories, and siblings. */
function globWorkspace(variant: Variant): string {
  const files: Record<string, string> = { 'plain.txt': 'PLAIN', 'keys.env/inner.txt': 'INNER', 'deep/x/conf.env/a': 'A', 'outside/target.txt': 'TARGET' };
  for (let i = 0; i < MATCHES; i += 1) {
    files[`d${i}/s${i}.env`] = `SECRET${i}`;
    files[`d${i}/sibling.txt`] = `SIB${i}`;
  }
  const ws = makeWorkspace(variant, files);
  // A matching symlink masks its target (G9).
  fs.symlinkSync('outside/target.txt', path.join(ws, 'link.env'));
  fs.lchownSync(path.join(ws, 'link.env'), variant.uid, variant.uid);
  return ws;
}

const envGlob = (ws: string): Partial<ResolvedSandboxPolicy> => ({ unreadableGlobs: [`${ws}/**/*.env`] });

describe.each(VARIANT_NAMES)('%s', (variantName) => {
  let variant: Variant;
  beforeAll(() => {
    variant = variantNamed(fixture, variantName);
  });

  const run = (ws: string, policy: ResolvedSandboxPolicy, script: string, maskHelperPath: string | null = fixture.maskHelper) =>
    runDriver(fixture, variant, { policy, command: ['sh', '-c', PROBE_PRELUDE + script], commandCwd: ws, env: { PATH: COMMAND_PATH }, maskHelperPath });

  const plan = async (ws: string, policy: ResolvedSandboxPolicy, maskHelperPath: string | null = fixture.maskHelper): Promise<SandboxPlan> => {
    const result = await runDriver(fixture, variant, { policy, command: ['true'], commandCwd: ws, planOnly: true, maskHelperPath });
    expect(result.stderr).toBe('');
    return JSON.parse(result.stdout) as SandboxPlan;
  };

  /** Every masked path unreadable and unwritable, every sibling readable. */
  const maskScript = (writable: boolean): string =>
    [
      ...Array.from({ length: MATCHES }, (_, i) => `p r${i} 'cat d${i}/s${i}.env'; p w${i} 'echo x > d${i}/s${i}.env'; p sib${i} 'cat d${i}/sibling.txt'`),
      `p dir 'ls keys.env'`,
      `p dirfile 'cat keys.env/inner.txt'`,
      `p deepdir 'ls deep/x/conf.env'`,
      `p link 'cat link.env'`,
      `p target 'cat outside/target.txt'`,
      `p plain 'cat plain.txt'`,
      writable ? `p create 'echo y > d0/new.txt'` : `p create 'true'`,
    ].join('; ');

  const expectedMasks = (): string[] => [
    ...Array.from({ length: MATCHES }, (_, i) => [`r${i}:denied`, `w${i}:denied`, `sib${i}:ok`]).flat(),
    'dir:denied',
    'dirfile:denied',
    'deepdir:denied',
    'link:denied',
    'target:denied',
    'plain:ok',
    'create:ok',
  ];

  it('masked files and directories are unreadable and unwritable, their siblings readable; the plan names the helper', async () => {
    for (const writable of [false, true]) {
      const ws = globWorkspace(variant);
      const policy = writable ? workspacePolicy(ws, envGlob(ws)) : readOnlyPolicy(ws, envGlob(ws));
      const planned = await plan(ws, policy);
      expect(planned.masks).toEqual({ stage: 'codex-mask-helper', count: MATCHES + 3, helperMasks: MATCHES + 3, reason: expect.stringContaining(`${MATCHES + 3} deny masks, made by codex-mask-helper`) });
      expect(planned.argv).toContain('/dev/.codex-masks/helper');
      const result = await run(ws, policy, maskScript(writable));
      expect(result.stderr).toBe('');
      expect(lines(result.stdout)).toEqual(expectedMasks());
      expect(fs.readFileSync(path.join(ws, 'd0/s0.env'), 'utf8')).toBe('SECRET0');
    }
  });

  it('the masks look like bubblewrap\'s: empty mode-000 read-only files and directories', async () => {
    const ws = globWorkspace(variant);
    const script = `stat -c '%a %s %F' d0/s0.env keys.env; p chmod 'chmod 644 d0/s0.env'`;
    const withHelper = await run(ws, readOnlyPolicy(ws, envGlob(ws)), script);
    const withBwrap = await run(ws, readOnlyPolicy(ws, envGlob(ws)), script, null);
    expect(lines(withHelper.stdout)).toEqual(['0 0 regular empty file', `0 ${statSize(withBwrap.stdout)} directory`, 'chmod:denied']);
    expect(lines(withHelper.stdout)).toEqual(lines(withBwrap.stdout));
  });

  it('the masks hold after umount, mount --move and remount attempts, and through /proc/1/root', async () => {
    const ws = globWorkspace(variant);
    const script = [
      `umount d0/s0.env 2>/dev/null; umount -l d1/s1.env 2>/dev/null; mount --move d2/s2.env /tmp 2>/dev/null`,
      `mount -o remount,rw d3/s3.env 2>/dev/null; mount -o remount,bind,rw d4/s4.env 2>/dev/null; umount keys.env 2>/dev/null`,
      ...[0, 1, 2, 3, 4].map((i) => `p r${i} 'cat d${i}/s${i}.env'`),
      `p dir 'ls keys.env'`,
      `p viaInit 'cat /proc/1/root${ws}/d0/s0.env'`,
      `p initCwd 'cat /proc/1/cwd/d0/s0.env'`,
      `p userns 'unshare -Ur true'`,
    ].join('; ');
    const result = await run(ws, readOnlyPolicy(ws, envGlob(ws)), script);
    expect(lines(result.stdout)).toEqual(['r0:denied', 'r1:denied', 'r2:denied', 'r3:denied', 'r4:denied', 'dir:denied', 'viaInit:denied', 'initCwd:denied', 'userns:denied']);
  });

  it('the command has no capability, no_new_privs, and only its three standard descriptors', async () => {
    const ws = globWorkspace(variant);
    const script = `grep -E '^(CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs):' /proc/self/status; ls /proc/self/fd`;
    const result = await run(ws, readOnlyPolicy(ws, envGlob(ws)), script);
    expect(result.stderr).toBe('');
    const out = lines(result.stdout);
    expect(out.slice(0, 6).map((l) => l.replace(/\s+/g, ' '))).toEqual([
      'CapInh: 0000000000000000',
      'CapPrm: 0000000000000000',
      'CapEff: 0000000000000000',
      'CapBnd: 0000000000000000',
      'CapAmb: 0000000000000000',
      'NoNewPrivs: 1',
    ]);
    // 0, 1, 2 and the descriptor ls opened on /proc/self/fd.
    expect(out.slice(6)).toEqual(['0', '1', '2', '3']);
  });

  it('proxy-only: the helper chains to codex-netns-helper, whose bridge still works', async () => {
    const dir = makeWorkspace(variant);
    const socketPath = path.join(dir, 'http.sock');
    const server = http.createServer((req, res) => res.end(`bridge:${req.method} ${req.url}\n`));
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
    fs.chownSync(socketPath, variant.uid, variant.uid);
    servers.push(server);
    const ws = globWorkspace(variant);
    const policy = readOnlyPolicy(ws, { ...envGlob(ws), network: 'enabled' });
    const spec = { policy, commandCwd: ws, network: 'proxy-only' as const, env: { PATH: COMMAND_PATH }, proxyRoutes: [{ listenPort: 3128, socketPath }], netnsHelperPath: fixture.netnsHelper, maskHelperPath: fixture.maskHelper };
    const planned = await runDriver(fixture, variant, { ...spec, command: ['true'], planOnly: true });
    const argv = (JSON.parse(planned.stdout) as SandboxPlan).argv;
    const dashes = argv.indexOf('--');
    expect(argv.slice(dashes + 1, dashes + 5)).toEqual(['/dev/.codex-masks/helper', '--spec-fd', '8', '--']);
    expect(argv.slice(dashes + 5, dashes + 9)).toEqual(['/dev/.codex-netns/helper', '--spec-fd', '6', '--']);
    const result = await runDriver(fixture, variant, {
      ...spec,
      command: ['sh', '-c', `${PROBE_PRELUDE} p r0 'cat d0/s0.env'; p sib 'cat d0/sibling.txt'; curl -sS --noproxy '' -x http://127.0.0.1:3128 http://allowed.test/x`],
    });
    expect(result.stderr).toBe('');
    expect(lines(result.stdout)).toEqual(['r0:denied', 'sib:ok', 'bridge:GET http://allowed.test/x']);
  });

  it('a helper whose probe fails is not used: bubblewrap makes the masks, and the failure is remembered', async () => {
    // A stand-in that exits 1 at once, as a helper on a kernel without the mount API would.
    const failing = path.join(fixture.root, 'failing-mask-helper');
    if (!fs.existsSync(failing)) {
      fs.copyFileSync('/bin/false', failing);
      fs.chmodSync(failing, 0o755);
    }
    const ws = globWorkspace(variant);
    const policy = readOnlyPolicy(ws, envGlob(ws));
    const cacheDir = path.join(variant.home, `cache-failing-${path.basename(ws)}`);
    fs.mkdirSync(cacheDir, { mode: 0o700 });
    fs.chownSync(cacheDir, variant.uid, variant.uid);
    const result = await runDriver(fixture, variant, { policy, command: ['sh', '-c', PROBE_PRELUDE + maskScript(false)], commandCwd: ws, env: { PATH: COMMAND_PATH }, maskHelperPath: failing, cacheDir });
    expect(lines(result.stdout)).toEqual(expectedMasks());
    const planned = await runDriver(fixture, variant, { policy, command: ['true'], commandCwd: ws, planOnly: true, maskHelperPath: failing, cacheDir });
    const masks = (JSON.parse(planned.stdout) as SandboxPlan).masks;
    expect(masks?.stage).toBe('bubblewrap');
    expect(masks?.reason).toBe('codex-mask-helper cannot be used here: the probe exited with status 1');
    expect(fs.readFileSync(path.join(cacheDir, 'bwrap-probes.json'), 'utf8')).toContain('"maskHelper":{');
  });

  it('without the helper, or below the threshold, bubblewrap makes the masks, which hold the same', async () => {
    const ws = globWorkspace(variant);
    const policy = readOnlyPolicy(ws, envGlob(ws));
    expect((await plan(ws, policy, null)).masks).toEqual({ stage: 'bubblewrap', count: MATCHES + 3, helperMasks: 0, reason: 'codex-mask-helper cannot be used here: the sandbox was created without it' });
    const result = await run(ws, policy, maskScript(false), null);
    expect(lines(result.stdout)).toEqual(expectedMasks());
    const few = makeWorkspace(variant, { 'a.env': 'A', 'b.txt': 'B' });
    const fewPolicy = readOnlyPolicy(few, envGlob(few));
    const fewPlan = await plan(few, fewPolicy);
    expect(fewPlan.masks?.stage).toBe('bubblewrap');
    expect(fewPlan.argv).not.toContain('/dev/.codex-masks/helper');
    expect(lines((await run(few, fewPolicy, `p a 'cat a.env'; p b 'cat b.txt'`)).stdout)).toEqual(['a:denied', 'b:ok']);
  });
});

/** The size `stat` shows for bubblewrap's own directory mask (a tmpfs root). */
function statSize(stdout: string): string {
  return lines(stdout)[1]?.split(' ')[1] ?? '?';
}

describe.each([
  ['root', 0],
  ['nobody', 65534],
])('codex-mask-helper on its own, as %s', (_who, uid) => {
  /**
   * Runs the helper under the system bwrap as a run would (templates, capabilities), with the
   * spec `masks` (paths on the host, seen at the same place), then `echo ran`. `caps: false`:
   * bwrap gives it no capability.
   */
  function helperRun(masks: { fileMasks?: string[]; dirMasks?: string[]; dirTemplate?: string }, caps = true): { status: number | null; stdout: string; stderr: string } {
    const dir = publicDir('alone-');
    const spec = encodeMaskHelperSpec({ fileTemplate: FILE_TEMPLATE_IN_SANDBOX, dirTemplate: masks.dirTemplate ?? DIR_TEMPLATE_IN_SANDBOX, fileMasks: masks.fileMasks ?? [], dirMasks: masks.dirMasks ?? [], keepFds: [] });
    const specFile = path.join(dir, 'spec');
    fs.writeFileSync(specFile, spec, { mode: 0o644 });
    const helper = fs.openSync(fixture.maskHelper, 'r');
    const specFd = fs.openSync(specFile, 'r');
    const empty = fs.openSync('/dev/null', 'r');
    try {
      const stage = maskStageArgs({ helperFd: 3, specFd: 4 }, 5, ['sh', '-c', 'echo ran']);
      const bwrap = ['bwrap', '--ro-bind', '/', '/', '--dev', '/dev', '--unshare-user', '--disable-userns', '--assert-userns-disabled', '--unshare-pid', '--proc', '/proc', '--cap-drop', 'ALL', ...(caps ? stage.caps : []), ...stage.mounts, '--', ...stage.command];
      const argv = uid === 0 ? bwrap : ['setpriv', `--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', '--', ...bwrap];
      const result = spawnSync(argv[0] ?? 'bwrap', argv.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe', helper, specFd, empty], env: { PATH: COMMAND_PATH } });
      return { status: result.status, stdout: result.stdout, stderr: result.stderr };
    } finally {
      for (const fd of [helper, specFd, empty]) fs.closeSync(fd);
    }
  }

  function publicDir(prefix: string): string {
    const dir = fs.mkdtempSync(path.join(fixture.root, prefix));
    fs.chmodSync(dir, 0o755);
    return dir;
  }

  function tree(): string {
    const dir = publicDir('tree-');
    fs.mkdirSync(path.join(dir, 'sub'));
    fs.writeFileSync(path.join(dir, 'sub', 'a.env'), 'A');
    fs.writeFileSync(path.join(dir, 'real.env'), 'R');
    fs.symlinkSync('real.env', path.join(dir, 'swapped.env'));
    fs.symlinkSync('sub', path.join(dir, 'linkdir'));
    return dir;
  }

  it('masks what it is given and runs the command', () => {
    const dir = tree();
    expect(helperRun({ fileMasks: [path.join(dir, 'sub', 'a.env')], dirMasks: [path.join(dir, 'sub')] })).toEqual({ status: 0, stdout: 'ran\n', stderr: '' });
  });

  it.each<[string, (dir: string) => { fileMasks?: string[]; dirMasks?: string[]; dirTemplate?: string }, string]>([
    ['a file that became a symlink (swapped after the plan)', (dir) => ({ fileMasks: [path.join(dir, 'swapped.env')] }), 'is a symlink now, or has one on its way'],
    ['a path through a directory that became a symlink', (dir) => ({ fileMasks: [path.join(dir, 'linkdir', 'a.env')] }), 'is a symlink now, or has one on its way'],
    ['a file that became a directory', (dir) => ({ fileMasks: [path.join(dir, 'sub')] }), 'is a directory now'],
    ['a directory that became a file', (dir) => ({ dirMasks: [path.join(dir, 'real.env')] }), 'is not a directory now'],
    ['a path that is gone', (dir) => ({ fileMasks: [path.join(dir, 'gone.env')] }), 'is gone'],
    ['a template that is not a mask', (dir) => ({ dirMasks: [path.join(dir, 'sub')], dirTemplate: dir }), 'is not on a tmpfs'],
  ])('refuses %s: the command never runs', (_what, masks, message) => {
    const result = helperRun(masks(tree()));
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('codex sandbox: masks: ');
    expect(result.stderr).toContain(message);
    expect(result.stderr).toContain('refusing to run');
  });

  it('refuses to run when bwrap gave it no capability to mount with', () => {
    const result = helperRun({ fileMasks: [path.join(tree(), 'sub', 'a.env')] }, false);
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('cannot create a mount namespace for the masks');
  });
});
