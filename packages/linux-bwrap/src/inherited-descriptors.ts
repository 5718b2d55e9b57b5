// Owns keeping this process's own descriptors out of the processes it starts. A descriptor open at
// 3 or above without close-on-exec (left open by whoever started us, or by the host program that
// uses the library) would pass through bwrap to the sandboxed command: a directory descriptor lets
// a read-only command write anywhere below it (openat, or /proc/self/fd/N/...), a descriptor on a
// denied file lets it read the secret. Children get exactly the slots their launch names.
// - The one-shot front end closes such descriptors at start (`closeInheritedDescriptors`): it owns
//   its process, and nothing it does needs them.
// - A host program's descriptors are not ours to close or change: each is marked close-on-exec only
//   for the synchronous spawn and restored before anything else runs (`withDescriptorsHidden`),
//   through fcntl(2) from the FFI library koffi, loaded only when such a descriptor exists.
// Must NOT decide which descriptors a child gets (its launch says) or spawn anything itself.
import * as fs from 'node:fs';

import { InheritedDescriptorError } from './runtime-errors.js';

/** O_CLOEXEC as /proc/<pid>/fdinfo reports it in `flags:` (octal), the same on every Linux architecture. */
const O_CLOEXEC_FLAG = 0o2000000;

/** Pure: whether an fdinfo text says the descriptor is close-on-exec; undefined when it has no flags line. */
export function fdinfoSaysCloseOnExec(text: string): boolean | undefined {
  const match = /^flags:\s*([0-7]+)$/m.exec(text);
  if (match?.[1] === undefined) return undefined;
  return (parseInt(match[1], 8) & O_CLOEXEC_FLAG) !== 0;
}

/** `pos:` and `flags:` are the first two lines of every fdinfo file (what follows can be long: an epoll's watch list). */
const FDINFO_HEAD_BYTES = 128;
const fdinfoBuffer = Buffer.alloc(FDINFO_HEAD_BYTES);

/**
 * The start of /proc/self/fdinfo/NAME (open, one read, close: this runs for every descriptor twice
 * per one-shot run, where readFileSync's fstat, second read and buffer per file were most of the
 * scan's cost); undefined when the descriptor closed meanwhile. A head cut inside the flags line
 * cannot match the flags pattern (fdinfoSaysCloseOnExec needs the line's end), so it is re-read whole.
 */
function fdinfoHead(name: string): string | undefined {
  let fd: number;
  try {
    fd = fs.openSync(`/proc/self/fdinfo/${name}`, 'r');
  } catch {
    return undefined;
  }
  try {
    const n = fs.readSync(fd, fdinfoBuffer, 0, FDINFO_HEAD_BYTES, null);
    const head = fdinfoBuffer.toString('latin1', 0, n);
    if (n < FDINFO_HEAD_BYTES || /^flags:.*\n/m.test(head)) return head;
  } catch {
    return undefined;
  } finally {
    fs.closeSync(fd);
  }
  try {
    return fs.readFileSync(`/proc/self/fdinfo/${name}`, 'latin1');
  } catch {
    return undefined;
  }
}

/**
 * Descriptors >= 3 of this process that a child would inherit (no close-on-exec), ascending. Read
 * from /proc/self/fdinfo; a descriptor that closes while we look is skipped. Throws
 * InheritedDescriptorError when /proc cannot tell (we would not know what a child gets).
 */
export function inheritableDescriptors(): number[] {
  let names: string[];
  try {
    names = fs.readdirSync('/proc/self/fdinfo');
  } catch (error) {
    throw new InheritedDescriptorError(`cannot list this process's descriptors in /proc/self/fdinfo (${String(error)}); refusing to start a child that could inherit them`);
  }
  const result: number[] = [];
  for (const name of names) {
    const fd = Number(name);
    if (!Number.isInteger(fd) || fd < 3) continue;
    const text = fdinfoHead(name);
    if (text === undefined) continue; // Closed meanwhile (the directory listing's own descriptor is one).
    if (fdinfoSaysCloseOnExec(text) === false) result.push(fd);
  }
  return result.sort((a, b) => a - b);
}

export interface CloseInheritedOptions {
  /**
   * The caller owns this process and loads no native code into it (the one-shot executable: its
   * bundle has no FFI library). Every descriptor opened after the close is then Node's own, and
   * libuv opens each with close-on-exec, so later spawns skip their look at /proc (one open, read
   * and close per descriptor, ~0.4 ms a run). A host program that uses the library must not set it.
   */
  ownsProcess?: boolean;
}

