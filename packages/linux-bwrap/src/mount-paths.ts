// Host path facts the filesystem argv is planned from: what exists along a path (missing, blocked
// by a file, a dangling link), symlinks the command could redirect, empty placeholders left by
// earlier runs, and the path spelling rules of a resolved policy (absolute, no `..`). Reads
// metadata only (lstat, stat, readlink, readdir); must NOT create, change or delete anything or
// emit argv (mount-rules.ts and filesystem-args.ts do).

import * as fs from 'node:fs';
import * as path from 'node:path';
import { depthOf, isWithin } from '@codex-sandbox/policy';
import { BwrapArgsError } from './errors.js';

export function isStrictlyWithin(candidate: string, ancestor: string): boolean {
  return candidate !== ancestor && isWithin(candidate, ancestor);
}

/** Shallowest first, unique; stable, so equal depths keep the caller's (policy's) order. */
export function sortByDepth(paths: Iterable<string>): string[] {
  return [...new Set(paths)].sort((a, b) => depthOf(a) - depthOf(b));
}

/** `/a/b/c` -> `/a`, `/a/b`, `/a/b/c`. */
export function prefixesOf(p: string): string[] {
  const parts = p.split('/').filter((part) => part !== '');
  return parts.map((_, index) => `/${parts.slice(0, index + 1).join('/')}`);
}

// throwIfNoEntry: a missing path is the common answer here, and an exception per miss is costly.
export function lstatOrNull(p: string): fs.Stats | null {
  try {
    return fs.lstatSync(p, { throwIfNoEntry: false }) ?? null;
  } catch {
    return null;
  }
}

export function statOrNull(p: string): fs.Stats | null {
  try {
    return fs.statSync(p, { throwIfNoEntry: false }) ?? null;
  } catch {
    return null;
  }
}

export function requireCleanAbsolute(p: string, what: string): string {
  if (!path.isAbsolute(p)) throw new BwrapArgsError(`${what} ${p} is not an absolute path; the resolved policy must contain absolute paths only`);
  // As text `a/lnk/..` is `a`, but the kernel goes to the parent of lnk's target: never guess.
  if (p.split('/').includes('..')) {
    throw new BwrapArgsError(`${what} ${p} has a .. component; the resolved policy must spell paths without them (resolveSandboxPolicy resolves them as the kernel does)`);
  }
  const normalized = path.posix.normalize(p);
  return normalized.length > 1 && normalized.endsWith('/') ? normalized.slice(0, -1) : normalized;
}

export function hasSymlinkComponent(p: string): boolean {
  for (const prefix of prefixesOf(p)) {
    const stat = lstatOrNull(prefix);
    if (stat === null) return false;
    if (stat.isSymbolicLink()) return true;
  }
  return false;
}

export type PathState =
  /** `stat` follows a final symlink; `dangling` is set when that symlink points nowhere. */
  | { kind: 'exists'; stat: fs.Stats; danglingTarget?: string }
  /** `first` is the first missing component; bwrap would create it. */
  | { kind: 'missing'; first: string }
  /** An existing non-directory (or dangling link) sits above the path, so it cannot exist as spelled. */
  | { kind: 'blocked'; by: string };

export function pathState(p: string): PathState {
  // The common answer in one call: when `p` resolves, every component on the way is a directory
  // (or a link to one), which is what the walk below would find, component by component.
  const resolved = statOrNull(p);
  if (resolved !== null) return { kind: 'exists', stat: resolved };
  const prefixes = prefixesOf(p);
  for (let index = 0; index < prefixes.length; index++) {
    const prefix = prefixes[index] as string;
    const link = lstatOrNull(prefix);
    if (link === null) return { kind: 'missing', first: prefix };
    const stat = statOrNull(prefix);
    if (index === prefixes.length - 1) {
      if (stat !== null) return { kind: 'exists', stat };
      if (!link.isSymbolicLink()) {
        // Gone between the two looks (a concurrent run removed its placeholder): missing now.
        return { kind: 'missing', first: prefix };
      }
      let target: string;
      try {
        target = fs.readlinkSync(prefix);
      } catch {
        return { kind: 'missing', first: prefix };
      }
      return { kind: 'exists', stat: link, danglingTarget: path.posix.resolve(path.posix.dirname(prefix), target) };
    }
    if (stat === null || !stat.isDirectory()) return { kind: 'blocked', by: prefix };
  }
  return { kind: 'exists', stat: fs.statSync('/') };
}

/**
 * Whether an existing protected path is an empty placeholder (a file or directory a sandbox run's
 * bwrap created as a mount point): those get the same stand-in as a missing path. A directory that
 * vanished since it was stat'ed was one too: another run removed its placeholder, and bwrap will
 * create the mount point again. Binding it as a real directory would fail ("Can't find source").
 */
export function isEmptyPlaceholder(p: string, stat: fs.Stats): 'file' | 'dir' | null {
  if (stat.isFile() && stat.size === 0) return 'file';
  if (stat.isDirectory()) {
    try {
      return fs.readdirSync(p).length === 0 ? 'dir' : null;
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'dir' : null;
    }
  }
  return null;
}

/** The first component of `p` that is a symlink inside a place the command can write, if any. */
export function writableSymlinkOn(p: string, isWritable: (candidate: string) => boolean): string | null {
  for (const prefix of prefixesOf(p)) {
    // Only a link the command could replace matters: no lstat for components outside the writable
    // places (a deny glob's hundreds of masks share long read-only prefixes).
    if (!isWritable(prefix)) continue;
    const stat = lstatOrNull(prefix);
    if (stat === null) return null;
    if (stat.isSymbolicLink() && isWritable(prefix)) return prefix;
  }
  return null;
}


export function isSameDirectory(a: string, b: string): boolean {
  const first = statOrNull(a);
  const second = statOrNull(b);
  return first !== null && second !== null && first.dev === second.dev && first.ino === second.ino;
}
