// End to end through an esbuild bundle: the build-time --define digest, the release layout
// `<dir>/codex` + `<dir>/codex-resources/bwrap`, exit code 8 on tampering, and an unprivileged run.

import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { buildSync } from 'esbuild';

import { flipOneByte, makeReleaseLayout, pathWithoutBwrap, removeTempDirs, requireTestBinary, SANDBOX_ECHO_ARGS } from './helpers.js';

afterEach(removeTempDirs);

const FIXTURE = path.join(__dirname, 'fixtures', 'front-end.ts');

/** Bundles the fixture front end to `<dir>/codex`, with the digest defined when given. */
function bundleFrontEnd(frontEnd: string, digest: string | undefined): void {
  const result = buildSync({
    entryPoints: [FIXTURE],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    write: false,
    logLevel: 'silent',
    define: digest === undefined ? {} : { __CODEX_BWRAP_SHA256__: JSON.stringify(digest) },
  });
  const output = result.outputFiles?.[0];
  if (output === undefined) throw new Error('esbuild produced no output');
  fs.writeFileSync(frontEnd, output.contents, { mode: 0o755 });
}

/** setpriv from the test's own PATH (the children get a PATH without bwrap, and without setpriv). */
function setprivPath(): string {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    const candidate = path.join(dir, 'setpriv');
    if (dir !== '' && fs.existsSync(candidate)) return candidate;
  }
  throw new Error('setpriv is required for the unprivileged tests and was not found on PATH');
}

function run(
  frontEnd: string,
  options: { unprivileged?: boolean; debug?: boolean; args?: string[] } = {},
): SpawnSyncReturns<string> {
  const nodeArgs = [frontEnd, ...(options.args ?? SANDBOX_ECHO_ARGS)];
  const [file, args] = options.unprivileged
    ? [setprivPath(), ['--reuid=65534', '--regid=65534', '--clear-groups', '--', process.execPath, ...nodeArgs]]
    : [process.execPath, nodeArgs];
  const env: Record<string, string> = { PATH: pathWithoutBwrap() };
  if (options.debug) env.CODEX_SANDBOX_DEBUG = '1';
  const result = spawnSync(file, args, { encoding: 'utf8', env });
  if (result.error !== undefined) throw result.error;
  return result;
}

describe('bundled front end (esbuild --define digest, release layout, no bwrap on PATH)', () => {
  test('matching embedded digest: release mode, verified, the sandboxed command runs', () => {
    const binary = requireTestBinary();
    const layout = makeReleaseLayout(binary.path);
    bundleFrontEnd(layout.frontEnd, binary.sha256);
    const result = run(layout.frontEnd, { debug: true });
    expect(result.stderr).toBe(
      `mode: release\nbundled bubblewrap: using ${layout.bwrap} (release bundle next to the front end)\n` +
        `bundled bubblewrap ${layout.bwrap} verified: sha256:${binary.sha256}\n`,
    );
    expect([result.status, result.stdout]).toEqual([0, 'ok\n']);
  });

  test('tampered binary: exit status 8 with the digest mismatch message, nothing runs', () => {
    const binary = requireTestBinary();
    const layout = makeReleaseLayout(binary.path);
    bundleFrontEnd(layout.frontEnd, binary.sha256);
    flipOneByte(layout.bwrap);
    const result = run(layout.frontEnd);
    expect(result.status).toBe(8);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(
      new RegExp(`^bundled bubblewrap digest mismatch for ${layout.bwrap}: expected sha256:${binary.sha256}, got sha256:[0-9a-f]{64}\\n$`),
    );
  });

  test('a release build ignores CODEX_BWRAP_TEST_BINARY: missing bundle is "not found" with install hints', () => {
    const binary = requireTestBinary();
    const layout = makeReleaseLayout(binary.path);
    bundleFrontEnd(layout.frontEnd, binary.sha256);
    fs.rmSync(path.dirname(layout.bwrap), { recursive: true });
    const result = spawnSync(process.execPath, [layout.frontEnd, '--version'], {
      encoding: 'utf8',
      env: { PATH: pathWithoutBwrap(), CODEX_BWRAP_TEST_BINARY: binary.path },
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('bubblewrap is unavailable');
    expect(result.stderr).toContain(layout.bwrap);
    expect(result.stderr).not.toContain('CODEX_BWRAP_TEST_BINARY');
    expect(result.stderr).toContain('apt install bubblewrap');
  });

  test.each([
    ['absent', undefined, 'no CODEX_BWRAP_SHA256 digest was embedded'],
    ['all-zero', '0'.repeat(64), 'the embedded CODEX_BWRAP_SHA256 digest is all zeros'],
  ])('%s embedded digest: development mode, verification skipped with a debug line', (_name, digest, why) => {
    const binary = requireTestBinary();
    const layout = makeReleaseLayout(binary.path);
    bundleFrontEnd(layout.frontEnd, digest);
    const result = run(layout.frontEnd, { debug: true });
    expect(result.stderr).toContain('mode: development\n');
    expect(result.stderr).toContain(`bundled bubblewrap digest verification skipped for ${layout.bwrap}: ${why} (development build)\n`);
    expect([result.status, result.stdout]).toEqual([0, 'ok\n']);
    const quiet = run(layout.frontEnd);
    expect([quiet.status, quiet.stdout, quiet.stderr]).toEqual([0, 'ok\n', '']);
  });

  test('malformed embedded digest is refused before anything is opened', () => {
    const binary = requireTestBinary();
    const layout = makeReleaseLayout(binary.path);
    bundleFrontEnd(layout.frontEnd, 'not-a-digest');
    const result = run(layout.frontEnd);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('invalid CODEX_BWRAP_SHA256 value: "not-a-digest"');
  });

  test('as an unprivileged user (setpriv 65534): verified exec from a 0755 temp dir', () => {
    const binary = requireTestBinary();
    const layout = makeReleaseLayout(binary.path, true);
    bundleFrontEnd(layout.frontEnd, binary.sha256);
    const args = [...SANDBOX_ECHO_ARGS.slice(0, -1), 'echo ok; while read -r key uid rest; do [ "$key" != Uid: ] || echo "$uid"; done </proc/self/status'];
    const result = run(layout.frontEnd, { unprivileged: true, debug: true, args });
    expect(result.stderr).toContain(`bundled bubblewrap ${layout.bwrap} verified: sha256:${binary.sha256}\n`);
    expect([result.status, result.stdout]).toEqual([0, 'ok\n65534\n']);
  });

  test('as an unprivileged user, a tampered binary is refused with exit status 8', () => {
    const binary = requireTestBinary();
    const layout = makeReleaseLayout(binary.path, true);
    bundleFrontEnd(layout.frontEnd, binary.sha256);
    flipOneByte(layout.bwrap);
    const result = run(layout.frontEnd, { unprivileged: true });
    expect(result.status).toBe(8);
    expect(result.stderr).toContain(`bundled bubblewrap digest mismatch for ${layout.bwrap}`);
  });
});
