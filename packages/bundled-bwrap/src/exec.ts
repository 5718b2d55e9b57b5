// Owns how the verified bundled bwrap is executed: through /proc/self/fd/N in the child, where fd N
// is the very descriptor that was hashed, so replacing the file at its path after verification
// cannot change what runs. Two ways to get that descriptor into the child:
//  - stdio slot (bundledBwrapExecTarget): put it at index K of the stdio array; libuv dup2s it to K.
//    Robust to any stdio layout, but the dup clears O_CLOEXEC, so bwrap and the sandboxed command
//    inherit fd K (read-only, the bwrap binary) unless an inner stage closes it.
//  - inherited (inheritedBwrapExecTarget): exec /proc/self/fd/<parent fd>; the fork copies the
//    O_CLOEXEC descriptor, execve resolves it before closing it, so nothing after exec inherits it.
//    Requires that the stdio array leaves index <parent fd> alone.
// Must NOT look up or verify (lookup.ts, verify.ts) and must never execute the binary by its path.

import { spawn, type ChildProcess, type SpawnOptions, type StdioOptions } from 'node:child_process';
import * as fs from 'node:fs';

import { InvalidExecFdIndexError, ProcFdUnavailableError, BundledBwrapOpenError } from './errors.js';
import type { OpenedBundledBwrap } from './verify.js';

/**
 * Child fd that carries the verified binary unless the caller picks another. The linux-bwrap
 * launcher uses 3..5 (seccomp program, /dev/null, status pipe); 6 is the first free slot.
 */
export const DEFAULT_BUNDLED_BWRAP_FD_INDEX = 6;

/** argv[0] the bundled binary sees (instead of the /proc/self/fd/K path). */
export const BUNDLED_BWRAP_ARGV0 = 'bwrap';

/** One entry of a child_process `stdio` array. */
export type StdioEntry = Exclude<StdioOptions, string>[number];

/**
 * What a spawner needs: spawn `file` with `argv0`, and put `stdioFd` at index `index` of the stdio
 * array (see withBundledBwrapFd). Inside the child, after libuv's dup2, fd `index` is the verified
 * open file and `file` (`/proc/self/fd/<index>`) resolves to it.
 */
export interface BundledBwrapExecTarget {
  file: string;
  argv0: string;
  stdioFd: number;
  index: number;
}

function checkIndex(index: number): void {
  if (!Number.isInteger(index) || index < 3) {
    throw new InvalidExecFdIndexError(index, 'fds 0-2 are stdin/stdout/stderr and the index must be an integer');
  }
}

/** Builds the exec target for an open, verified binary. Refuses when /proc/self/fd is unavailable. */
export function bundledBwrapExecTarget(
  opened: OpenedBundledBwrap,
  index: number = DEFAULT_BUNDLED_BWRAP_FD_INDEX,
): BundledBwrapExecTarget {
  checkIndex(index);
  if (!opened.isOpen) throw new BundledBwrapOpenError(opened.path, 'its verified descriptor was already closed');
  if (!fs.existsSync(`/proc/self/fd/${opened.fd}`)) throw new ProcFdUnavailableError();
  return { file: `/proc/self/fd/${index}`, argv0: BUNDLED_BWRAP_ARGV0, stdioFd: opened.fd, index };
}

function isFree(entry: StdioEntry | undefined): boolean {
  return entry === undefined || entry === null || entry === 'ignore';
}

/**
 * Pure: a copy of `stdio` with the verified descriptor at `target.index`. Missing entries before it
 * stay `undefined` (Node's default: pipes for 0-2, closed for 3+). Throws if that slot is in use.
 */
export function withBundledBwrapFd(stdio: readonly StdioEntry[], target: BundledBwrapExecTarget): StdioEntry[] {
  checkIndex(target.index);
  if (!isFree(stdio[target.index])) {
    throw new InvalidExecFdIndexError(target.index, 'the stdio array already uses that index');
  }
  const merged: StdioEntry[] = [...stdio];
  while (merged.length <= target.index) merged.push(undefined);
  merged[target.index] = target.stdioFd;
  return merged;
}

/**
 * Exec target that uses the parent's own O_CLOEXEC descriptor (no stdio slot): the child sees it
 * from the fork, execve of /proc/self/fd/<fd> opens it, then the kernel closes it, so neither bwrap
 * nor the sandboxed command inherits it. The stdio array must not use index `fd`.
 */
export interface InheritedBwrapExecTarget {
  file: string;
  argv0: string;
  fd: number;
}

export function inheritedBwrapExecTarget(opened: OpenedBundledBwrap): InheritedBwrapExecTarget {
  if (!opened.isOpen) throw new BundledBwrapOpenError(opened.path, 'its verified descriptor was already closed');
  if (!fs.existsSync(`/proc/self/fd/${opened.fd}`)) throw new ProcFdUnavailableError();
  return { file: `/proc/self/fd/${opened.fd}`, argv0: BUNDLED_BWRAP_ARGV0, fd: opened.fd };
}

/** Pure: throws unless `stdio` leaves child fd `fd` untouched (libuv would dup2 over it otherwise). */
export function assertStdioLeavesFdFree(stdio: readonly StdioEntry[], fd: number): void {
  if (fd < 3 || !isFree(stdio[fd])) {
    throw new InvalidExecFdIndexError(fd, 'the stdio array would replace the inherited bwrap descriptor at that index');
  }
}

export type BundledBwrapSpawnOptions = Omit<SpawnOptions, 'stdio' | 'argv0' | 'shell'> & {
  /** The caller's stdio array (its own extra fds included); the binary's fd is added at target.index. */
  stdio?: readonly StdioEntry[];
};

/**
 * Spawns the verified binary through /proc/self/fd with `args`, with either kind of target.
 * The caller still owns (and closes) the parent descriptor; closing it right after this returns is
 * safe, because the child has already exec'd by then.
 */
export function spawnBundledBwrap(
  target: BundledBwrapExecTarget | InheritedBwrapExecTarget,
  args: readonly string[],
  options: BundledBwrapSpawnOptions = {},
): ChildProcess {
  const { stdio = ['pipe', 'pipe', 'pipe'], ...rest } = options;
  let childStdio: StdioEntry[];
  if ('index' in target) {
    childStdio = withBundledBwrapFd(stdio, target);
  } else {
    assertStdioLeavesFdFree(stdio, target.fd);
    childStdio = [...stdio];
  }
  return spawn(target.file, [...args], { ...rest, argv0: target.argv0, shell: false, stdio: childStdio });
}
