// Resolution semantics: P18-P29, P32, against real files in temp dirs, plus
// the depth x access precedence table.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  builtinProfile,
  createAccessQuery,
  accessForPath,
  canRead,
  canWrite,
  parseConfigText,
  resolveSandboxPolicy,
  selectPermissionProfile,
  type FileSystemAccessMode,
  type FileSystemSandboxEntry,
  type PermissionProfile,
  type ResolveContext,
} from '@codex-sandbox/policy';

const root = (access: FileSystemAccessMode): FileSystemSandboxEntry => ({ path: { type: 'special', value: { kind: 'root' } }, access });
const p = (path: string, access: FileSystemAccessMode): FileSystemSandboxEntry => ({ path: { type: 'path', path }, access });
const glob = (pattern: string, access: FileSystemAccessMode = 'deny'): FileSystemSandboxEntry => ({ path: { type: 'glob_pattern', pattern }, access });
const special = (kind: 'minimal' | 'tmpdir' | 'slash_tmp', access: FileSystemAccessMode): FileSystemSandboxEntry => ({
  path: { type: 'special', value: { kind } },
  access,
});
const ws = (access: FileSystemAccessMode, subpath?: string): FileSystemSandboxEntry => ({
  path: { type: 'special', value: subpath === undefined ? { kind: 'workspace_roots' } : { kind: 'workspace_roots', subpath } },
  access,
});

function managed(entries: FileSystemSandboxEntry[], network: 'restricted' | 'enabled' = 'restricted', globScanMaxDepth?: number): PermissionProfile {
  return {
    type: 'managed',
    fileSystem: globScanMaxDepth === undefined ? { type: 'restricted', entries } : { type: 'restricted', entries, globScanMaxDepth },
    network,
  };
}

let tmp: string;
let ctx: ResolveContext;
beforeEach(() => {
  tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'policy-resolve-')));
  ctx = { cwd: tmp, workspaceRoots: [], env: {} };
});
afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('P18: entry resolution', () => {
  test('path, :root, :workspace_roots (cwd fallback and per root), subpaths', () => {
    const prof = managed([p('/opt/x', 'read'), root('read'), ws('write'), ws('read', 'sub')]);
    const r1 = resolveSandboxPolicy(prof, ctx);
    expect(r1.writableRoots.map((w) => w.root)).toEqual([tmp]);
    const r2 = resolveSandboxPolicy(prof, { ...ctx, workspaceRoots: ['/a', '/b'] });
    expect(r2.writableRoots.map((w) => w.root)).toEqual(['/a', '/b']);
    expect(accessForPath(prof, { ...ctx, workspaceRoots: ['/a', '/b'] }, '/b/sub/f')).toBe('read');
  });

  test.each([
    [{ TMPDIR: '/some/tmp' }, ['/some/tmp']],
    [{ TMPDIR: '/some/tmp/' }, ['/some/tmp']],
    [{ TMPDIR: 'relative' }, []],
    [{ TMPDIR: '' }, []],
    [{}, []],
  ])(':tmpdir with env %j', (env, roots) => {
    const r = resolveSandboxPolicy(managed([special('tmpdir', 'write')]), { ...ctx, env });
    expect(r.writableRoots.map((w) => w.root)).toEqual(roots);
  });

  test(':slash_tmp is /tmp when it is a directory', () => {
    const r = resolveSandboxPolicy(managed([special('slash_tmp', 'write')]), ctx);
    expect(r.writableRoots.map((w) => w.root)).toEqual(fs.statSync('/tmp').isDirectory() ? ['/tmp'] : []);
  });

  test(':minimal, unknown and globs do not take part in prefix matching', () => {
    const prof = managed([
      special('minimal', 'write'),
      { path: { type: 'special', value: { kind: 'unknown', path: ':future' } }, access: 'write' },
      glob('/x/**', 'write'),
    ]);
    const q = createAccessQuery(prof, ctx);
    expect(q.entryAccess('/usr/bin')).toBe('deny');
    expect(q.entryAccess('/x/y')).toBe('deny');
  });

  test('skip-missing entries apply only when the path exists', () => {
    const prof = managed([ws('write'), { ...ws('deny', 'gone'), missingPathBehavior: 'skip' }, { ...ws('deny', 'here'), missingPathBehavior: 'skip' }]);
    fs.mkdirSync(path.join(tmp, 'here'));
    const r = resolveSandboxPolicy(prof, ctx);
    expect(r.unreadableRoots).toEqual([path.join(tmp, 'here')]);
  });
});

