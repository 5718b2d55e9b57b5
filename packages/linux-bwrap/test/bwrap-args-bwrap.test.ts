// The argv shapes of the golden tests, run under real bwrap: each is accepted, enforces what it
// says, and the host-side placeholders bwrap leaves are exactly the plan's synthetic targets.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ResolvedSandboxPolicy, WritableRoot } from '@codex-sandbox/policy';
import { META, restrictedPolicyAt, writableRootAt } from './support/policies.js';
import { buildBwrapArgs, type BwrapPlan } from '../src/bwrap-args.js';
import { assignDataDescriptors } from '../src/descriptors.js';
import { buildSeccompProgram } from '../src/seccomp.js';

const SECCOMP_FD = 3;
const DATA_FD = 4;

function bwrapBinaries(): string[] {
  const bundled = process.env.CODEX_BWRAP_TEST_BINARY;
  if (!bundled) throw new Error('CODEX_BWRAP_TEST_BINARY must name the codex-bwrap binary for this test');
  return fs.existsSync('/usr/bin/bwrap') ? [bundled, '/usr/bin/bwrap'] : [bundled];
}

let base: string;
let T: string;
beforeAll(() => {
  base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'bwrap-args-run-')));
});
afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

function tree(spec: Record<string, string | null>): void {
  T = fs.mkdtempSync(path.join(base, 't'));
  for (const [rel, content] of Object.entries(spec)) {
    const target = path.join(T, rel);
    if (content === null) fs.mkdirSync(target, { recursive: true });
    else {
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.writeFileSync(target, content);
    }
  }
}
const t = (rel: string): string => path.join(T, rel);
const root = (rel: string, readOnly: string[] = [], names: WritableRoot['protectedMetadataNames'] = [...META]): WritableRoot =>
  writableRootAt(t, rel, readOnly, names);
const policy = (overrides: Partial<ResolvedSandboxPolicy>): ResolvedSandboxPolicy => restrictedPolicyAt(T, overrides);

/** Every path under T with its kind, to compare the host tree before and after a run. */
function snapshot(): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      out.set(full, entry.isDirectory() ? 'dir' : entry.isSymbolicLink() ? 'link' : 'file');
      if (entry.isDirectory()) walk(full);
    }
  };
  walk(T);
  return out;
}

/** Runs `script` with sh under the plan's argv; returns its exit status and output. */
function run(bwrap: string, p: ResolvedSandboxPolicy, script: string): { plan: BwrapPlan; status: number | null; out: string; created: string[] } {
  const plan = buildBwrapArgs(p, {
    commandCwd: T,
    command: ['/bin/sh', '-c', script],
    network: 'isolated',
    mountProc: true,
    emptyDataFd: DATA_FD,
    seccompFd: SECCOMP_FD,
    denyGlobMatches: [],
  });
  const before = snapshot();
  const programFile = path.join(base, `prog-${path.basename(T)}`);
  fs.writeFileSync(programFile, buildSeccompProgram('restricted', process.arch));
  const seccomp = fs.openSync(programFile, 'r');
  const devNull = fs.openSync('/dev/null', 'r');
  try {
    // bubblewrap >= 0.9 closes each data descriptor after one use: give every use its own.
    const withData = assignDataDescriptors(plan.args, DATA_FD, DATA_FD);
    const stdio = ['ignore', 'pipe', 'pipe', seccomp, ...Array.from({ length: withData.count }, () => devNull)] as const;
    const result = spawnSync(bwrap, withData.args, { stdio: [...stdio], encoding: 'utf8', env: { PATH: '/usr/bin:/bin' } });
    const after = snapshot();
    const created = [...after.entries()].filter(([p]) => !before.has(p)).map(([p, kind]) => `${kind} ${p}`);
    return { plan, status: result.status, out: `${result.stdout}${result.stderr}`, created };
  } finally {
    fs.closeSync(seccomp);
    fs.closeSync(devNull);
  }
}

/** A /dev entry of the host that bwrap's minimal /dev does not have. */
function hostOnlyDevice(): string {
  const minimal = new Set(['null', 'zero', 'full', 'random', 'urandom', 'tty', 'console', 'pts', 'ptmx', 'shm', 'fd', 'stdin', 'stdout', 'stderr', 'core', 'mqueue', 'hugepages']);
  const extra = fs.readdirSync('/dev').find((name) => !minimal.has(name));
  if (extra === undefined) throw new Error('the host /dev has no entry beyond the minimal set; cannot tell the two apart');
  return extra;
}

const expectedCreated = (plan: BwrapPlan): string[] =>
  plan.syntheticTargets.filter((s) => !s.preexisting).map((s) => `${s.kind} ${s.path}`);

