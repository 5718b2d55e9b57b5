// The verified bundled bwrap runs as /proc/self/fd/N of the very descriptor that was hashed (what
// the linux-bwrap launcher does with `OpenedBundledBwrap.fd`): real bwrap, real processes.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { openBundledBwrap, type OpenedBundledBwrap } from '../src/index.js';
import { verificationSkippedMessage } from '../src/verify.js';
import { finish, makeReleaseLayout, makeTempDir, pathWithoutBwrap, removeTempDirs, requireTestBinary, SANDBOX_ECHO_ARGS } from './helpers.js';

afterEach(removeTempDirs);

/** Executes the open descriptor itself: the fork copies it, execve opens it, the kernel closes it (O_CLOEXEC). */
function spawnVerified(opened: OpenedBundledBwrap, args: readonly string[], env?: NodeJS.ProcessEnv): ChildProcess {
  return spawn(`/proc/self/fd/${opened.fd}`, [...args], { argv0: 'bwrap', stdio: ['ignore', 'pipe', 'pipe'], ...(env !== undefined ? { env } : {}) });
}

describe('running the verified bundled bwrap through its descriptor', () => {
  test('release layout, no bwrap on PATH: a sandboxed command runs', async () => {
    const binary = requireTestBinary();
    const layout = makeReleaseLayout(binary.path);
    const searchPath = pathWithoutBwrap();
    expect(searchPath.split(':').every((dir) => !fs.existsSync(path.join(dir, 'bwrap')))).toBe(true);
    const bundled = openBundledBwrap({ frontEndPath: layout.frontEnd, digest: binary.sha256, env: { PATH: searchPath } });
    try {
      expect([bundled.mode, bundled.source, bundled.opened.verification]).toEqual(['release', 'codex-resources', 'verified']);
      expect(bundled.opened.path).toBe(layout.bwrap);
      const result = await finish(spawnVerified(bundled.opened, SANDBOX_ECHO_ARGS, { PATH: searchPath }));
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
      expect(await finish(spawnVerified(bundled.opened, SANDBOX_ECHO_ARGS))).toEqual({ code: 0, signal: null, stdout: 'ok\n', stderr: '' });
      fs.unlinkSync(layout.bwrap); // even with no file at the path at all
      expect((await finish(spawnVerified(bundled.opened, ['--version']))).stdout).toMatch(/^bubblewrap \d+\.\d+\.\d+\n$/);
    } finally {
      bundled.opened.close();
    }
  });

  test('the descriptor is O_CLOEXEC, so neither bwrap nor the sandboxed command inherits the binary', async () => {
    const binary = requireTestBinary();
    const layout = makeReleaseLayout(binary.path);
    const bundled = openBundledBwrap({ frontEndPath: layout.frontEnd, digest: binary.sha256, env: {} });
    try {
      const flagsLine = fs.readFileSync(`/proc/self/fdinfo/${bundled.opened.fd}`, 'utf8').split('\n').find((l) => l.startsWith('flags:'));
      const O_CLOEXEC = 0o2000000;
      expect(Number.parseInt((flagsLine ?? 'flags: 0').split(/\s+/)[1] ?? '0', 8) & O_CLOEXEC).toBe(O_CLOEXEC);
      const listFds = ['--ro-bind', '/', '/', '--unshare-user', '--unshare-pid', '--', '/bin/ls', '-l', '/proc/self/fd'];
      const listed = await finish(spawnVerified(bundled.opened, listFds));
      expect([listed.code, listed.stderr]).toEqual([0, '']);
      expect(listed.stdout).toContain('/proc/');
      expect(listed.stdout).not.toContain(layout.dir);
    } finally {
      bundled.opened.close();
    }
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
      expect(await finish(spawnVerified(bundled.opened, SANDBOX_ECHO_ARGS))).toEqual({ code: 0, signal: null, stdout: 'ok\n', stderr: '' });
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
      expect((await finish(spawnVerified(bundled.opened, SANDBOX_ECHO_ARGS))).stdout).toBe('ok\n');
    } finally {
      bundled.opened.close();
    }
  });
});