describe('P19: precedence (depth x access)', () => {
  // Two entries: one on /a (depth 1) and one on /a/b (depth 2); the query is /a/b/c.
  const accesses: FileSystemAccessMode[] = ['read', 'write', 'deny'];
  const table: Array<[FileSystemAccessMode, FileSystemAccessMode]> = accesses.flatMap((outer) => accesses.map((inner) => [outer, inner] as [FileSystemAccessMode, FileSystemAccessMode]));
  test.each(table)('/a=%s, /a/b=%s: the deeper entry wins', (outer, inner) => {
    const q = createAccessQuery(managed([p('/a', outer), p('/a/b', inner)]), ctx);
    expect(q.entryAccess('/a/b/c')).toBe(inner);
    expect(q.entryAccess('/a/x')).toBe(outer);
  });

  test.each([
    [['read', 'write'], 'write'],
    [['write', 'read'], 'write'],
    [['write', 'deny'], 'deny'],
    [['deny', 'write'], 'deny'],
    [['read', 'deny'], 'deny'],
    [['read', 'write', 'deny'], 'deny'],
  ] as Array<[FileSystemAccessMode[], FileSystemAccessMode]>)('equal depth %j -> %s', (list, expected) => {
    const q = createAccessQuery(managed(list.map((a) => p('/a', a))), ctx);
    expect(q.entryAccess('/a/f')).toBe(expected);
    expect(q.entryAccess('/a')).toBe(expected);
  });

  test('no match is deny; component-wise prefixes only', () => {
    const q = createAccessQuery(managed([p('/a', 'read')]), ctx);
    expect(q.entryAccess('/b')).toBe('deny');
    expect(q.entryAccess('/ab')).toBe('deny');
    expect(q.entryAccess('/a/../b')).toBe('deny');
  });

  test('relative paths join onto cwd', () => {
    expect(accessForPath(managed([p(tmp, 'read')]), ctx, 'x/y')).toBe('read');
  });

  test.each([
    [{ type: 'disabled' } as PermissionProfile],
    [{ type: 'external', network: 'restricted' } as PermissionProfile],
    [{ type: 'managed', fileSystem: { type: 'unrestricted' }, network: 'restricted' } as PermissionProfile],
  ])('unrestricted/external give write everywhere: %j', (prof) => {
    expect(accessForPath(prof, ctx, '/etc/passwd')).toBe('write');
    expect(canWrite(prof, ctx, path.join(tmp, '.git/x'))).toBe(true);
  });
});

describe('P20: canRead / canWrite', () => {
  test('read-only profile', () => {
    const prof = builtinProfile(':read-only');
    expect(canRead(prof, ctx, '/etc/passwd')).toBe(true);
    expect(canWrite(prof, ctx, path.join(tmp, 'f'))).toBe(false);
  });

  test('metadata writes are not writes even though the entry says write', () => {
    const prof = managed([root('read'), ws('write')]);
    expect(canWrite(prof, ctx, path.join(tmp, 'src/a.ts'))).toBe(true);
    for (const name of ['.git', '.agents', '.codex', '.aws']) {
      expect(canWrite(prof, ctx, path.join(tmp, name, 'config'))).toBe(false);
      expect(canWrite(prof, ctx, path.join(tmp, name))).toBe(false);
      expect(canRead(prof, ctx, path.join(tmp, name, 'config'))).toBe(true);
    }
    expect(canWrite(prof, ctx, path.join(tmp, 'sub/.git/config'))).toBe(true); // only the first component counts
    expect(canWrite(prof, ctx, path.join(tmp, '.gitignore'))).toBe(true);
  });

  test('full-disk write has no metadata protection', () => {
    expect(canWrite(managed([root('write')]), ctx, path.join(tmp, '.git/config'))).toBe(true);
  });
});

