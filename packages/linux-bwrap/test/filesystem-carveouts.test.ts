// Table tests over the pure planner for the carve-out hardening of issue 10: several carve-outs
// below one missing directory (item 10), pinned writable ancestors of carve-outs (item 8) and the
// front end's protected paths such as CODEX_HOME (item 5). Exact filesystem argv, $T = the tree.
// The same shapes run under real bwrap in filesystem-carveouts-bwrap.test.ts.
import * as fs from 'node:fs';
import { BwrapArgsError } from '../src/errors.js';
import { useGoldenTrees, type TreeSpec } from './support/golden.js';

const g = useGoldenTrees('fs-carveouts-');
const BASE = '--ro-bind / / --dev /dev';
const WS = `${BASE} --bind $T/ws $T/ws`;

interface Shape {
  tree: TreeSpec;
  /** Read-only carve-outs of the writable root `ws` (relative to the tree). */
  readOnly?: string[];
  denied?: string[];
  names?: Array<'.git' | '.agents' | '.codex' | '.aws'>;
  protectedPaths?: string[];
}

function plan(shape: Shape) {
  g.tree(shape.tree);
  const denied = shape.denied ?? [];
  const p = g.policy({
    writableRoots: [g.root('ws', (shape.readOnly ?? []).map((r) => `ws/${r}`), shape.names ?? [])],
    unreadableRoots: denied.map((d) => g.t(`ws/${d}`)),
    // A deny needs a readable-root model: `/` readable as a rule, not full-disk read.
    ...(denied.length > 0 ? { fullDiskRead: false, readableRoots: ['/'] } : {}),
  });
  return g.build(p, { protectedPaths: (shape.protectedPaths ?? []).map((r) => g.t(r)) });
}

describe('item 10: any set of carve-outs below missing paths gets one placeholder per host path', () => {
  it.each<[string, Shape, string, string[]]>([
    ['two read-only entries below a missing .claude', { tree: { 'ws/': null }, readOnly: ['.claude/commands', '.claude/agents'] }, `${WS} --ro-bind-data 5 $T/ws/.claude`, ['file $T/ws/.claude']],
    ['two denied entries below a missing x', { tree: { 'ws/': null }, denied: ['x/a', 'x/b'] }, `${WS} --ro-bind-data 5 $T/ws/x`, ['file $T/ws/x']],
    ['a denied entry and a deny below it', { tree: { 'ws/': null }, denied: ['x/a', 'x/a/b'] }, `${WS} --ro-bind-data 5 $T/ws/x`, ['file $T/ws/x']],
    ['a read-only entry and a deny below it', { tree: { 'ws/': null }, readOnly: ['x/a'], denied: ['x/a/b'] }, `${WS} --ro-bind-data 5 $T/ws/x`, ['file $T/ws/x']],
    ['a read-only entry and a read-only entry below it', { tree: { 'ws/': null }, readOnly: ['x', 'x/a'] }, `${WS} --ro-bind-data 5 $T/ws/x`, ['file $T/ws/x']],
    ['three entries at different depths', { tree: { 'ws/': null }, readOnly: ['x/a/b', 'x/c'], denied: ['x/a/d/e'] }, `${WS} --ro-bind-data 5 $T/ws/x`, ['file $T/ws/x']],
    ['a missing deny with a read grant below it', { tree: { 'ws/': null }, readOnly: ['x/y'], denied: ['x'] }, `${WS} --ro-bind-data 5 $T/ws/x`, ['file $T/ws/x']],
    [
      'entries below a missing directory inside an existing one (its ancestor pinned)',
      { tree: { 'ws/sub/': null }, readOnly: ['sub/x/a', 'sub/x/b'], denied: ['sub/x/c'] },
      `${WS} --bind $T/ws/sub $T/ws/sub --ro-bind-data 5 $T/ws/sub/x`,
      ['file $T/ws/sub/x'],
    ],
    [
      'a missing protected name and an explicit entry below it',
      { tree: { 'ws/': null }, readOnly: ['.git/hooks', '.git/config'], names: ['.git'] },
      `${WS} --perms 555 --tmpfs $T/ws/.git --remount-ro $T/ws/.git`,
      ['dir $T/ws/.git'],
    ],
    [
      'an empty file at x (a concurrent run\'s placeholder) is reused, not refused',
      { tree: { 'ws/x': '' }, readOnly: ['x/a', 'x/b'], denied: ['x/c'] },
      `${WS} --ro-bind-data 5 $T/ws/x`,
      ['file $T/ws/x preexisting'],
    ],
    [
      'an empty protected-name file and an entry below it',
      { tree: { 'ws/.git': '' }, readOnly: ['.git/hooks'], names: ['.git'] },
      `${WS} --ro-bind-data 5 $T/ws/.git`,
      ['file $T/ws/.git preexisting'],
    ],
  ])('%s', (_name, shape, expected, targets) => {
    const built = plan(shape);
    expect(g.fsArgs(built)).toBe(expected);
    expect(g.targets(built)).toEqual(targets);
  });

  it('a non-empty file above a carve-out is still refused (the command could replace it)', () => {
    expect(() => plan({ tree: { 'ws/x': 'data' }, readOnly: ['x/a', 'x/b'] })).toThrow(
      /cannot enforce sandbox read-only path .*\/ws\/x\/a because .*\/ws\/x is a writable non-directory above it/,
    );
  });
});

