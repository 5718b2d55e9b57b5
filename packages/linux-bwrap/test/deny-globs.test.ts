import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { scanWithTools, scanWithWalker } from '../src/deny-glob-scan.js';
import { DenyGlobError } from '../src/errors.js';
import { makeTree as makeTreeUnder, type TreeNode } from './support/glob-tree.js';
import {
  MAX_GLOB_MATCHES_PER_ROOT,
  escapeUnclosedBrackets,
  expandDenyGlobs,
  findExecutableOnPath,
  splitDenyGlob,
} from '../src/deny-globs.js';

let base: string;
beforeAll(() => {
  base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'deny-globs-')));
});
afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

const makeTree = (spec: Record<string, TreeNode>): string => makeTreeUnder(base, spec);

describe('splitDenyGlob', () => {
  it.each([
    ['/w/**/*.env', '/w', '**/*.env'],
    ['/w/a/*.env', '/w/a', '*.env'],
    ['/w/a/b?.txt', '/w/a', 'b?.txt'],
    ['/w/a/[xy]/k', '/w/a', '[xy]/k'],
    ['/w/{a,b}/k', '/w', '{a,b}/k'],
    ['/w/a/secret', '/w/a', 'secret'],
  ])('%s -> root %s glob %s', (pattern, root, glob) => {
    expect(splitDenyGlob(pattern)).toEqual({ root, glob });
  });

  it.each(['/*.env', '/**', '/**/*.env', '/[ab]/x', '/', '/secret'])('rejects root-prefix pattern %s', (pattern) => {
    expect(() => splitDenyGlob(pattern)).toThrow(DenyGlobError);
    expect(() => splitDenyGlob(pattern)).toThrow(
      `unreadable glob \`${pattern}\` cannot be safely expanded; use a pattern with a non-root directory prefix`,
    );
  });

  it('refuses a .. in the directory prefix instead of collapsing it as text', () => {
    expect(() => splitDenyGlob('/w/lnk/../*.env')).toThrow(
      'unreadable glob `/w/lnk/../*.env` has a .. segment in its directory prefix; resolve the prefix first',
    );
  });

  it('rejects . and .. after the first glob character, collapses repeated slashes', () => {
    expect(() => splitDenyGlob('/w/*/../secret')).toThrow(/has a \. or \.\. segment/);
    expect(() => splitDenyGlob('/w/**/./x')).toThrow(DenyGlobError);
    expect(splitDenyGlob('/w/**//*.env')).toEqual({ root: '/w', glob: '**/*.env' });
  });

  it('rejects relative patterns', () => {
    expect(() => splitDenyGlob('**/*.env')).toThrow(/is not absolute/);
  });
});

it.each([
  ['[abc', '\\[abc'],
  ['[ab]c', '[ab]c'],
  ['a[]', 'a\\[]'],
  ['x[a]y[', 'x[a]y\\['],
  ['\\[abc', '\\[abc'],
])('escapeUnclosedBrackets(%p) = %p', (glob, expected) => {
  expect(escapeUnclosedBrackets(glob)).toBe(expected);
});

const rgPath = findExecutableOnPath('rg', process.env.PATH ?? '/usr/bin:/bin', []);
const findPath = findExecutableOnPath('find', process.env.PATH ?? '/usr/bin:/bin', []);
const BACKENDS: Array<['ripgrep + find' | 'walker', string | null]> = [
  ['ripgrep + find', rgPath ?? '/nonexistent/rg-is-required-for-this-test'],
  ['walker', null],
];

