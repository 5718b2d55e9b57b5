import * as fs from 'node:fs';
import * as path from 'node:path';

import {
  BUBBLEWRAP_INSTALL_HINT,
  bundledBwrapCandidates,
  BundledBwrapNotFoundError,
  locateBundledBwrap,
  type BundledBwrapCandidate,
} from '../src/index.js';
import { BAZEL_TEST_BINARY_ENV } from '../src/lookup.js';
import { makeTempDir, removeTempDirs } from './helpers.js';

afterEach(removeTempDirs);

const DEV_DESCRIPTION = `Bazel-built codex-bwrap from $${BAZEL_TEST_BINARY_ENV}, development builds only`;
const SAME_DIR = { source: 'codex-resources', location: '/opt/codex/bin/codex-resources/bwrap', description: 'release bundle next to the front end' };
const PARENT_DIR = { source: 'parent-codex-resources', location: '/opt/codex/codex-resources/bwrap', description: "release bundle in the front end's parent directory" };

describe('bundledBwrapCandidates (lookup order)', () => {
  const table: Array<[string, 'release' | 'development', Record<string, string>, BundledBwrapCandidate[]]> = [
    ['release ignores the Bazel binary', 'release', { [BAZEL_TEST_BINARY_ENV]: '/bazel/bwrap' }, [SAME_DIR, PARENT_DIR] as BundledBwrapCandidate[]],
    ['release without env', 'release', {}, [SAME_DIR, PARENT_DIR] as BundledBwrapCandidate[]],
    [
      'development falls back to the Bazel binary last',
      'development',
      { [BAZEL_TEST_BINARY_ENV]: '/bazel/bwrap' },
      [SAME_DIR, PARENT_DIR, { source: 'bazel-test-binary', location: '/bazel/bwrap', description: DEV_DESCRIPTION }] as BundledBwrapCandidate[],
    ],
    [
      'development with the variable unset',
      'development',
      {},
      [SAME_DIR, PARENT_DIR, { source: 'bazel-test-binary', location: `$${BAZEL_TEST_BINARY_ENV}`, description: DEV_DESCRIPTION, rejection: 'not set' }] as BundledBwrapCandidate[],
    ],
    [
      'development with a relative path',
      'development',
      { [BAZEL_TEST_BINARY_ENV]: 'bwrap/bwrap' },
      [
        SAME_DIR,
        PARENT_DIR,
        { source: 'bazel-test-binary', location: `$${BAZEL_TEST_BINARY_ENV}=bwrap/bwrap`, description: DEV_DESCRIPTION, rejection: 'not an absolute path' },
      ] as BundledBwrapCandidate[],
    ],
  ];
  test.each(table)('%s', (_name, mode, env, expected) => {
    expect(bundledBwrapCandidates('/opt/codex/bin', mode, env)).toEqual(expected);
  });
});

/** `<root>/bin/codex` with optional `<root>/bin/codex-resources/bwrap` and `<root>/codex-resources/bwrap`. */
function layout(options: { same?: 'exe' | 'plain' | 'dir'; parent?: 'exe' }): { frontEnd: string; same: string; parent: string } {
  const root = makeTempDir('lookup');
  const bin = path.join(root, 'bin');
  fs.mkdirSync(bin);
  const frontEnd = path.join(bin, 'codex');
  fs.writeFileSync(frontEnd, '', { mode: 0o755 });
  const same = path.join(bin, 'codex-resources', 'bwrap');
  const parent = path.join(root, 'codex-resources', 'bwrap');
  const place = (file: string, kind: 'exe' | 'plain' | 'dir' | undefined): void => {
    if (kind === undefined) return;
    fs.mkdirSync(path.dirname(file), { recursive: true });
    if (kind === 'dir') fs.mkdirSync(file);
    else fs.writeFileSync(file, '#!/bin/sh\n', { mode: kind === 'exe' ? 0o755 : 0o644 });
  };
  place(same, options.same);
  place(parent, options.parent);
  return { frontEnd, same, parent };
}

