import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

import {
  assertStdioLeavesFdFree,
  bundledBwrapExecTarget,
  inheritedBwrapExecTarget,
  BundledBwrapOpenError,
  DEFAULT_BUNDLED_BWRAP_FD_INDEX,
  InvalidExecFdIndexError,
  openBundledBwrap,
  spawnBundledBwrap,
  verificationSkippedMessage,
  withBundledBwrapFd,
  writeDebugLines,
  type BundledBwrapExecTarget,
  type StdioEntry,
} from '../src/index.js';
import {
  finish,
  makeReleaseLayout,
  makeTempDir,
  pathWithoutBwrap,
  removeTempDirs,
  requireTestBinary,
  SANDBOX_ECHO_ARGS,
} from './helpers.js';

afterEach(removeTempDirs);

function noBwrapOn(searchPath: string): boolean {
  return searchPath.split(':').every((dir) => !fs.existsSync(path.join(dir, 'bwrap')));
}

describe('withBundledBwrapFd', () => {
  const target: BundledBwrapExecTarget = { file: '/proc/self/fd/6', argv0: 'bwrap', stdioFd: 42, index: 6 };
  const table: Array<[string, StdioEntry[], StdioEntry[]]> = [
    ['plain stdio', ['pipe', 'pipe', 'pipe'], ['pipe', 'pipe', 'pipe', undefined, undefined, undefined, 42]],
    ['launcher fds at 3..5', ['inherit', 'pipe', 'pipe', 10, 11, 12], ['inherit', 'pipe', 'pipe', 10, 11, 12, 42]],
    ['slot explicitly ignored', ['pipe', 'pipe', 'pipe', 10, 11, 12, 'ignore', 13], ['pipe', 'pipe', 'pipe', 10, 11, 12, 42, 13]],
    ['empty array', [], [undefined, undefined, undefined, undefined, undefined, undefined, 42]],
  ];
  test.each(table)('%s', (_name, stdio, expected) => {
    expect(withBundledBwrapFd(stdio, target)).toEqual(expected);
  });

  test('an occupied slot is refused', () => {
    expect(() => withBundledBwrapFd(['pipe', 'pipe', 'pipe', 1, 2, 3, 4], target)).toThrow(InvalidExecFdIndexError);
  });

  test.each([0, 2, 6.5, -1])('index %p is refused', (index) => {
    expect(() => withBundledBwrapFd([], { ...target, index })).toThrow(InvalidExecFdIndexError);
  });
});