describe.each(BACKENDS)('expandDenyGlobs with %s', (backend, rg) => {
  beforeAll(() => {
    if (backend !== 'walker' && (rgPath === null || findPath === null)) {
      throw new Error('ripgrep (rg) and find must be on PATH for the ripgrep + find backend tests');
    }
  });

  let root: string;
  beforeAll(() => {
    root = makeTree({
      'x.env': 's',
      '.e.env': 's',
      'a/y.env': 's',
      'a/b/z.env': 's',
      'a/b/notes.txt': 'n',
      '.hid/h.env': 's',
      '[abc': 's',
      'l.env': { link: 'other/target.txt' },
      'other/target.txt': 't',
      linkdir: { link: 'a' },
      '.gitignore': '*\n',
    });
  });
  const p = (...rel: string[]): string => path.join(root, ...rel);

  it('matches at any depth with **, including dotfiles and ignored files', async () => {
    // l.env is a symlink: reported at its real location (find lists it; rg --files would not).
    const expected = [p('.e.env'), p('.hid/h.env'), p('a/b/z.env'), p('a/y.env'), p('other/target.txt'), p('x.env')];
    expect(await expandDenyGlobs([`${root}/**/*.env`], { rgPath: rg })).toEqual(expected.sort());
  });

  it('anchors a slash-free glob at the search root (no matches deeper down)', async () => {
    const expected = [p('.e.env'), p('other/target.txt'), p('x.env')];
    expect(await expandDenyGlobs([`${root}/*.env`], { rgPath: rg })).toEqual(expected.sort());
  });

  it('respects the depth cap (1 = direct children) and 0 = no expansion', async () => {
    const expected = [p('.e.env'), p('other/target.txt'), p('x.env')];
    expect(await expandDenyGlobs([`${root}/**/*.env`], { rgPath: rg, maxDepth: 1 })).toEqual(expected.sort());
    expect(await expandDenyGlobs([`${root}/**/*.env`], { rgPath: rg, maxDepth: 2 })).toEqual(
      [...expected, p('.hid/h.env'), p('a/y.env')].sort(),
    );
    expect(await expandDenyGlobs([`${root}/**/*.env`], { rgPath: rg, maxDepth: 0 })).toEqual([]);
  });

  it('supports braces and classes, and treats an unclosed [ as a literal', async () => {
    expect(await expandDenyGlobs([`${root}/a/{b,c}/*.env`], { rgPath: rg })).toEqual([p('a/b/z.env')]);
    expect(await expandDenyGlobs([`${root}/a/[b]/*.txt`], { rgPath: rg })).toEqual([p('a/b/notes.txt')]);
    expect(await expandDenyGlobs([`${root}/[abc`], { rgPath: rg })).toEqual([p('[abc')]);
  });

  it('searches through a symlinked search root and reports real locations', async () => {
    expect(await expandDenyGlobs([`${root}/linkdir/*.env`], { rgPath: rg })).toEqual([p('a/y.env')]);
  });

  it('drops dangling symlink hits (nothing to hide)', async () => {
    const dangling = makeTree({ 'ok.key': '', 'gone.key': { link: 'nowhere' } });
    expect(await expandDenyGlobs([`${dangling}/*.key`], { rgPath: rg })).toEqual([path.join(dangling, 'ok.key')]);
  });

  it('does not descend into symlinked directories', async () => {
    const hits = await expandDenyGlobs([`${root}/**/y.env`], { rgPath: rg });
    expect(hits).toEqual([p('a/y.env')]);
  });

  it('merges several patterns and roots, sorted and unique', async () => {
    const hits = await expandDenyGlobs([`${root}/a/**/*.env`, `${root}/a/*.env`, `${root}/.hid/*`], { rgPath: rg });
    expect(hits).toEqual([p('.hid/h.env'), p('a/b/z.env'), p('a/y.env')]);
  });

  it('skips search roots that do not exist or are not directories', async () => {
    expect(await expandDenyGlobs([`${root}/missing/*.env`, `${root}/x.env/*`], { rgPath: rg })).toEqual([]);
  });

  it(`refuses more than ${MAX_GLOB_MATCHES_PER_ROOT} matches for one root, naming the pattern, the count and the way out`, async () => {
    const big = fs.mkdtempSync(path.join(base, 'big-'));
    for (let i = 0; i < MAX_GLOB_MATCHES_PER_ROOT + 5; i++) fs.writeFileSync(path.join(big, `f${i}.key`), '');
    fs.writeFileSync(path.join(big, 'a.pem'), '');
    const patterns = [`${big}/*.pem`, `${big}/*.key`];
    await expect(expandDenyGlobs(patterns, { rgPath: rg })).rejects.toThrow(
      `deny-read glob \`${big}/*.key\` matched ${MAX_GLOB_MATCHES_PER_ROOT + 5} paths under ${big} (${MAX_GLOB_MATCHES_PER_ROOT + 6} in all with \`${big}/*.pem\`: 1); ` +
        `a sandbox can mask at most ${MAX_GLOB_MATCHES_PER_ROOT} per search directory, so it refuses to run. ` +
        "Narrow the pattern (a longer directory prefix or a more specific name), set `glob_scan_max_depth` in the profile's `filesystem` table to scan fewer levels, or remove the matching files.",
    );
    for (let i = 0; i < 6; i++) fs.rmSync(path.join(big, `f${i}.key`));
    expect(await expandDenyGlobs(patterns, { rgPath: rg })).toHaveLength(MAX_GLOB_MATCHES_PER_ROOT);
  });

  it('masks a matching directory as one hit (its subtree goes with it), also an empty one', async () => {
    const tree = makeTree({ 'dir.env/sub/a.txt': 's', 'dir.env/x.env': 's', 'empty.env': null, 'plain/b.env': 's', 'plain/c.txt': '' });
    const q = (rel: string): string => path.join(tree, rel);
    expect(await expandDenyGlobs([`${tree}/**/*.env`], { rgPath: rg })).toEqual([q('dir.env'), q('empty.env'), q('plain/b.env')]);
    expect(await expandDenyGlobs([`${tree}/*`], { rgPath: rg })).toEqual([q('dir.env'), q('empty.env'), q('plain')]);
  });

  it('a matching symlink masks its target, file or directory, inside or outside the search root', async () => {
    const outside = makeTree({ 'secret.txt': 's', 'dir/f': 'f' });
    const tree = makeTree({
      'data/real.txt': 'r',
      'to-file.env': { link: 'data/real.txt' },
      'to-dir.env': { link: path.join(outside, 'dir') },
      'to-outside.env': { link: path.join(outside, 'secret.txt') },
      'gone.env': { link: 'nowhere' },
    });
    expect(await expandDenyGlobs([`${tree}/*.env`], { rgPath: rg })).toEqual(
      [path.join(outside, 'dir'), path.join(outside, 'secret.txt'), path.join(tree, 'data/real.txt')].sort(),
    );
  });

  it('masks FIFOs and other non-regular files that match', async () => {
    const tree = makeTree({ 'p.env': { fifo: true }, 'q.txt': { fifo: true } });
    expect(await expandDenyGlobs([`${tree}/*.env`], { rgPath: rg })).toEqual([path.join(tree, 'p.env')]);
  });

  it('refuses a matching name that is not UTF-8 (it could not be masked)', async () => {
    const odd = makeTree({ 'ok.key': '' });
    fs.writeFileSync(Buffer.concat([Buffer.from(`${odd}/bad-`), Buffer.from([0xff, 0xfe]), Buffer.from('.key')]), '');
    await expect(expandDenyGlobs([`${odd}/*.key`], { rgPath: rg })).rejects.toThrow(/not valid UTF-8/);
    // Not matching: no reason to refuse.
    expect(await expandDenyGlobs([`${odd}/ok.*`], { rgPath: rg })).toEqual([path.join(odd, 'ok.key')]);
  });

  it('searches a directory whose name is not UTF-8: refuses only when something matches in it', async () => {
    const odd = makeTree({ 'ok.key': '' });
    const dir = Buffer.concat([Buffer.from(`${odd}/d-`), Buffer.from([0xff])]);
    fs.mkdirSync(dir);
    fs.writeFileSync(Buffer.concat([dir, Buffer.from('/x.txt')]), '');
    expect(await expandDenyGlobs([`${odd}/**/*.key`], { rgPath: rg })).toEqual([path.join(odd, 'ok.key')]);
    await expect(expandDenyGlobs([`${odd}/**/*.txt`], { rgPath: rg })).rejects.toThrow(/not valid UTF-8/);
  });

  it('rejects root-prefix patterns before scanning anything', async () => {
    await expect(expandDenyGlobs([`${root}/*.env`, '/**/*.env'], { rgPath: rg })).rejects.toThrow(DenyGlobError);
  });
});

