// Owns getting signals to the sandboxed command under bwrap: delivery to the sandbox's process
// group once bwrap has reported its pid (the process-wide handlers and the exit-status mapping are
// @codex-sandbox/process-launch's). Must NOT spawn processes or decide anything about the sandbox itself.

import * as fs from 'node:fs';
import type { RunningChild } from '@codex-sandbox/process-launch';

// The handlers and the status mapping are shared with the macOS runner (@codex-sandbox/process-launch).
export { exitStatusOf, signalForwarding } from '@codex-sandbox/process-launch';

/**
 * Delivers signals to the sandbox's process group. bwrap reports the host pid of the namespace's
 * PID 1 (its init, which ignores them) in its status; with --new-session that init leads the
 * session and process group the command runs in, so signalling the group reaches the command and
 * its children. The status is read only when a signal arrives (`readInitPid`); a signal that
 * arrives before bwrap reported the pid, or before the init called setsid, is retried.
 */
export class SandboxSignalTarget {
  private initPid: number | undefined;
  private finished = false;

  constructor(
    private readonly bwrap: Pick<RunningChild, 'kill' | 'running' | 'pid'>,
    private readonly readInitPid: () => number | undefined,
    private readonly parentOf: (pid: number) => number | undefined = parentPidOf,
  ) {}

  finish(): void {
    this.finished = true;
  }

  send = (signal: NodeJS.Signals): void => {
    this.deliver(signal, 0);
  };

  private deliver(signal: NodeJS.Signals, attempt: number): void {
    if (this.finished) return;
    this.initPid ??= this.trustedInitPid();
    if (this.initPid !== undefined) {
      try {
        process.kill(-this.initPid, signal);
        return;
      } catch {
        // No such group yet (init has not called setsid) or it is gone already.
      }
    }
    if (attempt < RETRY_LIMIT && this.sandboxMayStillForm()) {
      setTimeout(() => this.deliver(signal, attempt + 1), RETRY_INTERVAL_MS);
      return;
    }
    // The sandbox is gone or never formed a group: bwrap itself gets it (its children die with it).
    this.bwrap.kill(signal);
  }

  /**
   * The reported pid, only when it is a child of the bwrap we started: a pid taken from a file is
   * never signalled on trust (whoever could forge the status would pick the process group).
   */
  private trustedInitPid(): number | undefined {
    const reported = this.readInitPid();
    if (reported === undefined || this.bwrap.pid === undefined) return undefined;
    return this.parentOf(reported) === this.bwrap.pid ? reported : undefined;
  }

  /** Before the pid is known, while bwrap runs; after, while the init lives. */
  private sandboxMayStillForm(): boolean {
    if (this.initPid === undefined) return this.bwrap.running;
    try {
      process.kill(this.initPid, 0);
      return true;
    } catch {
      return false;
    }
  }
}

/** The parent pid of a live process (field 4 of /proc/PID/stat), or undefined. */
function parentPidOf(pid: number): number | undefined {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return undefined;
  }
  // The command name may hold spaces and parentheses; the fields after it start past the last ')'.
  const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  return Number.isInteger(ppid) && ppid > 0 ? ppid : undefined;
}

const RETRY_LIMIT = 200;
const RETRY_INTERVAL_MS = 5;

/** The init's pid from bwrap's status text (one JSON document per line), if reported yet. */
export function initPidFromStatus(text: string): number | undefined {
  let found: number | undefined;
  parseStatusLines(text, (pid) => {
    found ??= pid;
  });
  return found;
}

export function parseStatusLines(buffer: string, onPid: (pid: number) => void): string {
  let rest = buffer;
  for (;;) {
    const newline = rest.indexOf('\n');
    if (newline < 0) return rest;
    const line = rest.slice(0, newline);
    rest = rest.slice(newline + 1);
    try {
      const parsed: unknown = JSON.parse(line);
      if (typeof parsed === 'object' && parsed !== null) {
        const pid = (parsed as Record<string, unknown>)['child-pid'];
        if (typeof pid === 'number' && Number.isInteger(pid) && pid > 1) onPid(pid);
      }
    } catch {
      // bwrap writes one JSON document per line; ignore anything else.
    }
  }
}

