// Golden argv tests: real directory trees in a temp dir, policies built by hand, exact argv with
// the temp prefix written as $T.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ResolvedSandboxPolicy, WritableRoot } from '@codex-sandbox/policy';
import { META, restrictedPolicyAt, writableRootAt } from './support/policies.js';
import { buildBwrapArgs, type BwrapOptions, type BwrapPlan } from '../src/bwrap-args.js';
import { BwrapArgsError } from '../src/errors.js';
import { PLATFORM_DEFAULT_READ_ROOTS, buildFilesystemArgs } from '../src/filesystem-args.js';
import { isEmptyPlaceholder } from '../src/mount-paths.js';

let base: string;
let T: string;

beforeAll(() => {
  base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'bwrap-args-')));
});
afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

/** A fresh tree per test: `dir/` entries are directories, `{ link }` symlinks, strings file contents. */
function tree(spec: Record<string, string | { link: string } | null>): void {
  T = fs.mkdtempSync(path.join(base, 't'));
  for (const [rel, content] of Object.entries(spec)) {
    const target = path.join(T, rel);
    if (content === null) {
      fs.mkdirSync(target, { recursive: true });
    } else {
      fs.mkdirSync(path.dirname(target), { recursive: true });
      if (typeof content === 'string') fs.writeFileSync(target, content);
      else fs.symlinkSync(content.link.replace('$T', T), target);
    }
  }
}

const t = (rel: string): string => (rel === '' ? T : path.join(T, rel));

const root = (rel: string, readOnly: string[] = [], names: WritableRoot['protectedMetadataNames'] = [...META]): WritableRoot =>
  writableRootAt(t, rel, readOnly, names);

const policy = (overrides: Partial<ResolvedSandboxPolicy>): ResolvedSandboxPolicy => restrictedPolicyAt(T, overrides);

function build(p: ResolvedSandboxPolicy, opts: Partial<BwrapOptions> = {}): BwrapPlan {
  return buildBwrapArgs(p, {
    commandCwd: T,
    command: ['cmd', 'arg'],
    network: 'isolated',
    mountProc: true,
    emptyDataFd: 5,
    seccompFd: 3,
    denyGlobMatches: [],
    ...(opts.network === 'proxy-only' ? { proxyOnly: PROXY_ONLY } : {}),
    ...opts,
  });
}

const PROXY_ONLY = { routes: [{ listenPort: 3128, socketPath: '/run/proxy/http.sock' }], helperFd: 6, specFd: 7 };

/** The argv as one string per line-ish token, with the temp prefix as $T. */
function shown(plan: BwrapPlan): string {
  return plan.args.map((arg) => arg.split(T).join('$T')).join(' ');
}
function targets(plan: BwrapPlan): string[] {
  return plan.syntheticTargets.map((s) => `${s.kind} ${s.path.split(T).join('$T')}${s.preexisting ? ' preexisting' : ''}`);
}

const HEAD = '--new-session --die-with-parent';
const TAIL_ISOLATED = '--unshare-user --disable-userns --assert-userns-disabled --unshare-pid --unshare-ipc --unshare-net --proc /proc --chdir $T --cap-drop ALL --seccomp 3 -- cmd arg';
const metaMasks = (rel: string, names: readonly string[] = META): string =>
  names.map((n) => `--perms 555 --tmpfs $T/${rel}/${n} --remount-ro $T/${rel}/${n}`).join(' ');
/** Self-binds of `dir` and every ancestor of it (writable root `/`: all of them are pinned). */
const pins = (dir: string): string => {
  const parts = dir.split('/').filter((part) => part !== '');
  return parts.map((_, i) => `/${parts.slice(0, i + 1).join('/')}`).map((d) => `--bind ${d} ${d}`.split(T).join('$T')).join(' ');
};