describe('P21/P22: full-disk flags and platform defaults', () => {
  test.each([
    ['root read', [root('read')], true, false],
    ['root write', [root('write')], true, true],
    ['root read + deny path', [root('read'), p('/x', 'deny')], false, false],
    ['root read + deny glob', [root('read'), glob('/x/*.env')], false, false],
    ['root write + read path narrows', [root('write'), p('/x', 'read')], true, false],
    ['root write + read path shadowed by write on same target', [root('write'), p('/x', 'read'), p('/x', 'write')], true, true],
    ['root write + :slash_tmp read shadowed by /tmp write', [root('write'), special('slash_tmp', 'read'), p('/tmp', 'write')], true, true],
    ['root write + read :root shadowed by write :root', [root('write'), root('read')], true, true],
    ['root write + :minimal read never narrows', [root('write'), special('minimal', 'read')], true, true],
    ['root write + unknown never narrows', [root('write'), { path: { type: 'special', value: { kind: 'unknown', path: ':x' } }, access: 'read' }], true, true],
    ['root write + write glob does not narrow', [root('write'), glob('/x/*', 'write')], true, true],
    ['root write + read glob narrows', [root('write'), glob('/x/*', 'read')], true, false],
    ['root deny', [root('deny')], false, false],
    ['no root', [p('/x', 'write')], false, false],
  ] as Array<[string, FileSystemSandboxEntry[], boolean, boolean]>)('%s', (_n, entries, read, write) => {
    const r = resolveSandboxPolicy(managed(entries), ctx);
    expect([r.fullDiskRead, r.fullDiskWrite]).toEqual([read, write]);
    if (read) expect(r.readableRoots).toEqual([]);
    if (write) expect(r.writableRoots).toEqual([]);
  });

  test('platform defaults need a readable :minimal and no full-disk read', () => {
    expect(resolveSandboxPolicy(managed([special('minimal', 'read'), p('/opt', 'read')]), ctx).includePlatformDefaults).toBe(true);
    expect(resolveSandboxPolicy(managed([special('minimal', 'read'), root('read')]), ctx).includePlatformDefaults).toBe(false);
    expect(resolveSandboxPolicy(managed([special('minimal', 'deny')]), ctx).includePlatformDefaults).toBe(false);
    expect(resolveSandboxPolicy(managed([p('/opt', 'read')]), ctx).includePlatformDefaults).toBe(false);
  });
});

describe('P23: nested carve-outs', () => {
  test('/repo=write, /repo/a=deny, /repo/a/b=write', () => {
    const prof = managed([p('/repo', 'write'), p('/repo/a', 'deny'), p('/repo/a/b', 'write')]);
    const q = createAccessQuery(prof, ctx);
    expect(q.access('/repo/f')).toBe('write');
    expect(q.access('/repo/a/f')).toBe('deny');
    expect(q.access('/repo/a/b/f')).toBe('write');
    const r = resolveSandboxPolicy(prof, ctx);
    expect(r.writableRoots.map((w) => w.root)).toEqual(['/repo', '/repo/a/b']);
    expect(r.writableRoots[0]?.readOnlySubpaths).toEqual(['/repo/a']);
    expect(r.unreadableRoots).toEqual(['/repo/a']);
  });

  test('seed example: /code write, /code/.git read, /code/secrets none, /code/secrets/tmp write', () => {
    const prof = managed([root('read'), p('/code', 'write'), p('/code/.git', 'read'), p('/code/secrets', 'deny'), p('/code/secrets/tmp', 'write')]);
    const q = createAccessQuery(prof, ctx);
    expect(q.access('/code/x')).toBe('write');
    expect(q.access('/code/.git/HEAD')).toBe('read');
    expect(q.access('/code/secrets/k')).toBe('deny');
    expect(q.access('/code/secrets/tmp/k')).toBe('write');
  });
});

