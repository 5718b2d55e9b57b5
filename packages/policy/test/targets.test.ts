// "The same target" of two entry paths (P21): one key for both the duplicate check of
// auto-added entries and the full-disk-write test.
import { sameTarget, targetKey } from '../src/targets.js';
import type { FileSystemPath } from '../src/types.js';

const special = (kind: 'root' | 'slash_tmp' | 'tmpdir' | 'minimal'): FileSystemPath => ({ type: 'special', value: { kind } });
const at = (p: string): FileSystemPath => ({ type: 'path', path: p });

test.each([
  ['`:root` is `/`', special('root'), at('/'), true],
  ['`:slash_tmp` is `/tmp`', special('slash_tmp'), at('/tmp//'), true],
  ['`:tmpdir` is not `/tmp`', special('tmpdir'), at('/tmp'), false],
  ['paths by their tidy spelling', at('/a/./b'), at('/a/b'), true],
  ['different paths', at('/a/b'), at('/a/c'), false],
  ['workspace subpaths by subpath', { type: 'special', value: { kind: 'workspace_roots', subpath: 'docs' } }, { type: 'special', value: { kind: 'workspace_roots' } }, false],
  ['globs by pattern', { type: 'glob_pattern', pattern: '/a/*.env' }, { type: 'glob_pattern', pattern: '/a/*.env' }, true],
] as Array<[string, FileSystemPath, FileSystemPath, boolean]>)('%s', (_name, a, b, same) => {
  expect(sameTarget(a, b)).toBe(same);
});

test('an absolute path is spelled by the given function (resolve.ts passes resolveSpelling)', () => {
  expect(targetKey(at('/x/../y'), () => '/spelled')).toBe('path:/spelled');
  expect(targetKey(at('/x/../y'))).toBe('path:/x/../y');
});