describe('golden argv', () => {
  it('read-only: host root read-only, nothing writable', () => {
    tree({ 'repo/': null });
    const plan = build(policy({}));
    expect(shown(plan)).toBe(`${HEAD} --ro-bind / / --dev /dev ${TAIL_ISOLATED}`);
    expect(plan.syntheticTargets).toEqual([]);
    expect(plan.seccompMode).toBe('restricted');
  });

  it('workspace with an existing .git dir (reference A2 shape)', () => {
    tree({ 'repo/.git/HEAD': 'ref', 'repo/src/a.ts': '', 'tmp/': null });
    const plan = build(policy({ writableRoots: [root('repo', ['repo/.git']), root('tmp', [], ['.git', '.agents', '.codex', '.aws'])] }));
    expect(shown(plan)).toBe(
      [
        HEAD,
        '--ro-bind / / --dev /dev',
        '--bind $T/repo $T/repo',
        '--ro-bind $T/repo/.git $T/repo/.git',
        metaMasks('repo', ['.agents', '.codex', '.aws']),
        '--bind $T/tmp $T/tmp',
        metaMasks('tmp'),
        TAIL_ISOLATED,
      ].join(' '),
    );
    expect(targets(plan)).toEqual([
      'dir $T/repo/.agents',
      'dir $T/repo/.codex',
      'dir $T/repo/.aws',
      'dir $T/tmp/.git',
      'dir $T/tmp/.agents',
      'dir $T/tmp/.codex',
      'dir $T/tmp/.aws',
    ]);
  });

  it('.git file with a gitdir: target inside and outside the root', () => {
    tree({ 'repo/.git': 'gitdir: ../gitdirs/repo\n', 'gitdirs/repo/HEAD': '', 'repo/.bare/HEAD': '' });
    const outside = build(policy({ writableRoots: [root('repo', ['gitdirs/repo', 'repo/.git'], ['.git'])] }));
    // The target outside every writable root is already read-only: nothing to add.
    expect(shown(outside)).toBe(`${HEAD} --ro-bind / / --dev /dev --bind $T/repo $T/repo --ro-bind $T/repo/.git $T/repo/.git ${TAIL_ISOLATED}`);
    const inside = build(policy({ writableRoots: [root('repo', ['repo/.bare', 'repo/.git'], ['.git'])] }));
    expect(shown(inside)).toBe(
      `${HEAD} --ro-bind / / --dev /dev --bind $T/repo $T/repo --ro-bind $T/repo/.bare $T/repo/.bare --ro-bind $T/repo/.git $T/repo/.git ${TAIL_ISOLATED}`,
    );
  });

  it('write -> deny -> write inside a writable root reopens the child', () => {
    tree({ 'repo/a/b/': null, 'repo/a/secret': 's' });
    const plan = build(policy({ fullDiskRead: false, readableRoots: ['/'], writableRoots: [root('repo', [], []), root('repo/a/b', [], [])], unreadableRoots: [t('repo/a')] }));
    expect(shown(plan)).toBe(
      [
        HEAD,
        '--ro-bind / / --dev /dev',
        '--bind $T/repo $T/repo',
        '--perms 111 --tmpfs $T/repo/a --dir $T/repo/a/b --remount-ro $T/repo/a',
        '--dir $T/repo/a/b --bind $T/repo/a/b $T/repo/a/b',
        TAIL_ISOLATED,
      ].join(' '),
    );
  });

  it('reference A3: :root=read, /b=deny, /b/a=write masks the ancestor first', () => {
    tree({ 'b/a/': null, 'b/other': 'x' });
    const plan = build(policy({ fullDiskRead: false, readableRoots: ['/'], writableRoots: [root('b/a')], unreadableRoots: [t('b')] }));
    expect(shown(plan)).toBe(
      [
        HEAD,
        '--ro-bind / / --dev /dev',
        '--perms 111 --tmpfs $T/b --dir $T/b/a --remount-ro $T/b',
        '--dir $T/b/a --bind $T/b/a $T/b/a',
        metaMasks('b/a'),
        TAIL_ISOLATED,
      ].join(' '),
    );
  });

  it('deny file and deny dir under a writable root, plus an unrelated deny dir', () => {
    tree({ 'repo/secret.txt': 's', 'repo/keys/k': 'k', 'home/.ssh/id': 'i' });
    const plan = build(
      policy({
        fullDiskRead: false,
        readableRoots: ['/'],
        writableRoots: [root('repo', [], [])],
        unreadableRoots: [t('home/.ssh'), t('repo/keys'), t('repo/secret.txt')],
      }),
    );
    expect(shown(plan)).toBe(
      [
        HEAD,
        '--ro-bind / / --dev /dev',
        '--bind $T/repo $T/repo',
        '--perms 000 --tmpfs $T/repo/keys --remount-ro $T/repo/keys',
        '--perms 000 --ro-bind-data 5 $T/repo/secret.txt',
        '--perms 000 --tmpfs $T/home/.ssh --remount-ro $T/home/.ssh',
        TAIL_ISOLATED,
      ].join(' '),
    );
  });

  it('deny dir with a writable descendant several levels down, and a writable file below a mask', () => {
    tree({ 'secret/x/y/w/': null, 'secret/f/out.log': '' });
    const plan = build(
      policy({
        fullDiskRead: false,
        readableRoots: ['/'],
        writableRoots: [root('secret/x/y/w', [], []), root('secret/f/out.log', [], [])],
        unreadableRoots: [t('secret')],
      }),
    );
    expect(shown(plan)).toBe(
      [
        HEAD,
        '--ro-bind / / --dev /dev',
        '--perms 111 --tmpfs $T/secret --dir $T/secret/x --dir $T/secret/f --dir $T/secret/x/y --dir $T/secret/x/y/w',
        '--file 5 $T/secret/f/out.log --remount-ro $T/secret',
        '--dir $T/secret/f --bind $T/secret/f/out.log $T/secret/f/out.log',
        '--dir $T/secret/x --dir $T/secret/x/y --dir $T/secret/x/y/w --bind $T/secret/x/y/w $T/secret/x/y/w',
        TAIL_ISOLATED,
      ].join(' '),
    );
  });

  it('skips missing writable roots, including one nested inside another writable root', () => {
    tree({ 'repo/': null });
    const plan = build(policy({ writableRoots: [root('repo', [], []), root('repo/not-yet/sub', [], [...META]), root('gone', [], [])] }));
    expect(shown(plan)).toBe(`${HEAD} --ro-bind / / --dev /dev --bind $T/repo $T/repo ${TAIL_ISOLATED}`);
    expect(plan.syntheticTargets).toEqual([]);
  });

  it('tmpfs root with readable roots and platform defaults', () => {
    tree({ 'repo/': null, 'data/': null });
    const plan = build(
      policy({ fullDiskRead: false, includePlatformDefaults: true, readableRoots: [t('data'), t('missing')], writableRoots: [root('repo', [], [])] }),
    );
    const defaults = PLATFORM_DEFAULT_READ_ROOTS.filter((p) => fs.existsSync(p));
    // Policy readable roots then platform defaults, shallowest first (stable).
    const readable = [t('data'), ...defaults]
      .sort((a, b) => a.split('/').length - b.split('/').length)
      .map((p) => `--ro-bind ${p} ${p}`.split(T).join('$T'));
    expect(shown(plan)).toBe([HEAD, '--tmpfs / --dev /dev', ...readable, '--bind $T/repo $T/repo', TAIL_ISOLATED].join(' '));
    expect(defaults).toContain('/usr');
  });

  it('binds a symlinked writable root at its target and protects metadata there', () => {
    tree({ 'real/.git/HEAD': 'ref', link: { link: '$T/real' } });
    const plan = build(policy({ writableRoots: [root('link', ['link/.git'])], unreadableRoots: [t('link/secret')] }), { commandCwd: t('link') });
    expect(shown(plan)).toBe(
      [
        HEAD,
        '--ro-bind / / --dev /dev',
        '--bind $T/real $T/real',
        '--ro-bind $T/real/.git $T/real/.git',
        metaMasks('real', ['.agents', '.codex', '.aws']),
        '--ro-bind-data 5 $T/real/secret',
        TAIL_ISOLATED.replace('--chdir $T', '--chdir $T/real'),
      ].join(' '),
    );
    expect(targets(plan)).toEqual(['dir $T/real/.agents', 'dir $T/real/.codex', 'dir $T/real/.aws', 'file $T/real/secret']);
  });

  it('a protected path that is a writable symlink fails closed', () => {
    tree({ 'repo/': null, 'decoy/': null, 'repo/.codex': { link: '$T/decoy' } });
    const attempt = (): BwrapPlan => build(policy({ writableRoots: [root('repo')] }));
    expect(attempt).toThrow(BwrapArgsError);
    expect(attempt).toThrow(`cannot enforce sandbox read-only path ${t('repo/.codex')} because it crosses writable symlink ${t('repo/.codex')}`);
  });

  it('a deny path through a writable symlink fails closed', () => {
    tree({ 'repo/dir/secret': 's', 'repo/link': { link: '$T/repo/dir' } });
    const attempt = (): BwrapPlan => build(policy({ writableRoots: [root('repo', [], [])], unreadableRoots: [t('repo/link/secret')] }));
    expect(attempt).toThrow(`cannot enforce sandbox deny-read path ${t('repo/link/secret')} because it crosses writable symlink ${t('repo/link')}`);
  });

  it('full-disk write with isolated network: whole root writable, namespaces still unshared', () => {
    tree({ 'repo/': null });
    const plan = build(policy({ fullDiskWrite: true }));
    expect(shown(plan)).toBe(`${HEAD} --bind / / --dev /dev --bind-try /dev/shm /dev/shm ${TAIL_ISOLATED}`);
    expect(build(policy({ kind: 'external-sandbox', fullDiskWrite: true }), { network: 'proxy-only' }).args).toEqual(
      build(policy({ fullDiskWrite: true }), { network: 'proxy-only' }).args,
    );
  });

  it('full-disk write with full network is not a sandbox: refused', () => {
    tree({ 'repo/': null });
    expect(() => build(policy({ fullDiskWrite: true, network: 'enabled' }), { network: 'full' })).toThrow(/run the command without a sandbox/);
  });

  it('full-disk write with deny-glob hits masks them over the writable root, its ancestors pinned', () => {
    tree({ 'repo/.env': 's' });
    const plan = build(policy({ fullDiskWrite: true }), { denyGlobMatches: [t('repo/.env')] });
    expect(shown(plan)).toBe(
      `${HEAD} --bind / / --dev /dev --bind-try /dev/shm /dev/shm ${pins(t('repo'))} --perms 000 --ro-bind-data 5 $T/repo/.env ${TAIL_ISOLATED}`,
    );
  });
});