describe('P24: deny globs in the access query', () => {
  test('`*` does not cross `/`, `**` does; unclosed `[` is literal', () => {
    const prof = managed([root('read'), glob('/d/*.env'), glob('/e/**/*.pem'), glob('/f/[x')]);
    const q = createAccessQuery(prof, ctx);
    expect(q.access('/d/a.env')).toBe('deny');
    expect(q.access('/d/sub/a.env')).toBe('read');
    expect(q.access('/e/a.pem')).toBe('deny');
    expect(q.access('/e/x/y/a.pem')).toBe('deny');
    expect(q.access('/f/[x')).toBe('deny');
    expect(q.access('/f/x')).toBe('read');
  });

  test('workspace-root globs apply under every root', () => {
    const prof = managed([root('read'), ws('write'), glob('codex-project-roots://**/*.env')]);
    const c = { ...ctx, workspaceRoots: ['/r1', '/r2'] };
    expect(accessForPath(prof, c, '/r2/a/.env')).toBe('deny');
    expect(accessForPath(prof, c, '/r3/a/.env')).toBe('read');
  });
});

describe('deny globs deny a matching directory with its subtree', () => {
  test('what lies below a matching path is denied; a deeper grant still wins (P19)', () => {
    const prof = managed([root('read'), p('/w', 'write'), glob('/w/**/*.env'), p('/w/dir.env/keep', 'read')]);
    const q = createAccessQuery(prof, ctx);
    expect(q.access('/w/dir.env')).toBe('deny');
    expect(q.access('/w/dir.env/inner.txt')).toBe('deny');
    expect(q.access('/w/a/dir.env/b/c')).toBe('deny');
    expect(q.access('/w/dir.env/keep/f')).toBe('read');
    expect(q.access('/w/dir.envy/f')).toBe('write');
    expect(q.denyGlobFor('/w/a/dir.env/b/c')).toBe('/w/**/*.env');
    expect(q.denyGlobFor('/w/dir.envy/f')).toBeUndefined();
  });

  test('a grant at the very matched path loses (deny wins a tie)', () => {
    const q = createAccessQuery(managed([root('read'), p('/w/x.env', 'write'), glob('/w/*.env')]), ctx);
    expect(q.access('/w/x.env')).toBe('deny');
    expect(q.access('/w/x.env/below')).toBe('deny');
  });

  test('with the concrete matches of a scan, exactly those (and their subtrees) are denied', () => {
    const prof = managed([root('read'), p('/w', 'write'), glob('/w/**/*.env')]);
    const scan = createAccessQuery(prof, ctx, undefined, { denyGlobMatches: ['/w/a.env', '/w/dir.env'] });
    expect(scan.access('/w/a.env')).toBe('deny');
    expect(scan.access('/w/dir.env/x')).toBe('deny');
    // Matches the pattern, but the scan did not find it (created later, too deep, ...): not masked.
    expect(scan.access('/w/later.env')).toBe('write');
    expect(scan.denyGlobFor('/w/later.env')).toBe('/w/**/*.env');
    // Whatever the scan found is masked, pattern or not (a symlink hit is reported at its target).
    const target = createAccessQuery(prof, ctx, undefined, { denyGlobMatches: ['/w/data/target.txt'] });
    expect(target.access('/w/data/target.txt')).toBe('deny');
  });
});

