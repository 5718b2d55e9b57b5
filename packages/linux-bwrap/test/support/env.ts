// Test support: the bwrap binaries the OS-layer tests run against, and temp-dir helpers usable by
// root and by an unprivileged user. Must NOT mock bwrap or the kernel.

import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..', '..');
export const NOBODY_UID = 65534;

/** The system bubblewrap the tests use: the first `bwrap` on PATH (Debian 12: /usr/bin/bwrap 0.8.0). */
export function systemBwrapPath(): string {
  for (const dir of (process.env['PATH'] ?? '').split(':')) {
    if (dir === '' || !path.isAbsolute(dir)) continue;
    const candidate = path.join(dir, 'bwrap');
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return fs.realpathSync(candidate);
    } catch {
      // Next entry.
    }
  }
  throw new Error('no system bwrap on PATH: install bubblewrap (the OS-layer tests need a real one)');
}

/** CODEX_BWRAP_TEST_BINARY (codex-bwrap 0.12.0); missing is a test failure, not a skip. */
export function codexBwrapTestBinary(): { path: string; sha256: string } {
  const binary = process.env['CODEX_BWRAP_TEST_BINARY'];
  if (binary === undefined || binary === '' || !path.isAbsolute(binary)) {
    throw new Error('CODEX_BWRAP_TEST_BINARY must be the absolute path of the Bazel-built codex-bwrap');
  }
  const actual = createHash('sha256').update(fs.readFileSync(binary)).digest('hex');
  const expected = process.env['CODEX_BWRAP_TEST_SHA256'];
  if (expected !== undefined && expected !== '' && expected.toLowerCase() !== actual) {
    throw new Error(`CODEX_BWRAP_TEST_BINARY ${binary} has sha256 ${actual}, CODEX_BWRAP_TEST_SHA256 says ${expected}`);
  }
  return { path: binary, sha256: actual };
}

/** A fresh 0755 directory under /tmp (not TMPDIR, which may be private to root under Bazel). */
export function publicTempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join('/tmp', prefix));
  fs.chmodSync(dir, 0o755);
  return dir;
}

/** A fresh directory under TMPDIR, canonical (placeholders are only ever removed via real paths). */
export function privateTempDir(prefix: string): string {
  return fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), prefix)));
}

export function removeTree(dir: string | undefined): void {
  if (dir === undefined) return;
  // A test sandbox may leave read-only directories behind; make them writable first.
  try {
    fs.chmodSync(dir, 0o755);
  } catch {
    // Ignore.
  }
  fs.rmSync(dir, { recursive: true, force: true });
}

/** CODEX_NETNS_HELPER_TEST_BINARY (the Bazel-built codex-netns-helper); missing is a test failure. */
export function netnsHelperTestBinary(): string {
  const binary = process.env['CODEX_NETNS_HELPER_TEST_BINARY'];
  if (binary === undefined || binary === '' || !path.isAbsolute(binary)) {
    throw new Error('CODEX_NETNS_HELPER_TEST_BINARY must be the absolute path of the Bazel-built codex-netns-helper');
  }
  return binary;
}

/** CODEX_MASK_HELPER_TEST_BINARY (the Bazel-built codex-mask-helper); missing is a test failure. */
export function maskHelperTestBinary(): string {
  const binary = process.env['CODEX_MASK_HELPER_TEST_BINARY'];
  if (binary === undefined || binary === '' || !path.isAbsolute(binary)) {
    throw new Error('CODEX_MASK_HELPER_TEST_BINARY must be the absolute path of the Bazel-built codex-mask-helper');
  }
  return binary;
}

export function landlockHelperTestBinary(): string {
  const binary = process.env['CODEX_LANDLOCK_HELPER_TEST_BINARY'];
  if (binary === undefined || binary === '' || !path.isAbsolute(binary)) {
    throw new Error('CODEX_LANDLOCK_HELPER_TEST_BINARY must be the absolute path of the Bazel-built codex-landlock-helper');
  }
  return binary;
}
