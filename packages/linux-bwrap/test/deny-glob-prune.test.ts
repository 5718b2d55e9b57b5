// The walker's pruning (deny-glob-prune.ts): it may only rule out, never decide. Every pattern x
// tree here must give exactly the hits of an unpruned reference walk (every entry listed, every
// path tested by the full matcher), and the walker must list only what can matter yet still fail
// on any directory it needs and cannot list.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { compileGlobWalk, splitGlobSegments } from '../src/deny-glob-prune.js';
import { compileGlobMatcher, scanWithWalker, type ScanHit, type ScanHitKind } from '../src/deny-glob-scan.js';
import { escapeUnclosedBrackets } from '../src/deny-globs.js';
import { DenyGlobError } from '../src/errors.js';
import { makeTree as makeTreeUnder, type TreeNode } from './support/glob-tree.js';

let base: string;
beforeAll(() => {
  base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'deny-glob-prune-')));
});
afterAll(() => fs.rmSync(base, { recursive: true, force: true }));
afterEach(() => jest.restoreAllMocks());
// The module object itself (the namespace import above is a read-only view of it): spied on, the
// scanner's own calls go through the spy.
const fsModule = require('node:fs') as typeof fs;

const makeTree = (spec: Record<string, TreeNode>): string => makeTreeUnder(base, spec);

/** Unpruned: list every entry to the depth cap, test every path, keep the outermost hits. */
function referenceScan(root: string, globs: readonly string[], maxDepth: number | undefined): ScanHit[] {
  const matches = compileGlobMatcher(root, globs);
  const all: ScanHit[] = [];
  const visit = (dir: string, relative: string, depth: number): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const rel = relative === '' ? entry.name : `${relative}/${entry.name}`;
      const kind: ScanHitKind = entry.isFile() ? 'file' : entry.isDirectory() ? 'dir' : entry.isSymbolicLink() ? 'symlink' : 'other';
      if (matches(rel)) all.push({ relative: rel, kind });
      if (entry.isDirectory() && (maxDepth === undefined || depth < maxDepth)) visit(path.join(dir, entry.name), rel, depth + 1);
    }
  };
  visit(root, '', 1);
  const dirs = new Set(all.filter((hit) => hit.kind === 'dir').map((hit) => hit.relative));
  return all
    .filter((hit) => !hit.relative.split('/').some((_, i, parts) => i > 0 && dirs.has(parts.slice(0, i).join('/'))))
    .sort((a, b) => (a.relative < b.relative ? -1 : a.relative > b.relative ? 1 : 0));
}

describe('splitGlobSegments', () => {
  it.each([
    ['**/*.env', ['**', '*.env']],
    ['a/{b,c}/*.env', ['a', '{b,c}', '*.env']],
    ['a/[bc]/d', ['a', '[bc]', 'd']],
    ['\\[abc/x', ['\\[abc', 'x']],
    ['*', ['*']],
  ])('%s -> %p', (glob, segments) => {
    expect(splitGlobSegments(glob)).toEqual(segments);
  });

  it.each(['a/{b/c,d}/e', 'a/[b/]/c', 'a\\/b', 'a//b', 'a/', 'a\\'])('%s does not split into independent segments (null)', (glob) => {
    expect(splitGlobSegments(glob)).toBeNull();
  });
});

describe('compileGlobWalk', () => {
  it('descends only where a glob can still match, and only lets completing names through', () => {
    const walk = compileGlobWalk(['a/b/*.env']);
    expect(walk.descend(walk.start, 'x')).toBeNull();
    const a = walk.descend(walk.start, 'a');
    expect(a).not.toBeNull();
    const b = walk.descend(a!, 'b');
    expect(b).not.toBeNull();
    // Inside a/b a glob ends: nothing below a directory there can match.
    expect(walk.descend(b!, 'deeper')).toBeNull();
    expect(walk.mayMatch(b!, 'x.env')).toBe(true);
    expect(walk.mayMatch(b!, 'x.txt')).toBe(false);
    expect(walk.mayMatch(walk.start, 'a')).toBe(false);
  });

  it('a ** keeps every directory alive and lets a trailing ** match any name', () => {
    const walk = compileGlobWalk(['**/*.env', 'keep/**']);
    let state = walk.start;
    for (const name of ['x', 'y', 'z']) state = walk.descend(state, name)!;
    expect(state).not.toBeNull();
    expect(walk.mayMatch(state, 'f.env')).toBe(true);
    expect(walk.mayMatch(state, 'f.txt')).toBe(false);
    const keep = walk.descend(walk.start, 'keep')!;
    expect(walk.mayMatch(keep, 'anything')).toBe(true);
    // `keep/**` matches `keep` itself (picomatch does), so the name is let through at the root.
    expect(walk.mayMatch(walk.start, 'keep')).toBe(true);
  });

  it('a glob it cannot take apart is followed everywhere, every name tested', () => {
    const walk = compileGlobWalk(['a/{b/c,d}/e']);
    const x = walk.descend(walk.start, 'x');
    expect(x).not.toBeNull();
    expect(walk.mayMatch(x!, 'anything')).toBe(true);
  });
});