describe('`..` resolved as the kernel walks it (a symlink before `..`)', () => {
  let w: string;
  beforeEach(() => {
    // w/lnk -> w/sub/dir, so w/lnk/.. is w/sub (not w).
    w = path.join(tmp, 'w');
    fs.mkdirSync(path.join(w, 'sub/dir'), { recursive: true });
    fs.mkdirSync(path.join(w, 'sub/ro'));
    fs.mkdirSync(path.join(w, 'sub/wr'));
    fs.writeFileSync(path.join(w, 'sub/secret.txt'), 's');
    fs.symlinkSync('sub/dir', path.join(w, 'lnk'));
  });
  const via = (name: string): string => `${w}/lnk/../${name}`;

  test('a deny entry masks the real file, not the text-normalised path', () => {
    const prof = managed([root('read'), p(w, 'write'), p(via('secret.txt'), 'deny')]);
    const r = resolveSandboxPolicy(prof, ctx);
    expect(r.unreadableRoots).toEqual([path.join(w, 'sub/secret.txt')]);
    const q = createAccessQuery(prof, ctx, r);
    expect(q.access(path.join(w, 'sub/secret.txt'))).toBe('deny');
    expect(q.access(via('secret.txt'))).toBe('deny');
    expect(q.access(path.join(w, 'secret.txt'))).toBe('write');
  });

  test('a read-only carve-out and a writable root spelled through `..` name the real place', () => {
    const prof = managed([root('read'), p(w, 'write'), p(via('ro'), 'read')]);
    expect(resolveSandboxPolicy(prof, ctx).writableRoots[0]?.readOnlySubpaths).toContain(path.join(w, 'sub/ro'));
    expect(canWrite(prof, ctx, path.join(w, 'sub/ro/f'))).toBe(false);
    expect(canWrite(prof, ctx, path.join(w, 'ro/f'))).toBe(true);

    const grant = managed([root('read'), p(via('wr'), 'write')]);
    expect(resolveSandboxPolicy(grant, ctx).writableRoots.map((x) => x.root)).toEqual([path.join(w, 'sub/wr')]);
    expect(canWrite(grant, ctx, path.join(w, 'sub/wr/f'))).toBe(true);
    expect(canWrite(grant, ctx, path.join(w, 'wr/f'))).toBe(false);
  });

  test('workspace roots, $TMPDIR, relative entries and deny-glob prefixes resolve the same way', () => {
    const c = { ...ctx, cwd: w, workspaceRoots: ['lnk/..'], env: { TMPDIR: via('dir') } };
    const prof = managed([root('read'), ws('write'), special('tmpdir', 'write'), glob('lnk/../*.env'), p(via('x'), 'deny')]);
    const r = resolveSandboxPolicy(prof, c);
    expect(r.writableRoots.map((x) => x.root).sort()).toEqual([path.join(w, 'sub'), path.join(w, 'sub/dir')]);
    expect(r.unreadableGlobs).toEqual([path.join(w, 'sub/*.env')]);
    expect(r.unreadableRoots).toEqual([path.join(w, 'sub/x')]);
  });

  test('a `..` must not make a narrowing entry look like the write entry it is not (P21)', () => {
    // Text would say both name w/y: the read-only rule on w/sub/y would be lost to full-disk write.
    const prof = managed([root('write'), p(via('y'), 'read'), p(path.join(w, 'y'), 'write')]);
    const r = resolveSandboxPolicy(prof, ctx);
    expect(r.fullDiskWrite).toBe(false);
    expect(canWrite(prof, ctx, path.join(w, 'sub/y/f'))).toBe(false);
  });

  test('through the config: the key keeps its `..` and resolution follows the link', () => {
    const toml = `default_permissions = "p"\n[permissions.p.filesystem]\n":root" = "read"\n":workspace_roots" = "write"\n"${via('secret.txt')}" = "none"\n`;
    const sel = selectPermissionProfile(parseConfigText(toml, 'config.toml', { homeDir: '/home/u' }), { cwd: w });
    const r = resolveSandboxPolicy(sel.profile, { cwd: w, workspaceRoots: sel.workspaceRoots, env: {} });
    expect(r.unreadableRoots).toEqual([path.join(w, 'sub/secret.txt')]);
  });

  test('a symlink loop before `..` refuses the profile', () => {
    fs.symlinkSync('loop', path.join(w, 'loop'));
    expect(() => resolveSandboxPolicy(managed([root('read'), p(`${w}/loop/../x`, 'deny')]), ctx)).toThrow(/symbolic links at .*\/loop \(a symlink loop\?\)/);
  });
});