describe.each(bwrapBinaries())('%s', (bwrap) => {
  it('workspace: files writable, metadata and the rest of the disk read-only, placeholders as planned', () => {
    tree({ 'repo/.git/HEAD': 'ref', 'repo/src/a.txt': 'a', 'other/x': 'x' });
    const script = [
      'exec 2>/dev/null',
      `echo new > ${t('repo/src/b.txt')} || exit 10`,
      `echo hack > ${t('repo/.git/HEAD')} 2>/dev/null && exit 11`,
      `mkdir ${t('repo/.codex/x')} 2>/dev/null && exit 12`,
      `touch ${t('repo/.agents/x')} 2>/dev/null && exit 13`,
      `echo hack > ${t('other/x')} 2>/dev/null && exit 14`,
      `rmdir ${t('repo/.codex')} 2>/dev/null && exit 15`,
      'exit 0',
    ].join('\n');
    const result = run(bwrap, policy({ writableRoots: [root('repo', ['repo/.git'])] }), script);
    expect([result.status, result.out]).toEqual([0, '']);
    expect(fs.readFileSync(t('repo/.git/HEAD'), 'utf8')).toBe('ref');
    expect(result.created.sort()).toEqual([...expectedCreated(result.plan), `file ${t('repo/src/b.txt')}`].sort());
  });

  it('write -> deny -> write: the denied middle is unreadable, the child writable', () => {
    tree({ 'repo/a/b/keep': 'k', 'repo/a/secret': 'SECRET' });
    const script = [
      `echo ok > ${t('repo/a/b/new')} || exit 10`,
      `cat ${t('repo/a/secret')} 2>/dev/null && exit 11`,
      `ls ${t('repo/a')} 2>/dev/null && exit 12`,
      `touch ${t('repo/a/planted')} 2>/dev/null && exit 13`,
      `cat ${t('repo/a/b/keep')} >/dev/null || exit 14`,
      'exit 0',
    ].join('\n');
    const p = policy({ fullDiskRead: false, readableRoots: ['/'], writableRoots: [root('repo', [], []), root('repo/a/b', [], [])], unreadableRoots: [t('repo/a')] });
    const result = run(bwrap, p, script);
    expect([result.status, result.out]).toEqual([0, '']);
    expect(fs.readFileSync(t('repo/a/b/new'), 'utf8')).toBe('ok\n');
    expect(result.created).toEqual([`file ${t('repo/a/b/new')}`]);
  });

  it('denied files and dirs read as nothing; a writable file below a denied dir stays writable', () => {
    tree({ 'repo/secret.txt': 'SECRET', 'keys/k': 'K', 'keys/log/out.log': '' });
    const script = [
      'exec 2>/dev/null',
      `cat ${t('repo/secret.txt')} 2>/dev/null | grep -q SECRET && exit 10`,
      `cat ${t('keys/k')} 2>/dev/null && exit 11`,
      `echo line > ${t('keys/log/out.log')} || exit 12`,
      `echo hack > ${t('repo/secret.txt')} 2>/dev/null && exit 13`,
      'exit 0',
    ].join('\n');
    const p = policy({
      fullDiskRead: false,
      readableRoots: ['/'],
      writableRoots: [root('repo', [], []), root('keys/log/out.log', [], [])],
      unreadableRoots: [t('keys'), t('repo/secret.txt')],
    });
    const result = run(bwrap, p, script);
    expect([result.status, result.out]).toEqual([0, '']);
    expect(fs.readFileSync(t('keys/log/out.log'), 'utf8')).toBe('line\n');
    expect(fs.readFileSync(t('repo/secret.txt'), 'utf8')).toBe('SECRET');
    expect(result.created).toEqual([]);
  });

  it('writable / with carve-outs: writes anywhere, denied dir hidden, carve-out read-only, private /dev', () => {
    tree({ 'home/.ssh/id': 'KEY', 'repo/.git/HEAD': 'ref' });
    const slash: WritableRoot = { root: '/', readOnlySubpaths: [t('repo/.git')], protectedMetadataNames: [] };
    const script = [
      'exec 2>/dev/null',
      `echo x > ${t('new-file')} || exit 10`,
      `cat ${t('home/.ssh/id')} && exit 11`,
      `echo hack > ${t('repo/.git/HEAD')} && exit 12`,
      'echo > /dev/null || exit 13',
      // --dev /dev gives a minimal /dev: a host-only device node is not there.
      `test -e /dev/${hostOnlyDevice()} && exit 14`,
      'exit 0',
    ].join('\n');
    const p = policy({ fullDiskRead: false, readableRoots: ['/'], writableRoots: [slash], unreadableRoots: [t('home/.ssh')] });
    const result = run(bwrap, p, script);
    expect([result.status, result.out]).toEqual([0, '']);
    expect(fs.readFileSync(t('new-file'), 'utf8')).toBe('x\n');
    expect(fs.readFileSync(t('repo/.git/HEAD'), 'utf8')).toBe('ref');
  });

  it('a missing nested writable root does not break startup', () => {
    tree({ 'repo/': null });
    const result = run(bwrap, policy({ writableRoots: [root('repo', [], []), root('repo/missing/sub', [], [...META])] }), 'echo sandbox-ok');
    expect([result.status, result.out]).toEqual([0, 'sandbox-ok\n']);
    expect(fs.existsSync(t('repo/missing'))).toBe(false);
  });

  it('tmpfs root with platform defaults: system tools run, unlisted paths are absent', () => {
    tree({ 'repo/': null, 'hidden/x': 'x' });
    const p = policy({ fullDiskRead: false, includePlatformDefaults: true, readableRoots: [t('repo')], writableRoots: [root('repo', [], [])] });
    const result = run(bwrap, p, `test -e ${t('hidden/x')} && exit 10; echo hi > ${t('repo/f')} && cat ${t('repo/f')}`);
    expect([result.status, result.out]).toEqual([0, 'hi\n']);
  });
});
