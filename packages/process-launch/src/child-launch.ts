// Owns starting one child process with a fixed descriptor table and learning how it ended. When
// every descriptor is inherited, ignored or a plain number and nothing wants a ChildProcess object,
// the child is started through Node's process handle (the `process_wrap` binding that
// child_process is built on), so a one-shot run never loads child_process, net and stream: about
// a quarter of the front end's CPU time in a `codex sandbox -- true` run (bench, side by side:
// 51 vs 76 ms user time, 94 vs 99 ms median wall time on a quiet moment, far more under load).
// Otherwise, or when the binding is not there or not the shape expected, child_process.spawn does
// the same job (private-binding.ts reaches the binding).
// Must NOT decide what to run, which descriptors to pass, or how signals map to exit statuses.

import { spawn, type ChildProcess, type StdioNull, type StdioPipe } from 'node:child_process';
import * as os from 'node:os';

import { privateBinding } from './private-binding.js';
import type { Stream } from 'node:stream';

/** One slot of the child's descriptor table. */
export type StdioSlot = StdioNull | StdioPipe | 'overlapped' | number | Stream;

/** The three standard descriptors for a caller's stdio choice (`inherit`: the front end's own 0, 1, 2). */
export function standardStdio(choice: 'inherit' | 'ignore' | 'pipe' | undefined): StdioSlot[] {
  if (choice === 'pipe') return ['pipe', 'pipe', 'pipe'];
  if (choice === 'ignore') return ['ignore', 'ignore', 'ignore'];
  return [0, 1, 2];
}

export interface ChildLaunch {
  /** Absolute path of the executable. */
  file: string;
  /** argv[0] as the child sees it. */
  argv0: string;
  args: readonly string[];
  cwd: string;
  env: Record<string, string>;
  /** Descriptor `i` of the child is `stdio[i]`. */
  stdio: readonly StdioSlot[];
  /** Own session and process group (setsid). */
  detached: boolean;
  /** A caller that needs the ChildProcess (piped streams) gets it; forces child_process. */
  onSpawn?: ((child: ChildProcess) => void) | undefined;
}

export type ChildEnd =
  | { kind: 'exited'; code: number | null; signal: NodeJS.Signals | null }
  /** The child never started (exec failed): `code` is the errno name, e.g. ENOENT. */
  | { kind: 'not-started'; code: string; message: string };

export interface RunningChild {
  readonly pid: number | undefined;
  /** Whether the child is still running (not yet reaped). */
  readonly running: boolean;
  /** Sends `signal`; does nothing once the child is gone. */
  kill(signal: NodeJS.Signals): void;
  /** Settles once, when the child has ended. Never rejects. */
  readonly ended: Promise<ChildEnd>;
}

/** The native handle's surface, as child_process itself uses it (Node >= 20). */
interface ProcessHandle {
  pid?: number;
  onexit: ((exitCode: number, signalCode: string) => void) | null;
  spawn(options: {
    file: string;
    args: string[];
    cwd: string;
    envPairs: string[];
    stdio: Array<{ type: 'ignore' } | { type: 'fd'; fd: number }>;
    detached: boolean;
  }): number;
  kill(signal: number): number;
  close(): void;
}

type ProcessHandleConstructor = new () => ProcessHandle;

let processHandleClass: ProcessHandleConstructor | null | undefined;

/**
 * The process handle class, or null where it is unavailable or would print a deprecation warning
 * (a host started with --pending-deprecation warns on every process.binding call).
 */
function processHandle(): ProcessHandleConstructor | null {
  if (processHandleClass !== undefined) return processHandleClass;
  processHandleClass = null;
  const Process = (privateBinding('process_wrap') as { Process?: unknown } | undefined)?.Process;
  if (typeof Process === 'function' && typeof (Process.prototype as Partial<ProcessHandle>).spawn === 'function') {
    processHandleClass = Process as ProcessHandleConstructor;
  }
  return processHandleClass;
}