describe('P25-P27: writable roots and protected metadata', () => {
  test('Appendix A2 shape: cwd repo with a .git dir; .codex protected even when missing', () => {
    fs.mkdirSync(path.join(tmp, '.git'));
    const prof = managed([root('read'), ws('write'), ...['.git', '.agents', '.codex', '.aws'].map((n) => ({ ...ws('read', n), missingPathBehavior: 'skip' as const }))]);
    const r = resolveSandboxPolicy(prof, ctx);
    expect(r.writableRoots).toEqual([
      { root: tmp, readOnlySubpaths: [path.join(tmp, '.codex'), path.join(tmp, '.git')], protectedMetadataNames: ['.git', '.agents', '.codex', '.aws'] },
    ]);
    expect(r.fullDiskRead).toBe(true);
  });

  test('.git as a gitdir pointer file protects the target first', () => {
    const target = path.join(tmp, 'real-gitdir');
    const repo = path.join(tmp, 'repo');
    fs.mkdirSync(target);
    fs.mkdirSync(repo);
    fs.mkdirSync(path.join(repo, '.agents'));
    fs.writeFileSync(path.join(repo, '.git'), 'gitdir: ../real-gitdir\n');
    const r = resolveSandboxPolicy(managed([root('read'), p(repo, 'write')]), ctx);
    expect(r.writableRoots).toEqual([
      { root: repo, readOnlySubpaths: [target, path.join(repo, '.git'), path.join(repo, '.agents')], protectedMetadataNames: ['.git', '.agents', '.codex', '.aws'] },
    ]);
  });

  test('a gitdir pointer to a missing directory protects only .git', () => {
    const repo = path.join(tmp, 'repo');
    fs.mkdirSync(repo);
    fs.writeFileSync(path.join(repo, '.git'), 'gitdir: /nonexistent/x\n');
    const r = resolveSandboxPolicy(managed([p(repo, 'write')]), ctx);
    expect(r.writableRoots[0]?.readOnlySubpaths).toEqual([path.join(repo, '.git')]);
  });

  test('.codex is protected-if-missing only for the cwd root (P28)', () => {
    const other = path.join(tmp, 'other');
    fs.mkdirSync(other);
    const r = resolveSandboxPolicy(managed([p(tmp, 'write'), p(other, 'write')]), ctx);
    expect(r.writableRoots.find((w) => w.root === tmp)?.readOnlySubpaths).toEqual([path.join(tmp, '.codex')]);
    expect(r.writableRoots.find((w) => w.root === other)?.readOnlySubpaths).toEqual([]);
  });

  test('.aws is protected metadata like .agents: an existing directory is a read-only subpath, a missing one is not writable', () => {
    const repo = path.join(tmp, 'repo');
    fs.mkdirSync(path.join(repo, '.aws'), { recursive: true });
    const prof = managed([root('read'), p(repo, 'write'), p(tmp, 'write')]);
    const r = resolveSandboxPolicy(prof, ctx);
    expect(r.writableRoots.find((w) => w.root === repo)?.readOnlySubpaths).toEqual([path.join(repo, '.aws')]);
    expect(r.writableRoots.every((w) => w.protectedMetadataNames.includes('.aws'))).toBe(true);
    expect(canWrite(prof, ctx, path.join(repo, '.aws', 'credentials'))).toBe(false);
    expect(canWrite(prof, ctx, path.join(tmp, '.aws', 'credentials'))).toBe(false);
    expect(canWrite(prof, ctx, path.join(repo, '.awsx'))).toBe(true);
  });

  test('an explicit write entry at R/.git makes that name writable (P26)', () => {
    fs.mkdirSync(path.join(tmp, '.git'));
    const prof = managed([p(tmp, 'write'), p(path.join(tmp, '.git'), 'write')]);
    const r = resolveSandboxPolicy(prof, ctx);
    expect(r.writableRoots.find((w) => w.root === tmp)?.protectedMetadataNames).toEqual(['.agents', '.codex', '.aws']);
    expect(canWrite(prof, ctx, path.join(tmp, '.git/config'))).toBe(true);
    expect(canWrite(prof, ctx, path.join(tmp, '.codex/x'))).toBe(false);
  });

  test('roots are deduplicated and written-over deny entries are not writable roots', () => {
    const r = resolveSandboxPolicy(managed([p('/x', 'write'), p('/x/', 'write'), p('/y', 'write'), p('/y', 'deny')]), ctx);
    expect(r.writableRoots.map((w) => w.root)).toEqual(['/x']);
  });

  test('a symlink below the top level keeps its logical spelling', () => {
    fs.mkdirSync(path.join(tmp, 'real'));
    fs.symlinkSync(path.join(tmp, 'real'), path.join(tmp, 'link'));
    const r = resolveSandboxPolicy(managed([p(path.join(tmp, 'link'), 'write')]), ctx);
    expect(r.writableRoots.map((w) => w.root)).toEqual([path.join(tmp, 'link')]);
  });
});

