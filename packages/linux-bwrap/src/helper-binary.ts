// Finding, reading and verifying one of our own helper binaries in codex-resources (the netns
// helper of proxy-only runs, the mask helper, the Landlock helper of the legacy backend), the way
// the bundled bwrap is verified: the bytes are read once from one descriptor and their SHA-256 is compared with the
// digest embedded at build time. The caller either copies exactly those bytes where it runs them
// (bwrap's --ro-bind-data) or keeps the descriptor open and executes it through /proc/self/fd, so
// a file swapped after the check never runs. Development builds (no digest embedded) skip the
// check and may take the Bazel-built binary from a test variable. Must NOT decide argv or run anything.

import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { frontEndDirectory } from '@codex-sandbox/bundled-bwrap';

import { SandboxRuntimeError } from './runtime-errors.js';

const MAX_HELPER_BYTES = 16 << 20;

export interface HelperBinary {
  path: string;
  bytes: Buffer;
  /** `verified`: the bytes match the embedded digest; `development`: no digest was embedded. */
  verification: 'verified' | 'development';
  /** The descriptor the bytes were read from, when asked to keep it (close-on-exec). */
  fd?: number;
  /** The file's identity when it was read (path, size, mtime, ctime, inode, device): a key for facts about it. */
  fingerprint: string;
}

/** What distinguishes one helper from another. */
export interface HelperBinaryKind {
  /** File name in codex-resources. */
  resource: string;
  /** Variable naming the Bazel-built binary, honoured only in development builds. */
  testBinaryEnv: string;
  /** "the network bridge helper", for messages. */
  description: string;
  /** What needs it, for the not-found message ("proxy-only network"). */
  neededBy: string;
  /** Thrown for every failure. */
  error: new (message: string) => SandboxRuntimeError;
}

/**
 * Remembers the SHA-256 of a file by its identity (path, device, inode, size, mtime, ctime), so a
 * helper unchanged since an earlier run is not hashed again (hashing loads node:crypto, ~13 ms).
 */
export interface DigestMemo {
  known(file: string, stat: fs.Stats): string | undefined;
  remember(file: string, stat: fs.Stats, hex: string): void;
}

export interface LoadHelperBinaryOptions {
  /** Installed front end; the helper is `<its dir>/codex-resources/<resource>`. */
  frontEndPath: string | undefined;
  env: Readonly<Record<string, string | undefined>>;
  /** Expected SHA-256 hex; undefined in development builds. */
  digest: string | undefined;
  /** Keep the descriptor open (to execute the verified bytes). */
  keepOpen?: boolean;
  /** Digests of files seen before (the probe cache in the state directory). */
  memo?: DigestMemo;
}

/** An embedded digest as the bundler writes it: absent or all zeros means a development build. */
export function usableDigest(value: string | undefined): string | undefined {
  return value === undefined || /^0{64}$/.test(value) ? undefined : value.toLowerCase();
}

function candidates(kind: HelperBinaryKind, opts: LoadHelperBinaryOptions, development: boolean): string[] {
  const out: string[] = [];
  // Beside the real program: an arg0 link (codex-linux-sandbox -> codex) elsewhere has no resources.
  if (opts.frontEndPath !== undefined && path.isAbsolute(opts.frontEndPath)) {
    out.push(path.join(frontEndDirectory(opts.frontEndPath), 'codex-resources', kind.resource));
  }
  const fromEnv = opts.env[kind.testBinaryEnv];
  if (development && fromEnv !== undefined && path.isAbsolute(fromEnv)) out.push(fromEnv);
  return out;
}

function readAll(kind: HelperBinaryKind, fd: number, file: string, stat: fs.Stats): Buffer {
  if (!stat.isFile()) throw new kind.error(`${kind.description} ${file} is not a regular file`);
  if (stat.size > MAX_HELPER_BYTES) throw new kind.error(`${kind.description} ${file} is larger than ${MAX_HELPER_BYTES} bytes`);
  const chunks: Buffer[] = [];
  let position = 0;
  for (;;) {
    const chunk = Buffer.allocUnsafe(1 << 16);
    const n = fs.readSync(fd, chunk, 0, chunk.length, position);
    if (n === 0) break;
    chunks.push(chunk.subarray(0, n));
    position += n;
    if (position > MAX_HELPER_BYTES) throw new kind.error(`${kind.description} ${file} is larger than ${MAX_HELPER_BYTES} bytes`);
  }
  return Buffer.concat(chunks);
}

export function loadHelperBinary(kind: HelperBinaryKind, opts: LoadHelperBinaryOptions): HelperBinary {
  const found = loadHelperBinaryIfPresent(kind, opts);
  if ('helper' in found) return found.helper;
  throw new kind.error(`${kind.neededBy} needs codex-resources/${kind.resource} next to the front end; looked in ${found.where}`);
}

/**
 * The same, but finding none is not an error (a library host without codex-resources, for a
 * helper that only makes runs faster): `where` says where it was looked for, `missing` whether
 * every candidate simply did not exist. A helper that is there but does not match its digest (or
 * is not a regular file, or too large) still throws.
 */
export function loadHelperBinaryIfPresent(kind: HelperBinaryKind, opts: LoadHelperBinaryOptions): { helper: HelperBinary } | { where: string; missing: boolean } {
  const digest = opts.digest?.toLowerCase();
  if (digest !== undefined && !/^[0-9a-f]{64}$/.test(digest)) throw new kind.error(`${kind.description} digest ${digest} is not 64 hex characters`);
  const tried: string[] = [];
  let missing = true;
  for (const candidate of candidates(kind, opts, digest === undefined)) {
    let fd: number;
    try {
      fd = fs.openSync(candidate, fs.constants.O_RDONLY | fs.constants.O_NOCTTY | fs.constants.O_NONBLOCK);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') missing = false;
      tried.push(`${candidate} (${code ?? (error as Error).message})`);
      continue;
    }
    let keep = false;
    try {
      const stat = fs.fstatSync(fd);
      const bytes = readAll(kind, fd, candidate, stat);
      const verification = digest === undefined ? 'development' : 'verified';
      if (digest !== undefined) {
        let actual = opts.memo?.known(candidate, stat);
        if (actual === undefined) {
          actual = createHash('sha256').update(bytes).digest('hex');
          // Read again after hashing: a file that changed meanwhile is not remembered.
          const after = fs.fstatSync(fd);
          if (after.ctimeMs === stat.ctimeMs && after.size === stat.size) opts.memo?.remember(candidate, stat, actual);
        }
        if (actual !== digest) {
          throw new kind.error(`${kind.description} ${candidate} does not match this build (sha256 ${actual}, expected ${digest}); reinstall codex`);
        }
      }
      keep = opts.keepOpen === true;
      const fingerprint = [candidate, stat.size, stat.mtimeMs, stat.ctimeMs, stat.ino, stat.dev].join('|');
      return { helper: { path: candidate, bytes, verification, fingerprint, ...(keep ? { fd } : {}) } };
    } finally {
      if (!keep) fs.closeSync(fd);
    }
  }
  return { missing, where: tried.length > 0 ? tried.join(', ') : 'no location (no front-end path' + (digest === undefined ? ` and no $${kind.testBinaryEnv})` : ')') };
}