describe('running the verified bundled bwrap (real bwrap, real processes)', () => {
  test('release layout, no bwrap on PATH: a sandboxed command runs through /proc/self/fd', async () => {
    const binary = requireTestBinary();
    const layout = makeReleaseLayout(binary.path);
    const searchPath = pathWithoutBwrap();
    expect(noBwrapOn(searchPath)).toBe(true);

    const bundled = openBundledBwrap({ frontEndPath: layout.frontEnd, digest: binary.sha256, env: { PATH: searchPath } });
    try {
      expect([bundled.mode, bundled.source, bundled.opened.verification]).toEqual(['release', 'codex-resources', 'verified']);
      expect(bundled.opened.path).toBe(layout.bwrap);
      const target = bundledBwrapExecTarget(bundled.opened);
      expect(target).toEqual({ file: `/proc/self/fd/${DEFAULT_BUNDLED_BWRAP_FD_INDEX}`, argv0: 'bwrap', stdioFd: bundled.opened.fd, index: 6 });
      const result = await finish(spawnBundledBwrap(target, SANDBOX_ECHO_ARGS, { env: { PATH: searchPath } }));
      expect(result).toEqual({ code: 0, signal: null, stdout: 'ok\n', stderr: '' });
    } finally {
      bundled.opened.close();
    }
  });

  test('replacing the file after verification cannot get the new bytes run', async () => {
    const binary = requireTestBinary();
    const layout = makeReleaseLayout(binary.path);
    const bundled = openBundledBwrap({ frontEndPath: layout.frontEnd, digest: binary.sha256, env: {} });
    try {
      const impostor = path.join(layout.dir, 'impostor');
      fs.writeFileSync(impostor, '#!/bin/sh\necho swapped\n', { mode: 0o755 });
      fs.renameSync(impostor, layout.bwrap);
      // The swap really happened: running the path now runs the impostor.
      expect(spawnSync(layout.bwrap, SANDBOX_ECHO_ARGS, { encoding: 'utf8' }).stdout).toBe('swapped\n');

      const target = bundledBwrapExecTarget(bundled.opened);
      const result = await finish(spawnBundledBwrap(target, SANDBOX_ECHO_ARGS));
      expect(result).toEqual({ code: 0, signal: null, stdout: 'ok\n', stderr: '' });

      fs.unlinkSync(layout.bwrap); // even with no file at the path at all
      expect((await finish(spawnBundledBwrap(target, ['--version']))).stdout).toMatch(/^bubblewrap \d+\.\d+\.\d+\n$/);
    } finally {
      bundled.opened.close();
    }
  });

  test('coexists with the launcher extra fds at 3..5 (bwrap and the command still see them)', async () => {
    const binary = requireTestBinary();
    const layout = makeReleaseLayout(binary.path);
    const extra = path.join(makeTempDir('extra'), 'three');
    fs.writeFileSync(extra, 'three\n');
    const extraFd = fs.openSync(extra, 'r');
    const devNull = fs.openSync('/dev/null', 'r');
    const bundled = openBundledBwrap({ frontEndPath: layout.frontEnd, digest: binary.sha256, env: {} });
    try {
      const target = bundledBwrapExecTarget(bundled.opened);
      const args = ['--ro-bind', '/', '/', '--unshare-user', '--unshare-pid', '--', '/bin/sh', '-c', 'cat <&3'];
      const child = spawnBundledBwrap(target, args, { stdio: ['ignore', 'pipe', 'pipe', extraFd, devNull, devNull] });
      expect(await finish(child)).toEqual({ code: 0, signal: null, stdout: 'three\n', stderr: '' });
    } finally {
      bundled.opened.close();
      fs.closeSync(extraFd);
      fs.closeSync(devNull);
    }
  });

  test('a caller-chosen fd index works too', async () => {
    const binary = requireTestBinary();
    const layout = makeReleaseLayout(binary.path);
    const bundled = openBundledBwrap({ frontEndPath: layout.frontEnd, digest: binary.sha256, env: {} });
    try {
      const target = bundledBwrapExecTarget(bundled.opened, 9);
      expect(target.file).toBe('/proc/self/fd/9');
      expect(await finish(spawnBundledBwrap(target, SANDBOX_ECHO_ARGS))).toEqual({ code: 0, signal: null, stdout: 'ok\n', stderr: '' });
    } finally {
      bundled.opened.close();
    }
  });

  test('a closed descriptor cannot be turned into an exec target', () => {
    const binary = requireTestBinary();
    const layout = makeReleaseLayout(binary.path);
    const bundled = openBundledBwrap({ frontEndPath: layout.frontEnd, digest: binary.sha256, env: {} });
    bundled.opened.close();
    expect(() => bundledBwrapExecTarget(bundled.opened)).toThrow(BundledBwrapOpenError);
  });

  test.each([
    ['absent', undefined],
    ['all-zero', '0'.repeat(64)],
  ] as const)('development build (%s digest): skips verification, says so in debug, and still runs', async (reason, digest) => {
    const binary = requireTestBinary();
    const layout = makeReleaseLayout(binary.path);
    const bundled = openBundledBwrap({ frontEndPath: layout.frontEnd, digest, env: {} });
    try {
      expect([bundled.mode, bundled.opened.verification]).toEqual(['development', 'skipped']);
      expect(bundled.debug).toContain(verificationSkippedMessage(layout.bwrap, reason));
      const target = bundledBwrapExecTarget(bundled.opened);
      expect(await finish(spawnBundledBwrap(target, SANDBOX_ECHO_ARGS))).toEqual({ code: 0, signal: null, stdout: 'ok\n', stderr: '' });
    } finally {
      bundled.opened.close();
    }
  });

  test('development build without a release layout uses CODEX_BWRAP_TEST_BINARY', async () => {
    const binary = requireTestBinary();
    const frontEnd = path.join(makeTempDir('dev-front-end'), 'codex');
    const bundled = openBundledBwrap({ frontEndPath: frontEnd, digest: undefined, env: { CODEX_BWRAP_TEST_BINARY: binary.path } });
    try {
      expect([bundled.source, bundled.opened.path]).toEqual(['bazel-test-binary', binary.path]);
      const target = bundledBwrapExecTarget(bundled.opened);
      expect((await finish(spawnBundledBwrap(target, SANDBOX_ECHO_ARGS))).stdout).toBe('ok\n');
    } finally {
      bundled.opened.close();
    }
  });
});