describe('placeholders', () => {
  it('reuses existing empty protected placeholders left by another run', () => {
    tree({ 'repo/.codex/': null, 'repo/.agents': '', 'repo/.git/HEAD': 'ref', 'repo/.aws/': null });
    const plan = build(policy({ writableRoots: [root('repo')] }));
    expect(shown(plan)).toBe(
      [
        HEAD,
        '--ro-bind / / --dev /dev --bind $T/repo $T/repo',
        '--ro-bind $T/repo/.git $T/repo/.git',
        '--ro-bind-data 5 $T/repo/.agents',
        '--perms 555 --tmpfs $T/repo/.codex --remount-ro $T/repo/.codex',
        '--perms 555 --tmpfs $T/repo/.aws --remount-ro $T/repo/.aws',
        TAIL_ISOLATED,
      ].join(' '),
    );
    expect(targets(plan)).toEqual(['file $T/repo/.agents preexisting', 'dir $T/repo/.codex preexisting', 'dir $T/repo/.aws preexisting']);
  });

  it('a missing explicit read-only path gets an empty read-only file at its first missing component', () => {
    tree({ 'repo/': null });
    const plan = build(policy({ writableRoots: [root('repo', ['repo/build/out'], [])] }));
    expect(shown(plan)).toBe(`${HEAD} --ro-bind / / --dev /dev --bind $T/repo $T/repo --ro-bind-data 5 $T/repo/build ${TAIL_ISOLATED}`);
    expect(targets(plan)).toEqual(['file $T/repo/build']);
  });

  it('a missing deny path inside a writable root is blocked with an empty file; outside, nothing', () => {
    tree({ 'repo/': null });
    const plan = build(policy({ writableRoots: [root('repo', [], [])], unreadableRoots: [t('elsewhere/x'), t('repo/.env')] }));
    expect(shown(plan)).toBe(`${HEAD} --ro-bind / / --dev /dev --bind $T/repo $T/repo --ro-bind-data 5 $T/repo/.env ${TAIL_ISOLATED}`);
    expect(targets(plan)).toEqual(['file $T/repo/.env']);
  });

  it.each([
    ['an empty directory', 'dir', (p: string) => fs.mkdirSync(p)],
    ['an empty file', 'file', (p: string) => fs.writeFileSync(p, '')],
    ['a non-empty directory', null, (p: string) => fs.mkdirSync(path.join(p, 'sub'), { recursive: true })],
    ['a non-empty file', null, (p: string) => fs.writeFileSync(p, 'x')],
  ])('isEmptyPlaceholder: %s -> %p', (_name, expected, make) => {
    const p = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'placeholder-')), '.codex');
    make(p);
    expect(isEmptyPlaceholder(p, fs.statSync(p))).toBe(expected);
    fs.rmSync(path.dirname(p), { recursive: true, force: true });
  });

  it('a placeholder directory removed by a concurrent run after it was stat\'ed still counts as a placeholder', () => {
    // Another run's release can remove its empty placeholder between our stat and our readdir;
    // bwrap will create the mount point again, whereas binding it as a real directory would fail.
    const p = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'placeholder-')), '.codex');
    fs.mkdirSync(p);
    const stat = fs.statSync(p);
    fs.rmdirSync(p);
    expect(isEmptyPlaceholder(p, stat)).toBe('dir');
    fs.rmSync(path.dirname(p), { recursive: true, force: true });
  });

  it('a non-empty protected dir is bound read-only, never replaced', () => {
    tree({ 'repo/.codex/config.toml': 'x' });
    const plan = build(policy({ writableRoots: [root('repo', [], ['.codex'])] }));
    expect(shown(plan)).toContain('--ro-bind $T/repo/.codex $T/repo/.codex');
    expect(plan.syntheticTargets).toEqual([]);
  });
});

