import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DenyGlobError } from '../src/errors.js';
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

function makeTree(spec: Record<string, string | { link: string } | null>): string {
  const root = fs.mkdtempSync(path.join(base, 'tree-'));
  for (const [rel, content] of Object.entries(spec)) {
    const target = path.join(root, rel);
    if (content === null) {
      fs.mkdirSync(target, { recursive: true });
      continue;
    }
    fs.mkdirSync(path.dirname(target), { recursive: true });
    if (typeof content === 'string') fs.writeFileSync(target, content);
    else fs.symlinkSync(content.link, target);
  }
  return root;
}

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
const BACKENDS: Array<['rg' | 'walker', string | null]> = [
  ['rg', rgPath ?? '/nonexistent/rg-is-required-for-this-test'],
  ['walker', null],
];

describe.each(BACKENDS)('expandDenyGlobs with %s', (backend, rg) => {
  beforeAll(() => {
    if (backend === 'rg' && rgPath === null) throw new Error('ripgrep (rg) must be on PATH for the ripgrep backend tests');
  });
  const isWalker = backend === 'walker';

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
    const expected = [p('.e.env'), p('.hid/h.env'), p('a/b/z.env'), p('a/y.env'), p('x.env')];
    // ripgrep --files never lists symlinks; the walker lists them and reports their real location.
    if (isWalker) expected.push(p('other/target.txt'));
    expect(await expandDenyGlobs([`${root}/**/*.env`], { rgPath: rg })).toEqual(expected.sort());
  });

  it('anchors a slash-free glob at the search root (no matches deeper down)', async () => {
    const expected = [p('.e.env'), p('x.env')];
    if (isWalker) expected.push(p('other/target.txt'));
    expect(await expandDenyGlobs([`${root}/*.env`], { rgPath: rg })).toEqual(expected.sort());
  });

  it('respects the depth cap (1 = direct children) and 0 = no expansion', async () => {
    const expected = [p('.e.env'), p('x.env')];
    if (isWalker) expected.push(p('other/target.txt'));
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

  it(`refuses more than ${MAX_GLOB_MATCHES_PER_ROOT} matches for one root`, async () => {
    const big = fs.mkdtempSync(path.join(base, 'big-'));
    for (let i = 0; i <= MAX_GLOB_MATCHES_PER_ROOT; i++) fs.writeFileSync(path.join(big, `f${i}.key`), '');
    await expect(expandDenyGlobs([`${big}/*.key`], { rgPath: rg })).rejects.toThrow(
      `unreadable glob expansion for ${big} matched more than ${MAX_GLOB_MATCHES_PER_ROOT} paths`,
    );
    fs.rmSync(path.join(big, 'f0.key'));
    expect(await expandDenyGlobs([`${big}/*.key`], { rgPath: rg })).toHaveLength(MAX_GLOB_MATCHES_PER_ROOT);
  });

  it('refuses a matching name that is not UTF-8 (it could not be masked)', async () => {
    const odd = makeTree({ 'ok.key': '' });
    fs.writeFileSync(Buffer.concat([Buffer.from(`${odd}/bad-`), Buffer.from([0xff, 0xfe]), Buffer.from('.key')]), '');
    await expect(expandDenyGlobs([`${odd}/*.key`], { rgPath: rg })).rejects.toThrow(/not valid UTF-8/);
    // Not matching: no reason to refuse.
    expect(await expandDenyGlobs([`${odd}/ok.*`], { rgPath: rg })).toEqual([path.join(odd, 'ok.key')]);
  });

  it('rejects root-prefix patterns before scanning anything', async () => {
    await expect(expandDenyGlobs([`${root}/*.env`, '/**/*.env'], { rgPath: rg })).rejects.toThrow(DenyGlobError);
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

  it('looks rg up on pathEnv, skipping excluded (writable) locations', async () => {
    const root = makeTree({ 'a.env': '', 'bin/rg': '#!/bin/sh\necho planted >&2\nexit 2\n' });
    fs.chmodSync(path.join(root, 'bin/rg'), 0o755);
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