describe('locateBundledBwrap (real files)', () => {
  test('`<dir>/codex-resources/bwrap` wins over the parent directory', () => {
    const l = layout({ same: 'exe', parent: 'exe' });
    const found = locateBundledBwrap({ frontEndPath: l.frontEnd, mode: 'release', env: {} });
    expect([found.path, found.source, found.skipped]).toEqual([l.same, 'codex-resources', []]);
  });

  test.each([
    ['missing', undefined, 'missing'],
    ['not executable', 'plain', 'not executable'],
    ['a directory', 'dir', 'not a regular file'],
  ] as const)('when `<dir>/codex-resources/bwrap` is %s, `<dir>/../codex-resources/bwrap` is used', (_n, kind, rejection) => {
    const l = layout({ same: kind, parent: 'exe' });
    const found = locateBundledBwrap({ frontEndPath: l.frontEnd, mode: 'release', env: {} });
    expect(found.path).toBe(l.parent);
    expect(found.source).toBe('parent-codex-resources');
    expect(found.skipped).toEqual([{ location: l.same, description: SAME_DIR.description, rejection }]);
    expect(found.debug).toEqual([
      `bundled bubblewrap: skipped ${l.same} (${SAME_DIR.description}): ${rejection}`,
      `bundled bubblewrap: using ${l.parent} (${PARENT_DIR.description})`,
    ]);
  });

  test('a symlinked front end is resolved to its install directory first', () => {
    const l = layout({ same: 'exe' });
    const elsewhere = makeTempDir('symlink');
    const link = path.join(elsewhere, 'codex');
    fs.symlinkSync(l.frontEnd, link);
    expect(locateBundledBwrap({ frontEndPath: link, mode: 'release', env: {} }).path).toBe(l.same);
  });

  test('development build falls back to CODEX_BWRAP_TEST_BINARY when no bundle exists', () => {
    const l = layout({});
    const bazel = layout({ same: 'exe' }).same;
    const found = locateBundledBwrap({ frontEndPath: l.frontEnd, mode: 'development', env: { [BAZEL_TEST_BINARY_ENV]: bazel } });
    expect([found.path, found.source]).toEqual([bazel, 'bazel-test-binary']);
    expect(found.skipped.map((s) => s.location)).toEqual([l.same, l.parent]);
  });

  test('development build prefers the release layout over CODEX_BWRAP_TEST_BINARY', () => {
    const l = layout({ parent: 'exe' });
    const bazel = layout({ same: 'exe' }).same;
    expect(locateBundledBwrap({ frontEndPath: l.frontEnd, mode: 'development', env: { [BAZEL_TEST_BINARY_ENV]: bazel } }).path).toBe(l.parent);
  });

  test('release build never uses CODEX_BWRAP_TEST_BINARY, and its error does not mention it', () => {
    const l = layout({});
    const bazel = layout({ same: 'exe' }).same;
    let caught: unknown;
    try {
      locateBundledBwrap({ frontEndPath: l.frontEnd, mode: 'release', env: { [BAZEL_TEST_BINARY_ENV]: bazel } });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(BundledBwrapNotFoundError);
    const notFound = caught as BundledBwrapNotFoundError;
    expect(notFound.searched.map((s) => s.location)).toEqual([l.same, l.parent]);
    expect(notFound.message).not.toContain(BAZEL_TEST_BINARY_ENV);
    expect(notFound.message).not.toContain(bazel);
  });

  test('not found: the error lists every place looked and how to install bubblewrap', () => {
    const l = layout({ same: 'plain' });
    let caught: unknown;
    try {
      locateBundledBwrap({ frontEndPath: l.frontEnd, mode: 'development', env: { [BAZEL_TEST_BINARY_ENV]: path.join(path.dirname(l.parent), 'nope') } });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(BundledBwrapNotFoundError);
    const notFound = caught as BundledBwrapNotFoundError;
    expect(notFound.exitCode).toBe(1);
    expect(notFound.message).toBe(
      [
        'bubblewrap is unavailable: no usable system bwrap was found on PATH and no bundled codex-resources/bwrap binary was found next to the Codex executable.',
        'Looked for the bundled binary at:',
        `  - ${l.same} (release bundle next to the front end): not executable`,
        `  - ${l.parent} (release bundle in the front end's parent directory): missing`,
        `  - ${path.join(path.dirname(l.parent), 'nope')} (${DEV_DESCRIPTION}): missing`,
        BUBBLEWRAP_INSTALL_HINT,
      ].join('\n'),
    );
    for (const hint of ['apt install bubblewrap', 'dnf install bubblewrap', 'pacman -S bubblewrap']) {
      expect(notFound.message).toContain(hint);
    }
  });
});