/** Set by closeInheritedDescriptors({ ownsProcess: true }): spawns need not look again. */
let noneInheritableSinceStart = false;

/** Closes every inherited descriptor >= 3 that is not close-on-exec (Node's own all are). Returns them. */
export function closeInheritedDescriptors(options: CloseInheritedOptions = {}): number[] {
  const closed = inheritableDescriptors();
  for (const fd of closed) {
    try {
      fs.closeSync(fd);
    } catch {
      // Already gone.
    }
  }
  if (options.ownsProcess === true) noneInheritableSinceStart = true;
  return closed;
}

/** Reads and sets FD_CLOEXEC on a descriptor (fcntl F_GETFD / F_SETFD). */
export interface CloseOnExecControl {
  /** Current descriptor flags. */
  get(fd: number): number;
  set(fd: number, flags: number): void;
}

const F_GETFD = 1;
const F_SETFD = 2;
const FD_CLOEXEC = 1;

interface KoffiModule {
  load(path: string | null): { func(signature: string): (...args: unknown[]) => unknown };
  errno(): number;
}

let control: CloseOnExecControl | undefined;

/**
 * koffi, through the CommonJS `require` the package runs under (jest, the esbuild bundle). Never
 * resolved from the cwd or a path a command could write: only from this package's own resolution.
 */
function requireKoffi(): KoffiModule {
  if (typeof require !== 'function') throw new Error('no require() is available in this build to load it with');
  const loaded = require('koffi') as KoffiModule | { default: KoffiModule };
  return 'default' in loaded ? loaded.default : loaded;
}

/** fcntl through koffi, loaded on first use. Throws InheritedDescriptorError when it cannot load. */
export function loadCloseOnExecControl(): CloseOnExecControl {
  if (control !== undefined) return control;
  let koffi: KoffiModule;
  let fcntl: (...args: unknown[]) => unknown;
  try {
    koffi = requireKoffi();
    fcntl = koffi.load(null).func('int fcntl(int fd, int cmd, ...)');
  } catch (error) {
    throw new InheritedDescriptorError(`the FFI library koffi, needed to keep them from the command, cannot be loaded: ${error instanceof Error ? error.message : String(error)}`);
  }
  const check = (result: unknown, what: string, fd: number): number => {
    if (typeof result !== 'number' || result < 0) throw new InheritedDescriptorError(`fcntl(${fd}, ${what}) failed (errno ${koffi.errno()})`);
    return result;
  };
  control = {
    get: (fd) => check(fcntl(fd, F_GETFD), 'F_GETFD', fd),
    set: (fd, flags) => {
      check(fcntl(fd, F_SETFD, 'int', flags), 'F_SETFD', fd);
    },
  };
  return control;
}

/**
 * Runs `spawn` (which must start its child synchronously) with `fds` marked close-on-exec, then
 * restores each descriptor's flags, also when `spawn` throws. Nothing else runs in between.
 */
export function withDescriptorsHidden<T>(fds: readonly number[], fcntl: CloseOnExecControl, spawn: () => T): T {
  const restore: Array<{ fd: number; flags: number }> = [];
  try {
    for (const fd of fds) {
      const flags = fcntl.get(fd);
      if ((flags & FD_CLOEXEC) !== 0) continue;
      fcntl.set(fd, flags | FD_CLOEXEC);
      restore.push({ fd, flags });
    }
    return spawn();
  } finally {
    for (const { fd, flags } of restore) fcntl.set(fd, flags);
  }
}

/**
 * Starts a child through `spawn` so that it inherits none of this process's descriptors beyond the
 * slots `spawn` passes explicitly. With no inheritable descriptor (the common case) this is one look
 * at /proc and nothing is loaded; in a process that closed them at start and owns itself (the
 * executable, closeInheritedDescriptors's `ownsProcess`) not even that.
 */
export async function spawnWithoutInheritedDescriptors<T>(spawn: () => T): Promise<T> {
  if (noneInheritableSinceStart) return spawn();
  const fds = inheritableDescriptors();
  if (fds.length === 0) return spawn();
  let fcntl: CloseOnExecControl;
  try {
    fcntl = loadCloseOnExecControl();
  } catch (error) {
    throw new InheritedDescriptorError(
      `this process holds descriptors without close-on-exec (${fds.join(', ')}) that would reach the sandboxed command; ` +
        `${error instanceof Error ? error.message : String(error)}. Close them or mark them close-on-exec before running`,
    );
  }
  return withDescriptorsHidden(fds, fcntl, spawn);
}