describe('the pruned walker gives exactly the unpruned result', () => {
  const TREES: Record<string, Record<string, TreeNode>> = {
    nested: {
      'a.env': '',
      '.hidden.env': '',
      'a/b.env': '',
      'a/b/c.env': '',
      'a/b/c/d/e.env': '',
      'a/b/notes.txt': '',
      'a/x/b/y.env': '',
      'b/b/b/b.env': '',
      'dir.env/inner.txt': '',
      'dir.env/nested.env/deeper.txt': '',
      'keep/one/two': '',
      'empty.env': null,
      'link-dir.env': { link: 'a' },
      'link-a': { link: 'a' },
      'dangling.env': { link: 'nowhere' },
      'fifo.env': { fifo: true },
      '[x].env': '',
      '[abc/f': '',
      'x/[x]/g.env': '',
      '{a,b}/lit': '',
      'sp ace/q.env': '',
    },
    wide: Object.fromEntries(
      Array.from({ length: 60 }, (_, i) => [`d${i % 3}/e${i % 4}/f${i}.${i % 5 === 0 ? 'env' : 'txt'}`, ''] as const),
    ),
  };
  const PATTERNS = [
    '**/*.env',
    '*.env',
    'a/b/*.env',
    'a/*/c.env',
    'a/**/*.env',
    '**/b/*.env',
    'a/**/b/**/*.env',
    '{a,b}/**',
    '{a,b}/*',
    'a/{b/c,x/b}/*',
    '[ab]/*',
    '**/[x]*',
    escapeUnclosedBrackets('[abc/f'),
    '\\{a,b\\}/lit',
    'keep/**',
    '**',
    '*',
    'd1/e2/*',
    'd?/e[13]/f*.env',
    '**/e0/**/f1*',
    'a/b/c/d/e.env',
    'sp ace/*',
    'nothing/here/*',
  ];
  const DEPTHS = [undefined, 1, 2, 3];
  const cases = Object.keys(TREES).flatMap((tree) => PATTERNS.flatMap((pattern) => DEPTHS.map((depth) => [tree, pattern, depth] as const)));
  const roots = new Map<string, string>();
  beforeAll(() => {
    for (const [name, spec] of Object.entries(TREES)) roots.set(name, makeTree(spec));
  });

  it.each(cases)('%s tree, %s at depth %s', async (tree, pattern, depth) => {
    const root = roots.get(tree)!;
    expect(await scanWithWalker(root, [pattern], depth)).toEqual(referenceScan(root, [pattern], depth));
  });

  it('several globs at once, and the comparison is not vacuous', async () => {
    const root = roots.get('nested')!;
    const globs = ['a/b/*.env', '**/[x]*', 'keep/**', 'a/{b/c,x/b}/*'];
    const hits = await scanWithWalker(root, globs, undefined);
    expect(hits).toEqual(referenceScan(root, globs, undefined));
    // a/x/b/y.env and x/[x] lie below matching directories (a/x, x): one mask each covers them.
    expect(hits.map((hit) => `${hit.kind} ${hit.relative}`)).toEqual(['file [x].env', 'file a/b/c.env', 'dir a/b/c/d', 'dir a/x', 'dir keep', 'dir x']);
  });
});

describe('the walker lists only what can matter, and fails on what it needs', () => {
  let root: string;
  beforeAll(() => {
    root = makeTree({ 'a/b/x.env': '', 'a/c/y.env': '', 'other/deep/z.env': '', 'match.env/inside/w.env': '' });
  });

  async function listed(globs: string[]): Promise<string[]> {
    const spy = jest.spyOn(fsModule, 'readdir');
    await scanWithWalker(root, globs, undefined);
    return spy.mock.calls.map(([dir]) => path.relative(root, String(dir)) || '.').sort();
  }

  it('a literal prefix lists only its own directories', async () => {
    expect(await listed(['a/b/*.env'])).toEqual(['.', 'a', 'a/b']);
  });

  it('a matching directory is one hit and is not listed (its mask covers it)', async () => {
    expect(await listed(['*.env', 'a/*/*.env'])).toEqual(['.', 'a', 'a/b', 'a/c']);
  });

  it('a directory it needs and cannot list fails the scan (fail closed)', async () => {
    const real = fsModule.readdir;
    jest.spyOn(fsModule, 'readdir').mockImplementation(((dir: fs.PathLike, options: unknown, callback: (error: Error | null, entries?: unknown) => void) => {
      if (String(dir) === path.join(root, 'a', 'c')) {
        process.nextTick(() => callback(Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' })));
        return;
      }
      (real as unknown as (d: fs.PathLike, o: unknown, c: typeof callback) => void)(dir, options, callback);
    }) as unknown as typeof fs.readdir);
    await expect(scanWithWalker(root, ['a/*/*.env'], undefined)).rejects.toThrow(DenyGlobError);
    await expect(scanWithWalker(root, ['a/*/*.env'], undefined)).rejects.toThrow(/cannot list .*a\/c: EACCES/);
    // A glob that cannot reach a/c never needs it listed.
    expect(await scanWithWalker(root, ['a/b/*.env'], undefined)).toEqual([{ relative: 'a/b/x.env', kind: 'file' }]);
  });
});
