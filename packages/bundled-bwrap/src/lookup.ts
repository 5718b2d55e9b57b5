// Owns where the bundled bwrap may live and which of those places is used: the release layout next
// to the installed front end, then (development builds only) the Bazel-built test binary.
// Must NOT verify digests or execute anything; it only stats candidates. A release build (digest
// embedded) never looks at CODEX_BWRAP_TEST_BINARY.

import * as fs from 'node:fs';
import * as path from 'node:path';

import { BundledBwrapNotFoundError, type CandidateRejection, type SearchedLocation } from './errors.js';
import type { BwrapDigestExpectation } from './verify.js';

/** Env var the Bazel test rule sets to the absolute path of the Bazel-built codex-bwrap. */
export const BAZEL_TEST_BINARY_ENV = 'CODEX_BWRAP_TEST_BINARY';

export type BundledBwrapSource = 'codex-resources' | 'parent-codex-resources' | 'bazel-test-binary';

export type Env = Readonly<Record<string, string | undefined>>;

/** One place to look, in lookup order. `rejection` is set when the place is unusable without any I/O. */
export interface BundledBwrapCandidate {
  source: BundledBwrapSource;
  /** The path to stat, or the variable name when `rejection` is set. */
  location: string;
  description: string;
  rejection?: CandidateRejection;
}

/**
 * Pure: the ordered places a build of this kind looks for the bundled binary, given the directory
 * holding the installed front end (`<dir>/codex`).
 */
export function bundledBwrapCandidates(
  frontEndDir: string,
  mode: BwrapDigestExpectation['mode'],
  env: Env,
): BundledBwrapCandidate[] {
  const candidates: BundledBwrapCandidate[] = [
    {
      source: 'codex-resources',
      location: path.join(frontEndDir, 'codex-resources', 'bwrap'),
      description: 'release bundle next to the front end',
    },
    {
      source: 'parent-codex-resources',
      location: path.join(path.dirname(frontEndDir), 'codex-resources', 'bwrap'),
      description: "release bundle in the front end's parent directory",
    },
  ];
  if (mode === 'development') {
    const description = `Bazel-built codex-bwrap from $${BAZEL_TEST_BINARY_ENV}, development builds only`;
    const fromEnv = env[BAZEL_TEST_BINARY_ENV];
    if (fromEnv === undefined || fromEnv === '') {
      candidates.push({ source: 'bazel-test-binary', location: `$${BAZEL_TEST_BINARY_ENV}`, description, rejection: 'not set' });
    } else if (!path.isAbsolute(fromEnv)) {
      candidates.push({
        source: 'bazel-test-binary',
        location: `$${BAZEL_TEST_BINARY_ENV}=${fromEnv}`,
        description,
        rejection: 'not an absolute path',
      });
    } else {
      candidates.push({ source: 'bazel-test-binary', location: fromEnv, description });
    }
  }
  return candidates;
}

/** The directory of the installed front end, with symlinks resolved (like the OS's own exe path). */
export function frontEndDirectory(frontEndPath: string): string {
  let resolved: string;
  try {
    resolved = fs.realpathSync.native(frontEndPath);
  } catch {
    resolved = path.resolve(frontEndPath);
  }
  return path.dirname(resolved);
}

/** Stats one path: undefined when it is an existing regular file with any execute bit, else why not. */
function rejectionFor(candidatePath: string): CandidateRejection | undefined {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(candidatePath);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENOTDIR' ? 'missing' : 'inaccessible';
  }
  if (!stat.isFile()) return 'not a regular file';
  if ((stat.mode & 0o111) === 0) return 'not executable';
  return undefined;
}

export interface LocatedBundledBwrap {
  path: string;
  source: BundledBwrapSource;
  /** Every place looked at before this one, with why it was skipped. */
  skipped: SearchedLocation[];
  debug: string[];
}

export interface LocateOptions {
  /** Path of the installed front-end executable (`<dir>/codex` in a release). */
  frontEndPath: string;
  /** Decides release vs development: only development builds consider the Bazel test binary. */
  mode: BwrapDigestExpectation['mode'];
  env: Env;
}

/** First candidate that is an existing executable regular file; BundledBwrapNotFoundError lists all places. */
export function locateBundledBwrap(options: LocateOptions): LocatedBundledBwrap {
  const skipped: SearchedLocation[] = [];
  const debug: string[] = [];
  for (const candidate of bundledBwrapCandidates(frontEndDirectory(options.frontEndPath), options.mode, options.env)) {
    const rejection = candidate.rejection ?? rejectionFor(candidate.location);
    if (rejection === undefined) {
      debug.push(`bundled bubblewrap: using ${candidate.location} (${candidate.description})`);
      return { path: candidate.location, source: candidate.source, skipped, debug };
    }
    skipped.push({ location: candidate.location, description: candidate.description, rejection });
    debug.push(`bundled bubblewrap: skipped ${candidate.location} (${candidate.description}): ${rejection}`);
  }
  throw new BundledBwrapNotFoundError(skipped);
}