describe('nesting and ordering', () => {
  it('a deny inside a nested writable root is applied after that root is bound', () => {
    tree({ 'repo/sub/secret/': null });
    const plan = build(policy({ writableRoots: [root('repo', [], []), root('repo/sub', [], [])], unreadableRoots: [t('repo/sub/secret')] }));
    expect(shown(plan)).toBe(
      `${HEAD} --ro-bind / / --dev /dev --bind $T/repo $T/repo --bind $T/repo/sub $T/repo/sub --perms 000 --tmpfs $T/repo/sub/secret --remount-ro $T/repo/sub/secret ${TAIL_ISOLATED}`,
    );
  });

  it('drops masks already hidden by a shallower mask', () => {
    tree({ 'd/e/f': '', 'repo/': null });
    const plan = build(policy({ writableRoots: [root('repo', [], [])], unreadableRoots: [t('d'), t('d/e'), t('d/e/f')] }));
    expect(shown(plan)).toBe(`${HEAD} --ro-bind / / --dev /dev --bind $T/repo $T/repo --perms 000 --tmpfs $T/d --remount-ro $T/d ${TAIL_ISOLATED}`);
  });

  it('a read-only entry under a nested writable root is applied after that root', () => {
    tree({ 'repo/sub/locked/': null });
    const plan = build(policy({ writableRoots: [root('repo', ['repo/sub/locked'], []), root('repo/sub', [], [])] }));
    expect(shown(plan)).toBe(
      `${HEAD} --ro-bind / / --dev /dev --bind $T/repo $T/repo --bind $T/repo/sub $T/repo/sub --ro-bind $T/repo/sub/locked $T/repo/sub/locked ${TAIL_ISOLATED}`,
    );
  });

  it('deny-glob hits are merged with unreadable roots', () => {
    tree({ 'repo/a.env': '', 'repo/b.env': '' });
    const plan = build(policy({ writableRoots: [root('repo', [], [])], unreadableRoots: [t('repo/b.env')] }), {
      denyGlobMatches: [t('repo/b.env'), t('repo/a.env')],
    });
    expect(shown(plan)).toBe(
      `${HEAD} --ro-bind / / --dev /dev --bind $T/repo $T/repo --perms 000 --ro-bind-data 5 $T/repo/a.env --perms 000 --ro-bind-data 5 $T/repo/b.env ${TAIL_ISOLATED}`,
    );
  });

  it('extra read-only binds come last, only where the command could write them', () => {
    tree({ 'tmp/registry/': null, 'other/': null });
    const plan = build(policy({ writableRoots: [root('tmp', [], [])] }), { extraReadOnlyBinds: [t('tmp/registry'), t('other')] });
    expect(shown(plan)).toBe(`${HEAD} --ro-bind / / --dev /dev --bind $T/tmp $T/tmp --ro-bind $T/tmp/registry $T/tmp/registry ${TAIL_ISOLATED}`);
    expect(() => build(policy({ writableRoots: [root('tmp', [], [])] }), { extraReadOnlyBinds: [t('tmp/nope')] })).toThrow(/does not exist/);
  });

  it('an extra bind under a denied directory stays invisible', () => {
    tree({ 'tmp/registry/': null });
    const plan = build(policy({ fullDiskRead: false, readableRoots: ['/'], writableRoots: [], unreadableRoots: [t('tmp')] }), {
      extraReadOnlyBinds: [t('tmp/registry')],
    });
    expect(shown(plan)).toBe(`${HEAD} --ro-bind / / --dev /dev --perms 000 --tmpfs $T/tmp --remount-ro $T/tmp ${TAIL_ISOLATED}`);
  });
});