describe('ripgrep + find and the walker agree on the same tree', () => {
  let tree: string;
  let outside: string;
  beforeAll(() => {
    outside = makeTree({ 'secret.txt': 's', 'dir/f.env': 'f' });
    tree = makeTree({
      'a.env': '',
      '.hidden.env': '',
      'a/b.env': '',
      'a/b/c.env': '',
      'a/b/c/d/e.env': '',
      'a/notes.txt': '',
      'dir.env/inner.txt': '',
      'dir.env/nested.env/deeper.txt': '',
      'a/dir.env/x': '',
      'empty.env': null,
      'x/empty': null,
      'link-file.env': { link: 'a/notes.txt' },
      'link-dir.env': { link: 'a' },
      'link-out.env': { link: path.join(outside, 'secret.txt') },
      'link-out-dir': { link: outside },
      'dangling.env': { link: 'nowhere' },
      'fifo.env': { fifo: true },
      'b/fifo': { fifo: true },
      '[x].env': '',
      '!bang.env': '',
      'ignored/.gitignore': '*\n',
      'ignored/i.env': '',
    });
  });

  const PATTERNS = ['**/*.env', '*.env', 'a/**', '**/dir.env', '*', '**', '{a,b}/*', '**/[x]*', 'a/*/c.env', '**/*.txt', 'link-*', '**/f*', '!*'];
  const DEPTHS = [undefined, 1, 2, 3];
  it.each(PATTERNS.flatMap((pattern) => DEPTHS.map((depth) => [pattern, depth] as const)))('%s at depth %s', async (pattern, depth) => {
    const globs = [`${tree}/${pattern}`];
    const withTools = await expandDenyGlobs(globs, { rgPath, findPath, ...(depth === undefined ? {} : { maxDepth: depth }) });
    const walked = await expandDenyGlobs(globs, { rgPath: null, ...(depth === undefined ? {} : { maxDepth: depth }) });
    expect(withTools).toEqual(walked);
    // And the raw scans agree on kinds too.
    const tools = { rg: rgPath ?? 'rg', find: findPath ?? 'find' };
    expect(await scanWithTools(tools, tree, [pattern], depth)).toEqual(await scanWithWalker(tree, [pattern], depth));
  });

  it('the tree exercises every kind (the comparison is not vacuous)', async () => {
    const kinds = new Set((await scanWithWalker(tree, ['**'], undefined)).map((hit) => hit.kind));
    expect([...kinds].sort()).toEqual(['dir', 'file', 'other', 'symlink']);
    expect((await scanWithWalker(tree, ['**/*.env'], undefined)).map((hit) => `${hit.kind} ${hit.relative}`)).toEqual([
      'file !bang.env',
      'file .hidden.env',
      'file [x].env',
      'file a.env',
      'file a/b.env',
      'file a/b/c.env',
      'file a/b/c/d/e.env',
      'dir a/dir.env',
      'symlink dangling.env',
      'dir dir.env',
      'dir empty.env',
      'other fifo.env',
      'file ignored/i.env',
      'symlink link-dir.env',
      'symlink link-file.env',
      'symlink link-out.env',
    ]);
  });
});

