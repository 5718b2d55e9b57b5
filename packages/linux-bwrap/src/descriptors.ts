// Owns the descriptors handed to bwrap besides stdio: their fixed numbers in the child, the
// per-use numbering of empty-data descriptors, the unlinked files carrying the seccomp program and
// receiving bwrap's status, and keeping the bundled binary's descriptor clear of the child's stdio
// slots.
// Must NOT decide bwrap arguments (beyond renumbering descriptors) or spawn anything.

import * as fs from 'node:fs';
import * as path from 'node:path';

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

/** An O_CLOEXEC temp file holding `data`, already unlinked; read by bwrap from offset 0. */
export function unlinkedDataFile(data: Buffer, dir: string): number {
  const fd = unlinkedFile('seccomp', dir);
  fs.writeSync(fd, data, 0, data.length, 0);
  return fd;
}

/** An empty O_CLOEXEC temp file, already unlinked, for bwrap's JSON status (appended by bwrap). */
export function unlinkedStatusFile(dir: string): number {
  return unlinkedFile('status', dir);
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

function unlinkedFile(purpose: string, dir: string): number {
  for (let attempt = 0; ; attempt += 1) {
    const file = path.join(dir, `codex-sandbox-${purpose}-${process.pid}-${Date.now()}-${attempt}`);
    let fd: number;
    try {
      fd = fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW, 0o600);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST' && attempt < 10) continue;
      throw new BwrapSpawnError(`cannot create a temporary file for the ${purpose === 'seccomp' ? 'seccomp program' : 'bwrap status'} in ${dir}: ${String(error)}`);
    }
    fs.unlinkSync(file);
    return fd;
  }
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

