// resolveSpelling: a `..` resolved as the kernel walks the path, over real temp trees with
// symlinks (relative, absolute, chained, to `/`, dangling, looping), against text normalisation.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PathSpellingError, PolicyError, resolveGlobSpelling, resolveSpelling } from '@codex-sandbox/policy';
import { MAX_SYMLINK_FOLLOWS } from '../src/spelling.js';

let tmp: string;
beforeAll(() => {
  tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'policy-spelling-')));
  const at = (rel: string): string => path.join(tmp, rel);
  fs.mkdirSync(at('ws/sub/dir'), { recursive: true });
  fs.writeFileSync(at('ws/sub/secret.txt'), 's');
  fs.writeFileSync(at('ws/file.txt'), 'f');
  fs.symlinkSync('sub/dir', at('ws/lnk'));
  fs.symlinkSync(at('ws/sub/dir'), at('ws/abs'));
  fs.symlinkSync('lnk', at('ws/chain'));
  fs.symlinkSync('..', at('ws/up'));
  fs.symlinkSync('/', at('ws/rootlink'));
  fs.symlinkSync('nowhere/deeper', at('ws/dangling'));
  fs.symlinkSync('../sub/dir/../dir', at('ws/sub/dotted'));
  fs.symlinkSync('loop', at('ws/loop'));
  fs.symlinkSync('loopb', at('ws/loopa'));
  fs.symlinkSync('loopa', at('ws/loopb'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('resolveSpelling', () => {
  test.each([
    // The case: text would say ws/secret.txt, which does not exist.
    ['ws/lnk/../secret.txt', 'ws/sub/secret.txt'],
    ['ws/abs/../secret.txt', 'ws/sub/secret.txt'],
    ['ws/chain/../secret.txt', 'ws/sub/secret.txt'],
    ['ws/lnk/../../x', 'ws/x'],
    ['ws/lnk/../dir/../secret.txt', 'ws/sub/secret.txt'],
    // A link whose own target has `..` in it.
    ['ws/sub/dotted/../secret.txt', 'ws/sub/secret.txt'],
    // No `..`: only tidied, symlinks keep their spelling.
    ['ws/lnk/x', 'ws/lnk/x'],
    ['ws//./lnk/', 'ws/lnk'],
    // After the last `..` the spelling is kept, symlinks included.
    ['ws/sub/../lnk/y', 'ws/lnk/y'],
    // A missing component or a non-directory: nothing there redirects a `..`; text from there on.
    ['ws/missing/../secret.txt', 'ws/secret.txt'],
    ['ws/missing/a/../../b', 'ws/b'],
    ['ws/file.txt/../x', 'ws/x'],
    // A dangling link is followed as far as its target exists.
    ['ws/dangling/../x', 'ws/nowhere/x'],
  ])('%s -> %s', (input, expected) => {
    expect(resolveSpelling(`${tmp}/${input}`)).toBe(path.join(tmp, expected));
    // The kernel agrees wherever the path exists (realpath(3); Node's JS realpathSync normalises
    // the text first and would get it wrong too).
    if (fs.existsSync(path.join(tmp, expected)) && !expected.includes('lnk')) {
      expect(fs.realpathSync.native(`${tmp}/${input}`)).toBe(path.join(tmp, expected));
    }
  });

  test('links to a parent and to `/` go where the kernel goes', () => {
    expect(resolveSpelling(`${tmp}/ws/up/../x`)).toBe(path.join(path.dirname(tmp), 'x'));
    expect(resolveSpelling(`${tmp}/ws/rootlink/../etc`)).toBe('/etc');
    expect(resolveSpelling(`${tmp}/ws/rootlink/etc/..`)).toBe('/');
  });

  test.each([
    ['/..', '/'],
    ['/../x', '/x'],
    ['/', '/'],
    ['//a//b/./', '/a/b'],
  ])('%s -> %s at the root', (input, expected) => {
    expect(resolveSpelling(input)).toBe(expected);
  });

  test.each(['ws/loop/../x', 'ws/loopa/../x'])('a symlink loop (%s) is refused with a clear error', (input) => {
    const spelled = `${tmp}/${input}`;
    let error: unknown;
    try {
      resolveSpelling(spelled);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PathSpellingError);
    expect(error).toBeInstanceOf(PolicyError);
    expect((error as Error).message).toMatch(
      new RegExp(`^path \`${spelled.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\` cannot be resolved: more than ${MAX_SYMLINK_FOLLOWS} symbolic links at ${tmp}/ws/loop[ab]? \\(a symlink loop\\?\\); fix the link or write the path without \`\\.\\.\``),
    );
  });

  test('a relative path is refused', () => {
    expect(() => resolveSpelling('ws/../x')).toThrow('path `ws/../x` must be absolute to be resolved');
  });
});

describe('resolveGlobSpelling', () => {
  test.each([
    ['ws/lnk/../*.env', 'ws/sub/*.env'],
    ['ws/lnk/../**/x/*.env', 'ws/sub/**/x/*.env'],
    ['ws/lnk/*.env', 'ws/lnk/*.env'],
    ['ws//sub/./{a,b}', 'ws/sub/{a,b}'],
    // After the first glob character nothing is resolved (the backend refuses a `..` there).
    ['ws/*/../x', 'ws/*/../x'],
  ])('%s -> %s', (input, expected) => {
    expect(resolveGlobSpelling(`${tmp}/${input}`)).toBe(`${tmp}/${expected}`);
  });
});