describe('ripgrep failures', () => {
  it('any failure other than "no matches" aborts with the scanner output (fail closed)', async () => {
    const dir = fs.mkdtempSync(path.join(base, 'fake-rg-'));
    const fake = path.join(dir, 'rg');
    fs.writeFileSync(fake, '#!/bin/sh\necho "rg: something broke" >&2\nexit 2\n', { mode: 0o755 });
    const root = makeTree({ 'a.env': '' });
    await expect(expandDenyGlobs([`${root}/*.env`], { rgPath: fake })).rejects.toThrow(
      `ripgrep unreadable glob scan failed for ${root}: rg: something broke`,
    );
  });

  it('exit 1 with stderr output is a failure, not "no matches"', async () => {
    const dir = fs.mkdtempSync(path.join(base, 'fake-rg-'));
    const fake = path.join(dir, 'rg');
    fs.writeFileSync(fake, '#!/bin/sh\necho "rg: permission denied" >&2\nexit 1\n', { mode: 0o755 });
    const root = makeTree({ 'a.env': '' });
    await expect(expandDenyGlobs([`${root}/*.env`], { rgPath: fake })).rejects.toThrow(DenyGlobError);
  });

  it('a missing rg falls back to the walker', async () => {
    const root = makeTree({ 'a.env': '' });
    expect(await expandDenyGlobs([`${root}/*.env`], { rgPath: path.join(base, 'no-such-rg') })).toEqual([path.join(root, 'a.env')]);
  });

  it('a missing find falls back to the walker (rg alone cannot see directories or symlinks)', async () => {
    const root = makeTree({ 'a.env': '', 'd.env': null });
    expect(await expandDenyGlobs([`${root}/*.env`], { rgPath: rgPath, findPath: path.join(base, 'no-such-find') })).toEqual([
      path.join(root, 'a.env'),
      path.join(root, 'd.env'),
    ]);
  });

  it('a failing find aborts the scan (fail closed)', async () => {
    const dir = fs.mkdtempSync(path.join(base, 'fake-find-'));
    const fake = path.join(dir, 'find');
    fs.writeFileSync(fake, '#!/bin/sh\necho "find: cannot read" >&2\nexit 1\n', { mode: 0o755 });
    const root = makeTree({ 'a.env': '' });
    await expect(expandDenyGlobs([`${root}/*.env`], { rgPath: rgPath, findPath: fake })).rejects.toThrow(
      `find unreadable glob scan failed for ${root}: find: cannot read`,
    );
  });

  it('looks rg and find up on pathEnv, skipping excluded (writable) locations', async () => {
    const root = makeTree({ 'a.env': '', 'bin/rg': '#!/bin/sh\necho planted >&2\nexit 2\n' });
    fs.chmodSync(path.join(root, 'bin/rg'), 0o755);
    fs.symlinkSync(findPath ?? '/usr/bin/find', path.join(root, 'bin/find'));
    const options = { pathEnv: `${root}/bin`, excludeUnder: [root] };
    // The planted rg is skipped, no other rg on this PATH: the walker runs.
    expect(await expandDenyGlobs([`${root}/*.env`], options)).toEqual([path.join(root, 'a.env')]);
    await expect(expandDenyGlobs([`${root}/*.env`], { pathEnv: `${root}/bin`, excludeUnder: [] })).rejects.toThrow(/planted/);
  });
});