describe('inherited descriptor (no stdio slot)', () => {
  test.each([
    ['free slot', ['pipe', 'pipe', 'pipe', 10, 11, 12] as StdioEntry[], 20, true],
    ['ignored slot', ['pipe', 'pipe', 'pipe', 'ignore'] as StdioEntry[], 3, true],
    ['occupied slot', ['pipe', 'pipe', 'pipe', 10, 11, 12] as StdioEntry[], 5, false],
    ['stdin/stdout/stderr', [] as StdioEntry[], 1, false],
  ])('assertStdioLeavesFdFree: %s', (_name, stdio, fd, ok) => {
    const check = (): void => assertStdioLeavesFdFree(stdio, fd);
    if (ok) expect(check).not.toThrow();
    else expect(check).toThrow(InvalidExecFdIndexError);
  });

  test('the parent descriptor is O_CLOEXEC and the target execs it directly', () => {
    const binary = requireTestBinary();
    const layout = makeReleaseLayout(binary.path);
    const bundled = openBundledBwrap({ frontEndPath: layout.frontEnd, digest: binary.sha256, env: {} });
    try {
      const flagsLine = fs.readFileSync(`/proc/self/fdinfo/${bundled.opened.fd}`, 'utf8').split('\n').find((l) => l.startsWith('flags:'));
      const O_CLOEXEC = 0o2000000;
      expect(Number.parseInt((flagsLine ?? 'flags: 0').split(/\s+/)[1] ?? '0', 8) & O_CLOEXEC).toBe(O_CLOEXEC);
      expect(inheritedBwrapExecTarget(bundled.opened)).toEqual({ file: `/proc/self/fd/${bundled.opened.fd}`, argv0: 'bwrap', fd: bundled.opened.fd });
    } finally {
      bundled.opened.close();
    }
  });

  test('runs the verified bytes after a swap, and the sandboxed command does not inherit the binary', async () => {
    const binary = requireTestBinary();
    const layout = makeReleaseLayout(binary.path);
    const bundled = openBundledBwrap({ frontEndPath: layout.frontEnd, digest: binary.sha256, env: {} });
    try {
      const impostor = path.join(layout.dir, 'impostor');
      fs.writeFileSync(impostor, '#!/bin/sh\necho swapped\n', { mode: 0o755 });
      fs.renameSync(impostor, layout.bwrap);
      expect(spawnSync(layout.bwrap, [], { encoding: 'utf8' }).stdout).toBe('swapped\n');

      const listFds = ['--ro-bind', '/', '/', '--unshare-user', '--unshare-pid', '--', '/bin/ls', '-l', '/proc/self/fd'];
      const inherited = await finish(spawnBundledBwrap(inheritedBwrapExecTarget(bundled.opened), listFds));
      expect([inherited.code, inherited.stderr]).toEqual([0, '']);
      expect(inherited.stdout).toContain('/proc/');
      expect(inherited.stdout).not.toContain(layout.dir);

      // The stdio-slot variant hands fd 6 to bwrap and on to the command (documented trade-off).
      const viaSlot = await finish(spawnBundledBwrap(bundledBwrapExecTarget(bundled.opened), listFds));
      expect([viaSlot.code, viaSlot.stderr]).toEqual([0, '']);
      expect(viaSlot.stdout).toMatch(new RegExp(` 6 -> ${layout.dir}/`));
    } finally {
      bundled.opened.close();
    }
  });

  test('spawnBundledBwrap refuses a stdio array that would overwrite the inherited descriptor', () => {
    const binary = requireTestBinary();
    const layout = makeReleaseLayout(binary.path);
    const bundled = openBundledBwrap({ frontEndPath: layout.frontEnd, digest: binary.sha256, env: {} });
    try {
      const target = inheritedBwrapExecTarget(bundled.opened);
      const stdio: StdioEntry[] = ['pipe', 'pipe', 'pipe'];
      stdio[target.fd] = 'inherit';
      expect(() => spawnBundledBwrap(target, ['--version'], { stdio })).toThrow(InvalidExecFdIndexError);
    } finally {
      bundled.opened.close();
    }
  });
});

describe('writeDebugLines', () => {
  test.each([
    ['1', true],
    ['0', false],
    ['true', false],
    [undefined, false],
  ])('CODEX_SANDBOX_DEBUG=%p prints: %p', (value, prints) => {
    const written: string[] = [];
    const env = value === undefined ? {} : { CODEX_SANDBOX_DEBUG: value };
    expect(writeDebugLines(['a', 'b'], env, (text) => written.push(text))).toBe(prints);
    expect(written).toEqual(prints ? ['a\n', 'b\n'] : []);
  });
});