describe('namespaces, network, seccomp, cwd', () => {
  beforeEach(() => tree({ 'repo/': null, cwdlink: { link: '$T/repo' } }));

  it.each([
    ['isolated', 'restricted', true],
    ['proxy-only', 'proxy-routed', true],
    ['full', 'base', false],
  ] as const)('network %s -> seccomp %s, unshare-net %s', (network, mode, unshareNet) => {
    const plan = build(policy({ network: 'enabled' }), { network });
    expect(plan.seccompMode).toBe(mode);
    expect(plan.args.includes('--unshare-net')).toBe(unshareNet);
    if (network === 'proxy-only') {
      // The inner helper installs the filter on the command only (the bridge needs AF_UNIX).
      expect(plan.args).not.toContain('--seccomp');
      expect(plan.args.slice(-6)).toEqual(['/dev/.codex-netns/helper', '--spec-fd', '7', '--', 'cmd', 'arg']);
    } else {
      expect(plan.args.slice(-5)).toEqual(['--seccomp', '3', '--', 'cmd', 'arg']);
    }
  });

  it('proxy-only: the helper from its descriptor (0555, read-only), each route socket bound read-only below /dev, after the filesystem', () => {
    const plan = build(policy({ network: 'restricted' }), {
      network: 'proxy-only',
      proxyOnly: { routes: [{ listenPort: 3128, socketPath: '/run/p/http.sock' }, { listenPort: 8081, socketPath: '/run/p/socks.sock' }], helperFd: 6, specFd: 7 },
    });
    const tail = plan.args.slice(plan.args.indexOf('--cap-drop'));
    expect(tail).toEqual([
      '--cap-drop', 'ALL',
      '--perms', '0555', '--ro-bind-data', '6', '/dev/.codex-netns/helper',
      '--ro-bind', '/run/p/http.sock', '/dev/.codex-netns/route-0.sock',
      '--ro-bind', '/run/p/socks.sock', '/dev/.codex-netns/route-1.sock',
      '--', '/dev/.codex-netns/helper', '--spec-fd', '7', '--', 'cmd', 'arg',
    ]);
    expect(plan.args).toContain('--unshare-net');
    expect(plan.proxyRoutes).toEqual([
      { listenPort: 3128, socketPath: '/dev/.codex-netns/route-0.sock' },
      { listenPort: 8081, socketPath: '/dev/.codex-netns/route-1.sock' },
    ]);
  });

  it('proxy-only: unshares the network also for a full-disk-write policy', () => {
    const plan = build(policy({ fullDiskWrite: true, network: 'enabled' }), { network: 'proxy-only' });
    expect(plan.args).toContain('--unshare-net');
  });

  it.each([
    ['no proxyOnly', { proxyOnly: undefined }, /needs proxyOnly/],
    ['no route', { proxyOnly: { ...PROXY_ONLY, routes: [] } }, /at least one proxy route/],
    ['port 0', { proxyOnly: { ...PROXY_ONLY, routes: [{ listenPort: 0, socketPath: '/s' }] } }, /port 0 is not usable; allowed: 1-65535/],
    ['port 65536', { proxyOnly: { ...PROXY_ONLY, routes: [{ listenPort: 65536, socketPath: '/s' }] } }, /port 65536/],
    ['a port twice', { proxyOnly: { ...PROXY_ONLY, routes: [{ listenPort: 1, socketPath: '/a' }, { listenPort: 1, socketPath: '/b' }] } }, /given twice/],
    ['a relative socket', { proxyOnly: { ...PROXY_ONLY, routes: [{ listenPort: 1, socketPath: 'a.sock' }] } }, /absolute, normalised/],
    ['a shared descriptor', { proxyOnly: { ...PROXY_ONLY, specFd: 5 } }, /must all differ/],
  ] as const)('proxy-only refuses %s', (_what, overrides, message) => {
    expect(() => build(policy({}), { network: 'proxy-only', ...overrides })).toThrow(message);
  });

  it('refuses proxy routes for other network modes', () => {
    expect(() => build(policy({}), { network: 'isolated', proxyOnly: PROXY_ONLY })).toThrow(/used only with proxy-only/);
  });

  it.each(['deny-read path', 'read-only path', 'writable root'] as const)('refuses a %s with a .. component instead of collapsing it as text', (what) => {
    const spelled = `${T}/lnk/../x`;
    const overrides: Partial<ResolvedSandboxPolicy> =
      what === 'deny-read path'
        ? { unreadableRoots: [spelled] }
        : what === 'read-only path'
          ? { writableRoots: [{ root: T, readOnlySubpaths: [spelled], protectedMetadataNames: [] }] }
          : { writableRoots: [{ root: spelled, readOnlySubpaths: [], protectedMetadataNames: [] }] };
    expect(() => build(policy(overrides))).toThrow(`${what} ${spelled} has a .. component; the resolved policy must spell paths without them`);
  });

  it('refuses full network when the policy restricts network', () => {
    expect(() => build(policy({ network: 'restricted' }), { network: 'full' })).toThrow(BwrapArgsError);
  });

  it('requires a seccomp descriptor; null explicitly builds a probe argv without a filter', () => {
    expect(() => build(policy({}), { seccompFd: undefined })).toThrow(/seccompFd is required/);
    const probe = build(policy({}), { seccompFd: null });
    expect(probe.seccompMode).toBe('none');
    expect(probe.args).not.toContain('--seccomp');
  });

  it.each([0, 1, 2, -1, 3.5])('refuses descriptor %p', (fd) => {
    expect(() => build(policy({}), { seccompFd: fd })).toThrow(BwrapArgsError);
  });

  it('refuses an empty command', () => {
    expect(() => build(policy({}), { command: [] })).toThrow(/no command/);
  });

  it('hides the host /proc when a fresh one cannot be mounted', () => {
    const plan = build(policy({}), { mountProc: false });
    expect(shown(plan)).toContain('--unshare-net --tmpfs /proc --chdir');
    expect(plan.args).not.toContain('--proc');
  });

  it('--chdir gets the canonical command cwd; a missing cwd is refused', () => {
    expect(shown(build(policy({}), { commandCwd: t('cwdlink') }))).toContain('--chdir $T/repo --cap-drop ALL');
    expect(() => build(policy({}), { commandCwd: t('missing') })).toThrow(/command working directory/);
  });

  it('always unshares the user namespace and drops capabilities', () => {
    for (const network of ['isolated', 'proxy-only', 'full'] as const) {
      const args = build(policy({ network: 'enabled', fullDiskWrite: network === 'full' ? false : true }), { network }).args;
      expect(args.slice(0, 2)).toEqual(['--new-session', '--die-with-parent']);
      expect(args).toEqual(expect.arrayContaining(['--unshare-user', '--unshare-pid', '--unshare-ipc', '--cap-drop', 'ALL']));
      expect(args.indexOf('--cap-drop')).toBeLessThan(args.indexOf('--'));
    }
  });
});