describe('findExecutableOnPath', () => {
  let dir: string;
  const exe = (rel: string, mode = 0o755): string => {
    const file = path.join(dir, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, '#!/bin/sh\n', { mode });
    fs.chmodSync(file, mode);
    return file;
  };
  beforeEach(() => {
    dir = fs.realpathSync(fs.mkdtempSync(path.join(base, 'path-')));
  });

  it('skips non-executable and non-regular candidates', () => {
    exe('a/tool', 0o644);
    fs.mkdirSync(path.join(dir, 'b/tool'), { recursive: true });
    const good = exe('c/tool');
    expect(findExecutableOnPath('tool', `${dir}/a:${dir}/b:${dir}/c`, [])).toBe(good);
  });

  it('skips candidates inside excluded locations, also through symlinks', () => {
    exe('workspace/bin/tool');
    fs.mkdirSync(path.join(dir, 'outside'));
    fs.symlinkSync(path.join(dir, 'workspace/bin/tool'), path.join(dir, 'outside/tool'));
    const system = exe('system/tool');
    const pathEnv = `${dir}/workspace/bin:${dir}/outside:${dir}/system`;
    expect(findExecutableOnPath('tool', pathEnv, [path.join(dir, 'workspace')])).toBe(system);
    expect(findExecutableOnPath('tool', pathEnv, [])).toBe(path.join(dir, 'workspace/bin/tool'));
  });

  it('returns the canonical path', () => {
    const real = exe('real/tool');
    fs.symlinkSync(path.join(dir, 'real'), path.join(dir, 'alias'));
    expect(findExecutableOnPath('tool', `${dir}/alias`, [])).toBe(real);
  });

  it('resolves relative and empty PATH entries against cwd', () => {
    const rel = exe('rel/tool');
    expect(findExecutableOnPath('tool', 'rel', [], dir)).toBe(rel);
    const here = exe('tool');
    expect(findExecutableOnPath('tool', ':/nonexistent', [], dir)).toBe(here);
    expect(findExecutableOnPath('tool', 'rel', [dir], dir)).toBeNull();
  });

  it('an exclusion of / does not hide everything', () => {
    const good = exe('x/tool');
    expect(findExecutableOnPath('tool', `${dir}/x`, ['/'])).toBe(good);
  });

  it('returns null without PATH, for names with a slash, or when nothing matches', () => {
    exe('x/tool');
    expect(findExecutableOnPath('tool', undefined, [])).toBeNull();
    expect(findExecutableOnPath('tool', '', [])).toBeNull();
    expect(findExecutableOnPath('x/tool', dir, [])).toBeNull();
    expect(findExecutableOnPath('other', `${dir}/x`, [])).toBeNull();
  });
});