describe('P29: unreadable roots and globs', () => {
  test('deny paths sorted, / excluded; globs resolved against cwd, sorted, deduplicated', () => {
    const prof = managed([
      root('deny'),
      p('/z', 'deny'),
      p('/a', 'deny'),
      p('/a', 'deny'),
      glob('**/*.env'),
      glob('/abs/*.key'),
      glob('/abs/*.key'),
      glob('codex-project-roots://*.pem'),
      glob('/ignored/*', 'read'),
    ]);
    const r = resolveSandboxPolicy(prof, { ...ctx, workspaceRoots: ['/r1', '/r2'] });
    expect(r.unreadableRoots).toEqual(['/a', '/z']);
    expect(r.unreadableGlobs).toEqual(['/abs/*.key', '/r1/*.pem', '/r2/*.pem', `${tmp}/**/*.env`].sort());
  });

  test('glob_scan_max_depth is carried through', () => {
    expect(resolveSandboxPolicy(managed([root('read')], 'restricted', 3), ctx).globScanMaxDepth).toBe(3);
    expect(resolveSandboxPolicy(managed([root('read')]), ctx).globScanMaxDepth).toBeUndefined();
  });
});

describe('P32: whether to sandbox (no managed network)', () => {
  test.each([
    ['disabled', { type: 'disabled' }, false, 'enabled'],
    ['external restricted', { type: 'external', network: 'restricted' }, false, 'restricted'],
    ['external enabled', { type: 'external', network: 'enabled' }, false, 'enabled'],
    ['unrestricted fs, restricted net', { type: 'managed', fileSystem: { type: 'unrestricted' }, network: 'restricted' }, true, 'restricted'],
    ['unrestricted fs, enabled net', { type: 'managed', fileSystem: { type: 'unrestricted' }, network: 'enabled' }, false, 'enabled'],
    ['root write, enabled net', managed([root('write')], 'enabled'), false, 'enabled'],
    ['root write with carve-outs, enabled net', managed([root('write'), p('/x', 'read')], 'enabled'), true, 'enabled'],
    ['root write, restricted net', managed([root('write')]), true, 'restricted'],
    ['read-only', builtinProfile(':read-only'), true, 'restricted'],
  ] as Array<[string, PermissionProfile, boolean, string]>)('%s', (_n, prof, needs, net) => {
    const r = resolveSandboxPolicy(prof, ctx);
    expect(r.needsSandbox).toBe(needs);
    expect(r.network).toBe(net);
  });

  test('kinds', () => {
    expect(resolveSandboxPolicy({ type: 'disabled' }, ctx).kind).toBe('unrestricted');
    expect(resolveSandboxPolicy({ type: 'external', network: 'restricted' }, ctx).kind).toBe('external-sandbox');
    expect(resolveSandboxPolicy(builtinProfile(':workspace'), ctx).kind).toBe('restricted');
  });
});

describe('end to end: config -> selection -> resolution', () => {
  test('Appendix A1 with workspace roots [/w] materialises {/w write} and {/w/**/*.env deny}', () => {
    const config = parseConfigText(
      'default_permissions = "p"\n[permissions.p.filesystem]\n":root" = "read"\n"~/.ssh" = "none"\n[permissions.p.filesystem.":workspace_roots"]\n"." = "write"\n"**/*.env" = "none"\n',
      'config.toml',
      { homeDir: '/home/u' },
    );
    const sel = selectPermissionProfile(config, { cwd: '/w' });
    const r = resolveSandboxPolicy(sel.profile, { cwd: '/w', workspaceRoots: sel.workspaceRoots, env: {} });
    expect(r.writableRoots.map((w) => w.root)).toEqual(['/w']);
    expect(r.unreadableGlobs).toEqual(['/w/**/*.env']);
    expect(r.unreadableRoots).toEqual(['/home/u/.ssh']);
    expect(r.fullDiskRead).toBe(false);
    expect(r.readableRoots).toEqual(['/', '/w']);
  });
});