describe('WSL2 masks', () => {
  it('hides the interop socket directory unless everything is writable; ignores a distro view that is not /', () => {
    tree({ 'run/WSL/1_interop': '', 'mnt/wslg/distro/': null, 'repo/': null });
    const input = {
      fullDiskRead: true,
      fullDiskWrite: false,
      includePlatformDefaults: false,
      readableRoots: [],
      writableRoots: [root('repo', [], [])],
      unreadablePaths: [],
      extraReadOnlyBinds: [],
      emptyDataFd: 5,
      wslPaths: { interopDir: t('run/WSL'), distroView: t('mnt/wslg/distro') },
    };
    const show = (args: string[]): string => args.map((a) => a.split(T).join('$T')).join(' ');
    expect(show(buildFilesystemArgs(input).args)).toBe(
      '--ro-bind / / --dev /dev --bind $T/repo $T/repo --perms 000 --tmpfs $T/run/WSL --remount-ro $T/run/WSL',
    );
    expect(show(buildFilesystemArgs({ ...input, unreadablePaths: [t('run')] }).args)).toBe(
      '--ro-bind / / --dev /dev --bind $T/repo $T/repo --perms 000 --tmpfs $T/run --remount-ro $T/run',
    );
    expect(show(buildFilesystemArgs({ ...input, fullDiskWrite: true, writableRoots: [] }).args)).toBe(
      '--bind / / --dev /dev --bind-try /dev/shm /dev/shm',
    );
  });

  it('the real WSL locations are absent on this host, so nothing is added', () => {
    tree({ 'repo/': null });
    const plan = build(policy({}));
    expect(plan.args.some((a) => a.startsWith('/run/WSL') || a.startsWith('/mnt/wslg'))).toBe(fs.existsSync('/run/WSL'));
  });
});

