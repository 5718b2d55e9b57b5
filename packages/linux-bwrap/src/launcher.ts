// Owns which bubblewrap runs a sandbox: the system bwrap found on PATH (skipping PATH entries inside
// the workspace or any writable root, where a sandboxed command could plant a fake one) when its
// --help lists every option we need, otherwise the bundled codex-bwrap (with a warning saying how
// to install a system one). Must NOT build bwrap arguments or run sandboxes; the bundled binary is
// located, verified and opened by @codex-sandbox/bundled-bwrap, never by path here.

import * as fs from 'node:fs';
import * as path from 'node:path';

import { isWithin, resolveEntry } from '@codex-sandbox/policy';

import { probeCapabilities, type BwrapCapabilities, type ExecTarget } from './capabilities.js';
import { identityOfStat, type BinaryIdentity, type ProbeCache } from './probe-cache.js';
import { BubblewrapUnavailableError, UnsupportedBwrapError } from './runtime-errors.js';
import { NO_SYSTEM_BWRAP_WARNING, unusableSystemBwrapWarning } from './warnings.js';

/** A bundled bwrap opened (and, in release builds, digest-verified) through one descriptor. */
export interface OpenedBwrapDescriptor {
  /** Where it was opened from; for messages only. */
  readonly path: string;
  /** O_CLOEXEC descriptor of the verified bytes; executed as /proc/self/fd/<fd>. */
  readonly fd: number;
  close(): void;
}

/** Seam to @codex-sandbox/bundled-bwrap: locate, verify and open the bundled binary, or throw. */
export type BundledBwrapOpener = () => OpenedBwrapDescriptor;

export interface LauncherChoice {
  kind: 'system' | 'bundled';
  /** Display path of the binary. */
  path: string;
  identity: BinaryIdentity;
  capabilities: BwrapCapabilities;
  /** What to exec. For a bundled binary this is /proc/self/fd/N of the parent's O_CLOEXEC descriptor. */
  exec: ExecTarget;
  /** The descriptor a bundled choice keeps open, so spawns can check it does not collide with stdio slots. */
  heldFd?: number;
  /** Releases the bundled descriptor; a no-op for a system binary. Idempotent. */
  release(): void;
}

export interface LauncherSelection {
  choice: LauncherChoice;
  warnings: string[];
}

function canonical(p: string): string | undefined {
  try {
    return fs.realpathSync.native(p);
  } catch {
    return undefined;
  }
}

/**
 * Every executable `bwrap` on PATH, in order, canonicalised, minus those inside `excludeUnder`
 * (each canonicalised; `/` never excludes, since it would exclude everything). Relative PATH entries
 * resolve against `cwd`. Non-executable files are skipped.
 */
export function findSystemBwrapCandidates(pathEnv: string | undefined, cwd: string, excludeUnder: readonly string[]): string[] {
  if (pathEnv === undefined || pathEnv === '') return [];
  const excluded = excludeUnder
    .map((dir) => canonical(dir) ?? path.resolve(dir))
    .filter((dir) => dir !== '/');
  const seen = new Set<string>();
  const result: string[] = [];
  for (const entry of pathEnv.split(':')) {
    const candidate = resolveEntry(cwd, entry, 'bwrap');
    try {
      // A stat first: missing candidates (most PATH entries) then cost no exception.
      if (fs.statSync(candidate, { throwIfNoEntry: false })?.isFile() !== true) continue;
      fs.accessSync(candidate, fs.constants.X_OK);
    } catch {
      continue;
    }
    const real = canonical(candidate);
    if (real === undefined || seen.has(real)) continue;
    seen.add(real);
    if (excluded.some((ex) => isWithin(real, ex) || isWithin(candidate, ex))) continue;
    result.push(real);
  }
  return result;
}

/** A launcher for a system binary at `binaryPath`; throws UnsupportedBwrapError when it lacks needed options. */
export function systemLauncher(binaryPath: string, cache: ProbeCache): LauncherChoice {
  const choice = inspectSystemBwrap(binaryPath, cache);
  if (!choice.capabilities.usable) throw new UnsupportedBwrapError(binaryPath, choice.capabilities.missingRequired);
  return choice;
}

function inspectSystemBwrap(binaryPath: string, cache: ProbeCache): LauncherChoice {
  const stat = fs.statSync(binaryPath);
  const identity = identityOfStat(binaryPath, stat);
  const exec: ExecTarget = { file: binaryPath, argv0: 'bwrap' };
  return { kind: 'system', path: binaryPath, identity, capabilities: probeCapabilities(exec, identity, cache), exec, release: () => {} };
}

/** A launcher for an already opened (verified) bundled binary; takes ownership of the descriptor. */
export function bundledLauncher(opened: OpenedBwrapDescriptor, cache: ProbeCache): LauncherChoice {
  let identity: BinaryIdentity;
  try {
    identity = identityOfStat(opened.path, fs.fstatSync(opened.fd));
  } catch (error) {
    opened.close();
    throw error;
  }
  const exec: ExecTarget = { file: `/proc/self/fd/${opened.fd}`, argv0: 'codex-bwrap' };
  const capabilities = probeCapabilities(exec, identity, cache);
  if (!capabilities.usable) {
    opened.close();
    throw new UnsupportedBwrapError(opened.path, capabilities.missingRequired);
  }
  return { kind: 'bundled', path: opened.path, identity, capabilities, exec, heldFd: opened.fd, release: () => opened.close() };
}

export interface ChooseLauncherOptions {
  env: Readonly<Record<string, string | undefined>>;
  /** The front end's cwd (relative PATH entries resolve against it). */
  cwd: string;
  /** Workspace and writable roots: a bwrap found under any of them is never used. */
  excludeUnder: readonly string[];
  cache: ProbeCache;
  /** Opens the bundled fallback; undefined means there is none. */
  openBundled?: BundledBwrapOpener;
}

/** System bwrap when a usable one exists, else the bundled one with a warning, else BubblewrapUnavailableError. */
export function chooseLauncher(options: ChooseLauncherOptions): LauncherSelection {
  const candidates = findSystemBwrapCandidates(options.env['PATH'], options.cwd, options.excludeUnder);
  const warnings: string[] = [];
  let rejected: LauncherChoice | undefined;
  for (const candidate of candidates) {
    let choice: LauncherChoice;
    try {
      choice = inspectSystemBwrap(candidate, options.cache);
    } catch {
      continue;
    }
    if (choice.capabilities.usable) return { choice, warnings };
    rejected ??= choice;
  }
  warnings.push(
    rejected === undefined
      ? NO_SYSTEM_BWRAP_WARNING
      : unusableSystemBwrapWarning(rejected.path, rejected.capabilities.missingRequired),
  );
  if (options.openBundled === undefined) {
    throw new BubblewrapUnavailableError(
      'bubblewrap is unavailable: no usable system bwrap was found on PATH and this build has no bundled ' +
        'codex-bwrap. Install bubblewrap 0.8.0 or newer with your OS package manager.',
    );
  }
  return { choice: bundledLauncher(options.openBundled(), options.cache), warnings };
}