describe('P24: lexical and canonical spellings', () => {
  test('a symlink into a denied directory is denied; into a read-only one is not writable', () => {
    const secret = path.join(tmp, 'secret');
    const ro = path.join(tmp, 'ro');
    const work = path.join(tmp, 'work');
    for (const d of [secret, ro, work]) fs.mkdirSync(d);
    fs.symlinkSync(secret, path.join(work, 'to-secret'));
    fs.symlinkSync(ro, path.join(work, 'to-ro'));
    const prof = managed([root('read'), p(work, 'write'), p(secret, 'deny'), p(ro, 'read')]);
    const q = createAccessQuery(prof, ctx);
    expect(q.entryAccess(path.join(work, 'to-secret/k'))).toBe('write');
    expect(q.access(path.join(work, 'to-secret/k'))).toBe('deny');
    expect(q.access(path.join(work, 'to-ro/f'))).toBe('read');
    expect(q.access(path.join(work, 'plain'))).toBe('write');
  });

  test('a workspace reached through a symlinked directory stays writable, metadata stays read-only', () => {
    const real = path.join(tmp, 'real');
    const alias = path.join(tmp, 'alias');
    fs.mkdirSync(real);
    fs.symlinkSync(real, alias);
    const prof = managed([root('read'), ws('write')]);
    const c = { ...ctx, cwd: alias };
    expect(accessForPath(prof, c, path.join(alias, 'f'))).toBe('write');
    expect(accessForPath(prof, c, path.join(real, 'f'))).toBe('write');
    expect(accessForPath(prof, c, path.join(alias, '.git/config'))).toBe('read');
  });

  test('a deny in either spelling wins: a link inside a denied directory to a writable place is denied', () => {
    // The mounts hide the denied directory, link and all: the link's target being writable must not
    // make the path as spelled look reachable (its canonical answer alone would be `write`).
    const work = path.join(tmp, 'work');
    const secret = path.join(work, 'secret');
    fs.mkdirSync(secret, { recursive: true });
    fs.symlinkSync(work, path.join(secret, 'back'));
    const q = createAccessQuery(managed([root('read'), p(work, 'write'), p(secret, 'deny')]), ctx);
    expect(q.access(path.join(work, 'f'))).toBe('write');
    expect(q.access(path.join(secret, 'back/f'))).toBe('deny');
    expect(q.canRead(path.join(secret, 'back/f'))).toBe(false);
    // The same for a deny glob matching the spelled path.
    const g = createAccessQuery(managed([root('read'), p(work, 'write'), glob(path.join(work, 'sec*'))]), ctx);
    expect(g.access(path.join(secret, 'back/f'))).toBe('deny');
  });
});

describe('Appendix A3 (policy side): :root=read, /b=deny, /b/a=write', () => {
  test('restricted branch with / readable, /b unreadable, /b/a writable with all metadata names protected', () => {
    const b = path.join(tmp, 'b');
    fs.mkdirSync(path.join(b, 'a'), { recursive: true });
    const r = resolveSandboxPolicy(managed([root('read'), p(b, 'deny'), p(path.join(b, 'a'), 'write')]), ctx);
    expect(r.fullDiskRead).toBe(false);
    expect(r.readableRoots).toEqual(['/', path.join(b, 'a')]);
    expect(r.unreadableRoots).toEqual([b]);
    expect(r.writableRoots).toEqual([{ root: path.join(b, 'a'), readOnlySubpaths: [], protectedMetadataNames: ['.git', '.agents', '.codex', '.aws'] }]);
  });
});

test('a relative policy cwd is a PolicyError', () => {
  expect(() => resolveSandboxPolicy(builtinProfile(':read-only'), { cwd: 'rel', workspaceRoots: [], env: {} })).toThrow('policy cwd `rel` must be an absolute path');
});
