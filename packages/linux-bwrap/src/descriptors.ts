// Owns the descriptors handed to bwrap besides stdio: their fixed numbers in the child, the
// per-use numbering of empty-data descriptors, the unnamed (O_TMPFILE) files carrying the seccomp
// program and receiving bwrap's status, and keeping the bundled binary's descriptor clear of the
// child's stdio slots.
// Must NOT decide bwrap arguments (beyond renumbering descriptors) or spawn anything.

import * as fs from 'node:fs';

import { BwrapSpawnError } from './runtime-errors.js';

/** Where the child finds the seccomp program. */
export const SECCOMP_FD = 3;
/** bwrap's `--json-status-fd` (an unlinked file the front end reads `child-pid` from when it must signal). */
export const STATUS_FD = 4;
/** First of the empty-data descriptors (one `/dev/null` per `--ro-bind-data` / `--file`). */
export const FIRST_DATA_FD = 5;
/** Options of bwrap whose first value is a descriptor that bwrap consumes (and may close) per use. */
const DATA_FD_OPTIONS = new Set(['--ro-bind-data', '--bind-data', '--file']);

/**
 * Pure: gives every descriptor-consuming option that uses `sharedFd` its own descriptor number,
 * starting at `firstFd` (bubblewrap >= 0.9 closes such a descriptor after its first use, so one
 * shared /dev/null cannot serve several placeholders). Stops at the first `--`.
 */
export function assignDataDescriptors(args: readonly string[], sharedFd: number, firstFd: number): { args: string[]; count: number } {
  const out = [...args];
  let next = firstFd;
  for (let i = 0; i < out.length - 1; i += 1) {
    const token = out[i];
    if (token === '--') break;
    if (token !== undefined && DATA_FD_OPTIONS.has(token)) {
      if (out[i + 1] === String(sharedFd)) {
        out[i + 1] = String(next);
        next += 1;
      }
      i += 2;
    }
  }
  return { args: out, count: next - firstFd };
}

/**
 * Linux's O_TMPFILE: `__O_TMPFILE | O_DIRECTORY` (O_DIRECTORY differs between x86_64 and aarch64,
 * so it comes from Node). open(dir, O_TMPFILE) makes a file that never has a name.
 */
const O_TMPFILE = 0o20000000 | fs.constants.O_DIRECTORY;

/**
 * Where unnamed files may be made: any directory on a filesystem with O_TMPFILE support will do,
 * since the file never appears in it. /dev/shm is tmpfs on practically every Linux host.
 */
export function unnamedFileDirectories(tmpDir: string): string[] {
  return [...new Set([tmpDir, '/dev/shm', '/tmp'])];
}

/**
 * An unnamed O_CLOEXEC file holding `data`, read by bwrap from offset 0. It never has a name, so no
 * other process (a sandboxed command that can write the temp dir included) can open, swap or
 * rewrite it between creation and use (#10.1).
 */
export function unnamedDataFile(data: Buffer, dirs: readonly string[]): number {
  const fd = unnamedFile('seccomp program', dirs);
  fs.writeSync(fd, data, 0, data.length, 0);
  return fd;
}

/** An empty unnamed O_CLOEXEC file for bwrap's JSON status (appended by bwrap). */
export function unnamedStatusFile(dirs: readonly string[]): number {
  return unnamedFile('bwrap status', dirs);
}

/** What bwrap has written to a status file so far (at most the first 64 KiB; it writes a few lines). */
export function readStatusFile(fd: number): string {
  const buffer = Buffer.alloc(65536);
  try {
    return buffer.toString('utf8', 0, fs.readSync(fd, buffer, 0, buffer.length, 0));
  } catch {
    return '';
  }
}

function unnamedFile(purpose: string, dirs: readonly string[]): number {
  const failures: string[] = [];
  for (const dir of dirs) {
    try {
      return fs.openSync(dir, O_TMPFILE | fs.constants.O_RDWR, 0o600);
    } catch (error) {
      failures.push(`${dir}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
    }
  }
  // No named fallback: a name in a shared temp dir is exactly what a concurrent command could race.
  throw new BwrapSpawnError(
    `cannot create an unnamed file (O_TMPFILE) for the ${purpose} (${failures.join('; ')}); ` +
      'codex sandbox needs a writable directory on a filesystem that supports O_TMPFILE (tmpfs, ext4, xfs, btrfs): set TMPDIR to one',
  );
}

/**
 * A descriptor for the same open file as `fd` whose number is >= `minimum`, so the child's stdio
 * slots (which libuv fills with dup2) cannot overwrite it before exec. Re-opens through
 * /proc/self/fd (the same file object, no path lookup), occupying lower numbers meanwhile.
 */
export function descriptorAtOrAbove(fd: number, minimum: number): { fd: number; close: () => void } {
  if (fd >= minimum) return { fd, close: () => {} };
  const fillers: number[] = [];
  try {
    for (;;) {
      const candidate = fs.openSync(`/proc/self/fd/${fd}`, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
      if (candidate >= minimum) return { fd: candidate, close: () => fs.closeSync(candidate) };
      fillers.push(candidate);
    }
  } finally {
    for (const filler of fillers) fs.closeSync(filler);
  }
}

