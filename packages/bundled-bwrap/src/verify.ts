// Owns digest handling for the bundled bwrap: reading the digest embedded at build time, deciding
// release vs development from it, and opening + hashing the binary through one descriptor.
// Must NOT look for the binary (lookup.ts) or spawn it (the caller executes the descriptor), and must never hash by path:
// the descriptor that was hashed is the one that gets executed.

import { createHash } from 'node:crypto';
import * as fs from 'node:fs';

import { BundledBwrapDigestMismatchError, BundledBwrapOpenError, InvalidBwrapDigestError } from './errors.js';

// Replaced with a string literal by the release bundler (esbuild `--define:__CODEX_BWRAP_SHA256__="<hex>"`).
// Undefined under jest and in development builds, hence the typeof guard in embeddedBwrapDigest().
declare const __CODEX_BWRAP_SHA256__: string | undefined;

/** The digest baked into this build, or undefined when nothing was injected (development builds, tests). */
export function embeddedBwrapDigest(): string | undefined {
  return typeof __CODEX_BWRAP_SHA256__ === 'string' ? __CODEX_BWRAP_SHA256__ : undefined;
}

/**
 * What the build promises about the bundled binary. `release`: exactly these bytes may run.
 * `development`: no digest was embedded (or the all-zero placeholder), so verification is skipped
 * and the Bazel test binary may be used as a last fallback.
 */
export type BwrapDigestExpectation =
  | { mode: 'release'; sha256: string }
  | { mode: 'development'; reason: 'absent' | 'all-zero' };

const SHA256_HEX = /^[0-9a-fA-F]{64}$/;
const ALL_ZERO = /^0{64}$/;

/** Pure: classifies a raw build-time digest. Throws InvalidBwrapDigestError unless 64 hex chars or absent. */
export function parseBwrapDigest(raw: string | undefined): BwrapDigestExpectation {
  if (raw === undefined || raw === '') return { mode: 'development', reason: 'absent' };
  if (!SHA256_HEX.test(raw)) throw new InvalidBwrapDigestError(raw);
  if (ALL_ZERO.test(raw)) return { mode: 'development', reason: 'all-zero' };
  return { mode: 'release', sha256: raw.toLowerCase() };
}

/** Pure: the debug line printed when verification is skipped (CODEX_SANDBOX_DEBUG=1). */
export function verificationSkippedMessage(path: string, reason: 'absent' | 'all-zero'): string {
  const why = reason === 'absent' ? 'no CODEX_BWRAP_SHA256 digest was embedded' : 'the embedded CODEX_BWRAP_SHA256 digest is all zeros';
  return `bundled bubblewrap digest verification skipped for ${path}: ${why} (development build)`;
}

/**
 * The bundled binary, open read-only. `fd` is the descriptor that was hashed (release) and is the
 * only thing that may be executed (via /proc/self/fd). Close it once no more children will be spawned.
 */
export class OpenedBundledBwrap {
  private open = true;

  constructor(
    /** The path it was opened from; for messages only, never for executing. */
    readonly path: string,
    readonly fd: number,
    /** `verified`: the descriptor's bytes match the embedded digest. `skipped`: development build. */
    readonly verification: 'verified' | 'skipped',
    /** SHA-256 of the descriptor's bytes when verified; undefined when verification was skipped. */
    readonly sha256: string | undefined,
    /** Lines for CODEX_SANDBOX_DEBUG=1 output. */
    readonly debug: readonly string[],
  ) {}

  get isOpen(): boolean {
    return this.open;
  }

  /** Closes the descriptor. Children already spawned keep their own copy. Idempotent. */
  close(): void {
    if (!this.open) return;
    this.open = false;
    fs.closeSync(this.fd);
  }
}

const HASH_CHUNK_BYTES = 1 << 16;

/** SHA-256 (lowercase hex) of everything readable from `fd`, read by position so the file offset is irrelevant. */
export function sha256OfDescriptor(fd: number): string {
  const hash = createHash('sha256');
  const buffer = Buffer.allocUnsafe(HASH_CHUNK_BYTES);
  let position = 0;
  for (;;) {
    const n = fs.readSync(fd, buffer, 0, buffer.length, position);
    if (n === 0) break;
    hash.update(buffer.subarray(0, n));
    position += n;
  }
  return hash.digest('hex');
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Opens `path` once (O_RDONLY; O_NONBLOCK so a FIFO planted there cannot hang us), checks that the
 * opened object is an executable regular file, and in release mode hashes that descriptor and
 * compares. On mismatch the descriptor is closed and BundledBwrapDigestMismatchError (exitCode 8) thrown.
 */
export function openVerifiedBwrap(path: string, expectation: BwrapDigestExpectation): OpenedBundledBwrap {
  let fd: number;
  try {
    fd = fs.openSync(path, fs.constants.O_RDONLY | fs.constants.O_NOCTTY | fs.constants.O_NONBLOCK);
  } catch (error) {
    throw new BundledBwrapOpenError(path, `open failed (${errorText(error)})`);
  }
  try {
    const stat = fs.fstatSync(fd);
    if (!stat.isFile()) throw new BundledBwrapOpenError(path, 'the opened file is not a regular file');
    if ((stat.mode & 0o111) === 0) throw new BundledBwrapOpenError(path, 'the opened file has no execute bit');
    if (expectation.mode === 'development') {
      return new OpenedBundledBwrap(path, fd, 'skipped', undefined, [verificationSkippedMessage(path, expectation.reason)]);
    }
    const actual = sha256OfDescriptor(fd);
    if (actual !== expectation.sha256) throw new BundledBwrapDigestMismatchError(path, expectation.sha256, actual);
    return new OpenedBundledBwrap(path, fd, 'verified', actual, [
      `bundled bubblewrap ${path} verified: sha256:${actual}`,
    ]);
  } catch (error) {
    fs.closeSync(fd);
    throw error;
  }
}