describe('nothing is created below a read-only mount', () => {
  it('a missing deny path under a read-only carve-out or a protected placeholder adds nothing', () => {
    tree({ 'repo/locked/sub/': null });
    const plan = build(
      policy({ writableRoots: [root('repo', ['repo/locked'], ['.codex'])], unreadableRoots: [t('repo/.codex/auth.json'), t('repo/locked/sub/new.key')] }),
    );
    expect(shown(plan)).toBe(
      `${HEAD} --ro-bind / / --dev /dev --bind $T/repo $T/repo --ro-bind $T/repo/locked $T/repo/locked ${metaMasks('repo', ['.codex'])} ${TAIL_ISOLATED}`,
    );
    expect(targets(plan)).toEqual(['dir $T/repo/.codex']);
  });

  it('a writable root rebound below a read-only carve-out still gets its own placeholders', () => {
    tree({ 'repo/locked/w/': null });
    const plan = build(policy({ writableRoots: [root('repo', ['repo/locked'], []), root('repo/locked/w', [], ['.git'])] }));
    expect(shown(plan)).toBe(
      `${HEAD} --ro-bind / / --dev /dev --bind $T/repo $T/repo --ro-bind $T/repo/locked $T/repo/locked --bind $T/repo/locked/w $T/repo/locked/w ${metaMasks('repo/locked/w', ['.git'])} ${TAIL_ISOLATED}`,
    );
  });
});