function plainDescriptors(stdio: readonly StdioSlot[]): Array<{ type: 'ignore' } | { type: 'fd'; fd: number }> | null {
  const out: Array<{ type: 'ignore' } | { type: 'fd'; fd: number }> = [];
  for (const [index, slot] of stdio.entries()) {
    if (slot === 'ignore' || slot === null || slot === undefined) out.push({ type: 'ignore' });
    else if (slot === 'inherit') out.push({ type: 'fd', fd: index });
    else if (typeof slot === 'number') out.push({ type: 'fd', fd: slot });
    else return null;
  }
  return out;
}

/** Starts the child. Failure to exec is reported through `ended`, never thrown. */
export function launchChild(launch: ChildLaunch): RunningChild {
  const Handle = launch.onSpawn === undefined ? processHandle() : null;
  const descriptors = Handle === null ? null : plainDescriptors(launch.stdio);
  if (Handle !== null && descriptors !== null) {
    try {
      return launchThroughHandle(Handle, launch, descriptors);
    } catch {
      // The private binding is not what this code expects (a newer Node changed it): the public
      // API from now on. It throws while checking its options, before any process is started.
      processHandleClass = null;
    }
  }
  return launchThroughChildProcess(launch);
}

function signalName(signal: string): NodeJS.Signals | null {
  return signal === '' ? null : (signal as NodeJS.Signals);
}

function errnoName(code: number): string {
  for (const [name, value] of Object.entries(os.constants.errno)) if (-value === code) return name;
  return `errno ${-code}`;
}

function launchThroughHandle(
  Handle: ProcessHandleConstructor,
  launch: ChildLaunch,
  stdio: Array<{ type: 'ignore' } | { type: 'fd'; fd: number }>,
): RunningChild {
  const handle = new Handle();
  let running = true;
  let settle: (end: ChildEnd) => void = () => {};
  const ended = new Promise<ChildEnd>((resolve) => {
    settle = resolve;
  });
  handle.onexit = (exitCode, signalCode) => {
    running = false;
    handle.close();
    const signal = signalName(signalCode);
    settle({ kind: 'exited', code: signal === null ? exitCode : null, signal });
  };
  const envPairs = Object.entries(launch.env).map(([key, value]) => `${key}=${value}`);
  const status = handle.spawn({
    file: launch.file,
    args: [launch.argv0, ...launch.args],
    cwd: launch.cwd,
    envPairs,
    stdio,
    detached: launch.detached,
  });
  if (status !== 0) {
    running = false;
    handle.onexit = null;
    handle.close();
    const code = errnoName(status);
    settle({ kind: 'not-started', code, message: `spawn ${launch.file} ${code}` });
  }
  const numbers = os.constants.signals;
  return {
    pid: status === 0 ? handle.pid : undefined,
    get running() {
      return running;
    },
    kill(signal) {
      if (running) handle.kill(numbers[signal]);
    },
    ended,
  };
}

function launchThroughChildProcess(launch: ChildLaunch): RunningChild {
  let child: ChildProcess;
  try {
    child = spawn(launch.file, [...launch.args], {
      argv0: launch.argv0,
      cwd: launch.cwd,
      env: launch.env,
      stdio: [...launch.stdio],
      detached: launch.detached,
    });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'EINVAL';
    return {
      pid: undefined,
      running: false,
      kill() {},
      ended: Promise.resolve({ kind: 'not-started', code, message: String(error) }),
    };
  }
  const ended = new Promise<ChildEnd>((resolve) => {
    let spawnError: NodeJS.ErrnoException | undefined;
    child.on('error', (error: NodeJS.ErrnoException) => {
      spawnError = error;
    });
    child.on('close', (code, signal) => {
      if (spawnError !== undefined && child.pid === undefined) {
        resolve({ kind: 'not-started', code: spawnError.code ?? 'EINVAL', message: spawnError.message });
        return;
      }
      resolve({ kind: 'exited', code, signal });
    });
  });
  launch.onSpawn?.(child);
  return {
    get pid() {
      return child.pid;
    },
    get running() {
      return child.exitCode === null && child.signalCode === null && child.pid !== undefined;
    },
    kill(signal) {
      try {
        child.kill(signal);
      } catch {
        // Already exited.
      }
    },
    ended,
  };
}
