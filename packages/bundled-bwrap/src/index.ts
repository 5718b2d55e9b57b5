// Public surface of @codex-sandbox/bundled-bwrap: the fallback used when no usable system bwrap
// exists. openBundledBwrap() finds and verifies, and hands back the open descriptor whose bytes were
// verified: the caller executes it as /proc/self/fd/N, never by path. Must NOT choose between
// system and bundled bwrap (linux-bwrap does).

import { locateBundledBwrap, type BundledBwrapSource, type Env } from './lookup.js';
import { embeddedBwrapDigest, openVerifiedBwrap, parseBwrapDigest, type OpenedBundledBwrap } from './verify.js';

export {
  BUBBLEWRAP_INSTALL_HINT,
  BundledBwrapDigestMismatchError,
  BundledBwrapError,
  BundledBwrapNotFoundError,
  BundledBwrapOpenError,
  InvalidBwrapDigestError,
  type CandidateRejection,
  type SearchedLocation,
} from './errors.js';
export {
  bundledBwrapCandidates,
  frontEndDirectory,
  locateBundledBwrap,
  type BundledBwrapCandidate,
  type BundledBwrapSource,
  type Env,
  type LocateOptions,
  type LocatedBundledBwrap,
} from './lookup.js';
export {
  embeddedBwrapDigest,
  openVerifiedBwrap,
  OpenedBundledBwrap,
  parseBwrapDigest,
  sha256OfDescriptor,
  type BwrapDigestExpectation,
} from './verify.js';
export { writeDebugLines } from './debug.js';

export interface OpenBundledBwrapOptions {
  /** Path of the installed front-end executable (`<dir>/codex` in a release). */
  frontEndPath: string;
  /**
   * Expected SHA-256 hex. Omit the property to use the digest embedded at build time; pass
   * `undefined` (or 64 zeros) to force a development build. Malformed values throw InvalidBwrapDigestError.
   */
  digest?: string | undefined;
  /** Defaults to process.env; only CODEX_BWRAP_TEST_BINARY is read, and only in development builds. */
  env?: Env;
}

export interface BundledBwrap {
  /** Open descriptor of the chosen binary (verified in release builds). Close when done spawning. */
  opened: OpenedBundledBwrap;
  source: BundledBwrapSource;
  mode: 'release' | 'development';
  /** Lookup and verification notes; print with writeDebugLines (CODEX_SANDBOX_DEBUG=1). */
  debug: string[];
}

/**
 * Finds the bundled bwrap for this build and opens + verifies it. Throws BundledBwrapNotFoundError
 * (lists every place looked), BundledBwrapDigestMismatchError (exitCode 8), InvalidBwrapDigestError,
 * or BundledBwrapOpenError. Call only when no usable system bwrap exists.
 */
export function openBundledBwrap(options: OpenBundledBwrapOptions): BundledBwrap {
  const rawDigest = 'digest' in options ? options.digest : embeddedBwrapDigest();
  const expectation = parseBwrapDigest(rawDigest);
  const located = locateBundledBwrap({ frontEndPath: options.frontEndPath, mode: expectation.mode, env: options.env ?? process.env });
  const opened = openVerifiedBwrap(located.path, expectation);
  return { opened, source: located.source, mode: expectation.mode, debug: [...located.debug, ...opened.debug] };
}
