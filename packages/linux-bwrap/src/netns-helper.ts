// Finding, reading and verifying codex-netns-helper, the inner stage of a proxy-only sandbox, the
// way the bundled bwrap is verified: the bytes are read once from one descriptor, their SHA-256
// is compared with the digest embedded at build time, and exactly those bytes are what bwrap
// copies into the sandbox (so a file swapped after the check never runs). Development builds (no
// digest embedded) skip the check and may take the Bazel-built binary from
// $CODEX_NETNS_HELPER_TEST_BINARY. Must NOT decide argv or run anything.

import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { SandboxRuntimeError } from './runtime-errors.js';

// Replaced with a string literal by the release bundler (esbuild define); undefined under jest.
declare const __CODEX_NETNS_HELPER_SHA256__: string | undefined;

const NETNS_HELPER_TEST_BINARY_ENV = 'CODEX_NETNS_HELPER_TEST_BINARY';
const NETNS_HELPER_RESOURCE = 'codex-netns-helper';
const MAX_HELPER_BYTES = 16 << 20;

/** The helper cannot be found, read, or does not match its embedded digest; proxy-only runs refuse. */
export class NetnsHelperError extends SandboxRuntimeError {}

export interface NetnsHelper {
  path: string;
  bytes: Buffer;
  /** `verified`: the bytes match the embedded digest; `development`: no digest was embedded. */
  verification: 'verified' | 'development';
}

export interface LoadNetnsHelperOptions {
  /** Installed front end; the helper is `<its dir>/codex-resources/codex-netns-helper`. */
  frontEndPath: string | undefined;
  env: Readonly<Record<string, string | undefined>>;
  /** Expected SHA-256 hex; default: the embedded one (absent in development builds). */
  digest?: string | undefined;
}

function embeddedDigest(): string | undefined {
  const value = typeof __CODEX_NETNS_HELPER_SHA256__ === 'string' ? __CODEX_NETNS_HELPER_SHA256__ : undefined;
  return value === undefined || /^0{64}$/.test(value) ? undefined : value.toLowerCase();
}

/** Where the helper is looked for, in order. */
function netnsHelperCandidates(opts: LoadNetnsHelperOptions, development: boolean): string[] {
  const out: string[] = [];
  if (opts.frontEndPath !== undefined && path.isAbsolute(opts.frontEndPath)) {
    out.push(path.join(path.dirname(opts.frontEndPath), 'codex-resources', NETNS_HELPER_RESOURCE));
  }
  const fromEnv = opts.env[NETNS_HELPER_TEST_BINARY_ENV];
  if (development && fromEnv !== undefined && path.isAbsolute(fromEnv)) out.push(fromEnv);
  return out;
}

function readOnce(file: string): Buffer {
  const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOCTTY | fs.constants.O_NONBLOCK);
  try {
    const stat = fs.fstatSync(fd);
    if (!stat.isFile()) throw new NetnsHelperError(`the network bridge helper ${file} is not a regular file`);
    if (stat.size > MAX_HELPER_BYTES) throw new NetnsHelperError(`the network bridge helper ${file} is larger than ${MAX_HELPER_BYTES} bytes`);
    const chunks: Buffer[] = [];
    let position = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(1 << 16);
      const n = fs.readSync(fd, chunk, 0, chunk.length, position);
      if (n === 0) break;
      chunks.push(chunk.subarray(0, n));
      position += n;
      if (position > MAX_HELPER_BYTES) throw new NetnsHelperError(`the network bridge helper ${file} is larger than ${MAX_HELPER_BYTES} bytes`);
    }
    return Buffer.concat(chunks);
  } finally {
    fs.closeSync(fd);
  }
}

export function loadNetnsHelper(opts: LoadNetnsHelperOptions): NetnsHelper {
  const digest = 'digest' in opts ? opts.digest?.toLowerCase() : embeddedDigest();
  if (digest !== undefined && !/^[0-9a-f]{64}$/.test(digest)) throw new NetnsHelperError(`the network bridge helper digest ${digest} is not 64 hex characters`);
  const candidates = netnsHelperCandidates(opts, digest === undefined);
  const tried: string[] = [];
  for (const candidate of candidates) {
    let bytes: Buffer;
    try {
      bytes = readOnce(candidate);
    } catch (error) {
      if (error instanceof NetnsHelperError) throw error;
      tried.push(`${candidate} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
      continue;
    }
    if (digest === undefined) return { path: candidate, bytes, verification: 'development' };
    const actual = createHash('sha256').update(bytes).digest('hex');
    if (actual !== digest) {
      throw new NetnsHelperError(`the network bridge helper ${candidate} does not match this build (sha256 ${actual}, expected ${digest}); reinstall codex`);
    }
    return { path: candidate, bytes, verification: 'verified' };
  }
  const where = tried.length > 0 ? tried.join(', ') : 'no location (no front-end path' + (digest === undefined ? ` and no $${NETNS_HELPER_TEST_BINARY_ENV})` : ')');
  throw new NetnsHelperError(`proxy-only network needs codex-resources/${NETNS_HELPER_RESOURCE} next to the front end; looked in ${where}`);
}