describe('writable root /', () => {
  it('`:root = write` with carve-outs binds / first (keeping the private /dev) and masks under it', () => {
    tree({ 'home/.ssh/id': 'k', 'repo/.git/HEAD': 'ref' });
    const slash: WritableRoot = { root: '/', readOnlySubpaths: [t('repo/.git')], protectedMetadataNames: [] };
    const plan = build(policy({ fullDiskRead: false, readableRoots: ['/'], writableRoots: [slash], unreadableRoots: [t('home/.ssh')] }));
    expect(shown(plan)).toBe(
      [
        HEAD,
        '--bind / / --dev /dev --bind-try /dev/shm /dev/shm',
        pins(t('repo')),
        '--ro-bind $T/repo/.git $T/repo/.git',
        '--bind $T/home $T/home',
        '--perms 000 --tmpfs $T/home/.ssh --remount-ro $T/home/.ssh',
        TAIL_ISOLATED,
      ].join(' '),
    );
  });
});

describe('read grants below a deny are reopened (most specific rule wins)', () => {
  it(':root=read, deny a dir, read a file inside it', () => {
    tree({ 'b/f': 'visible', 'b/secret': 's' });
    const plan = build(policy({ fullDiskRead: false, readableRoots: ['/', t('b/f')], unreadableRoots: [t('b')] }));
    expect(shown(plan)).toBe(
      `${HEAD} --ro-bind / / --dev /dev --perms 111 --tmpfs $T/b --file 5 $T/b/f --remount-ro $T/b --ro-bind $T/b/f $T/b/f ${TAIL_ISOLATED}`,
    );
  });

  it('tmpfs root: a readable dir below a denied dir is bound after the mask, not before', () => {
    tree({ 'b/c/x': 'x', 'b/secret': 's' });
    const plan = build(policy({ fullDiskRead: false, readableRoots: [T, t('b/c')], unreadableRoots: [t('b')] }));
    expect(shown(plan)).toBe(
      `${HEAD} --tmpfs / --dev /dev --ro-bind $T $T --perms 111 --tmpfs $T/b --dir $T/b/c --remount-ro $T/b --ro-bind $T/b/c $T/b/c ${TAIL_ISOLATED}`,
    );
  });

  it('write -> deny -> read inside a writable root', () => {
    tree({ 'repo/a/pub/x': 'x', 'repo/a/secret': 's' });
    const plan = build(policy({ writableRoots: [root('repo', ['repo/a', 'repo/a/pub'], [])], unreadableRoots: [t('repo/a')] }));
    expect(shown(plan)).toBe(
      `${HEAD} --ro-bind / / --dev /dev --bind $T/repo $T/repo --perms 111 --tmpfs $T/repo/a --dir $T/repo/a/pub --remount-ro $T/repo/a --ro-bind $T/repo/a/pub $T/repo/a/pub ${TAIL_ISOLATED}`,
    );
  });

  it('a deny on the path of a writable root wins over it', () => {
    tree({ 'repo/.env': 's' });
    const plan = build(policy({ writableRoots: [root('repo', [], []), root('repo/.env', [], [])] }), { denyGlobMatches: [t('repo/.env')] });
    expect(shown(plan)).toBe(`${HEAD} --ro-bind / / --dev /dev --bind $T/repo $T/repo --perms 000 --ro-bind-data 5 $T/repo/.env ${TAIL_ISOLATED}`);
  });
});