describe('item 8: every writable directory between a writable root and a carve-out is a mount point', () => {
  it.each<[string, Shape, string]>([
    ['a read-only carve-out one level down', { tree: { 'ws/sub/ro/r.txt': 'r' }, readOnly: ['sub/ro'] }, `${WS} --bind $T/ws/sub $T/ws/sub --ro-bind $T/ws/sub/ro $T/ws/sub/ro`],
    [
      'carve-outs several levels deep share their pins',
      { tree: { 'ws/a/b/c/ro/f': 'r', 'ws/a/b/s.txt': 's', 'ws/a/e/': null }, readOnly: ['a/b/c/ro', 'a/e'], denied: ['a/b/s.txt'] },
      `${WS} --bind $T/ws/a $T/ws/a --ro-bind $T/ws/a/e $T/ws/a/e --bind $T/ws/a/b $T/ws/a/b --bind $T/ws/a/b/c $T/ws/a/b/c --ro-bind $T/ws/a/b/c/ro $T/ws/a/b/c/ro --perms 000 --ro-bind-data 5 $T/ws/a/b/s.txt`,
    ],
    [
      'a denied directory deep down',
      { tree: { 'ws/a/b/keys/k': 'k' }, denied: ['a/b/keys'] },
      `${WS} --bind $T/ws/a $T/ws/a --bind $T/ws/a/b $T/ws/a/b --perms 000 --tmpfs $T/ws/a/b/keys --remount-ro $T/ws/a/b/keys`,
    ],
    [
      'a missing carve-out pins the existing ancestors of its placeholder',
      { tree: { 'ws/a/b/': null }, readOnly: ['a/b/gone/x'] },
      `${WS} --bind $T/ws/a $T/ws/a --bind $T/ws/a/b $T/ws/a/b --ro-bind-data 5 $T/ws/a/b/gone`,
    ],
    [
      'nothing is pinned inside a read-only carve-out',
      { tree: { 'ws/ro/x/y/z': 'z' }, readOnly: ['ro', 'ro/x/y'] },
      `${WS} --ro-bind $T/ws/ro $T/ws/ro`,
    ],
    [
      'nothing is pinned inside a deny mask; the grant below it is reopened as before',
      { tree: { 'ws/d/x/pub/f': 'f', 'ws/d/s': 's' }, readOnly: ['d/x/pub'], denied: ['d'] },
      `${WS} --perms 111 --tmpfs $T/ws/d --dir $T/ws/d/x --dir $T/ws/d/x/pub --remount-ro $T/ws/d --ro-bind $T/ws/d/x/pub $T/ws/d/x/pub`,
    ],
  ])('%s', (_name, shape, expected) => {
    expect(g.fsArgs(plan(shape))).toBe(expected);
  });

  it("a nested writable root's ancestors are pinned before it is bound, so its metadata cannot be carried away", () => {
    g.tree({ 'ws/a/r/.git/config': 'c' });
    const built = g.build(g.policy({ writableRoots: [g.root('ws'), g.root('ws/a/r', ['ws/a/r/.git'], ['.git'])] }));
    expect(g.fsArgs(built)).toBe(`${WS} --bind $T/ws/a $T/ws/a --bind $T/ws/a/r $T/ws/a/r --ro-bind $T/ws/a/r/.git $T/ws/a/r/.git`);
  });

  it('extra read-only binds (placeholder registry, probe cache) pin their ancestors too', () => {
    g.tree({ 'ws/.cache/codex-sandbox/': null });
    const built = g.build(g.policy({ writableRoots: [g.root('ws')] }), { extraReadOnlyBinds: [g.t('ws/.cache/codex-sandbox')] });
    expect(g.fsArgs(built)).toBe(`${WS} --bind $T/ws/.cache $T/ws/.cache --ro-bind $T/ws/.cache/codex-sandbox $T/ws/.cache/codex-sandbox`);
  });

  it('a writable root / pins the ancestors of its carve-outs, never /dev', () => {
    g.tree({ 'repo/.git/HEAD': 'h' });
    const slash = { root: '/', readOnlySubpaths: [g.t('repo/.git')], protectedMetadataNames: [] };
    const built = g.build(g.policy({ writableRoots: [slash] }), { denyGlobMatches: ['/dev/shm/x'] });
    const shown = g.fsArgs(built);
    expect(shown).toContain('--bind $T/repo $T/repo --ro-bind $T/repo/.git $T/repo/.git');
    expect(shown).not.toMatch(/--bind \/dev(\/shm)? \/dev/);
  });
});

describe('item 5: protected paths (CODEX_HOME and its config files) stay read-only', () => {
  it.each<[string, Shape, string, string[]]>([
    [
      'an existing CODEX_HOME inside the workspace, its config inside it',
      { tree: { 'ws/home/config.toml': 'x' }, protectedPaths: ['ws/home', 'ws/home/config.toml'] },
      `${WS} --ro-bind $T/ws/home $T/ws/home`,
      [],
    ],
    [
      'a missing CODEX_HOME inside the workspace: an empty read-only directory',
      { tree: { 'ws/': null }, protectedPaths: ['ws/home', 'ws/home/config.toml'] },
      `${WS} --perms 555 --tmpfs $T/ws/home --remount-ro $T/ws/home`,
      ['dir $T/ws/home'],
    ],
    [
      'an existing empty CODEX_HOME is a placeholder another run may own',
      { tree: { 'ws/home/': null }, protectedPaths: ['ws/home'] },
      `${WS} --perms 555 --tmpfs $T/ws/home --remount-ro $T/ws/home`,
      ['dir $T/ws/home preexisting'],
    ],
    [
      'a missing CODEX_HOME deeper down: read-only file at the first missing part, ancestors pinned',
      { tree: { 'ws/a/': null }, protectedPaths: ['ws/a/b/home', 'ws/a/b/home/config.toml'] },
      `${WS} --bind $T/ws/a $T/ws/a --ro-bind-data 5 $T/ws/a/b`,
      ['file $T/ws/a/b'],
    ],
    [
      'a config file that links into the workspace is protected where it really is',
      { tree: { 'ws/cfg.toml': 'x', 'home/config.toml': { link: '$T/ws/cfg.toml' } }, protectedPaths: ['home', 'home/config.toml'] },
      `${WS} --ro-bind $T/ws/cfg.toml $T/ws/cfg.toml`,
      [],
    ],
    [
      'a dangling config link into the workspace: its target cannot be created',
      { tree: { 'ws/': null, 'home/config.toml': { link: '$T/ws/cfg.toml' } }, protectedPaths: ['home', 'home/config.toml'] },
      `${WS} --ro-bind-data 5 $T/ws/cfg.toml`,
      ['file $T/ws/cfg.toml'],
    ],
    ['outside every writable root: nothing to add', { tree: { 'ws/': null, 'home/config.toml': 'x' }, protectedPaths: ['home', 'home/config.toml'] }, WS, []],
    [
      'a deny-glob hit inside CODEX_HOME is masked after the read-only bind (so it stays masked)',
      { tree: { 'ws/home/.env': 's' }, denied: ['home/.env'], protectedPaths: ['ws/home'] },
      `${WS} --ro-bind $T/ws/home $T/ws/home --perms 000 --ro-bind-data 5 $T/ws/home/.env`,
      [],
    ],
    [
      'a denied CODEX_HOME stays denied, never reopened for reading',
      { tree: { 'ws/home/auth.json': 's' }, denied: ['home'], protectedPaths: ['ws/home', 'ws/home/auth.json'] },
      `${WS} --perms 000 --tmpfs $T/ws/home --remount-ro $T/ws/home`,
      [],
    ],
  ])('%s', (_name, shape, expected, targets) => {
    const built = plan(shape);
    expect(g.fsArgs(built)).toBe(expected);
    expect(g.targets(built)).toEqual(targets);
  });

  it('is refused when the command could redirect it through a symlink it can write', () => {
    g.tree({ 'ws/': null, 'elsewhere/': null, 'ws/link': { link: '$T/elsewhere' } });
    const attempt = () => g.build(g.policy({ writableRoots: [g.root('ws')] }), { protectedPaths: [g.t('ws/link/home')] });
    expect(attempt).toThrow(BwrapArgsError);
    expect(attempt).toThrow(`cannot enforce sandbox read-only path ${g.t('ws/link/home')} because it crosses writable symlink ${g.t('ws/link')}`);
  });

  it('is refused when the policy makes it a writable root itself', () => {
    g.tree({ 'ws/': null });
    const attempt = () => g.build(g.policy({ writableRoots: [g.root('ws')] }), { protectedPaths: [g.t('ws')] });
    expect(attempt).toThrow(new RegExp(`cannot keep ${g.t('ws')} read-only: the policy makes it a writable root`));
  });

  it('must be absolute', () => {
    g.tree({ 'ws/': null });
    expect(() => g.build(g.policy({ writableRoots: [g.root('ws')] }), { protectedPaths: ['rel/home'] })).toThrow(
      'protected path rel/home is not an absolute path; the resolved policy must contain absolute paths only',
    );
  });

  it('a writable root below CODEX_HOME is still writable (the most specific rule wins)', () => {
    g.tree({ 'ws/home/tmp/': null, 'ws/home/config.toml': 'x' });
    const built = g.build(g.policy({ writableRoots: [g.root('ws'), g.root('ws/home/tmp')] }), { protectedPaths: [g.t('ws/home')] });
    expect(g.fsArgs(built)).toBe(`${WS} --ro-bind $T/ws/home $T/ws/home --bind $T/ws/home/tmp $T/ws/home/tmp`);
    expect(fs.existsSync(g.t('ws/home/config.toml'))).toBe(true);
  });
});
