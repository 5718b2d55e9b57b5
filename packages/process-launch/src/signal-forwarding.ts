// Owns the front end's side of signals for any backend's run: the process-wide handlers that exist
// only while a run is active and hand each forwarded signal to the running sandboxes, and the
// mapping of how a child ended to the exit status a shell would report (C6, C7). Must NOT spawn
// processes or decide where a signal goes inside a sandbox (each backend's runner does).
import * as os from 'node:os';

/** Signals received by the front end that go on to the command. */
export const FORWARDED_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH'] as const;

/**
 * Signals whose listener, once installed, stays for the life of the process (a no-op between
 * runs). Node's own SIGUSR1 handler opens the inspector, an unauthenticated debugger on
 * 127.0.0.1:9229 that a sandboxed command with network access could connect to; a JS listener
 * replaces that handler, and removing the last listener would not bring Node's back (libuv resets
 * the signal to its default action, which kills the process). So after the first run, SIGUSR1 in a
 * host program is forwarded during runs and ignored otherwise, never a debugger.
 */
const KEPT_SIGNALS: ReadonlySet<NodeJS.Signals> = new Set(['SIGUSR1']);
const keptListeners = new Set<NodeJS.Signals>();

function keepListening(signal: NodeJS.Signals): void {
  if (!KEPT_SIGNALS.has(signal) || keptListeners.has(signal)) return;
  keptListeners.add(signal);
  process.on(signal, () => {});
}

function signalNumber(signal: NodeJS.Signals): number {
  return os.constants.signals[signal] ?? 0;
}

/** exit code → same; killed by signal N → 128+N (what a shell reports). */
export function exitStatusOf(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  if (signal !== null) return 128 + signalNumber(signal);
  return 1;
}

/** The running children signals are forwarded to; handlers exist only while something runs. */
class SignalForwarding {
  private readonly targets = new Set<(signal: NodeJS.Signals) => void>();
  private readonly handlers = new Map<NodeJS.Signals, () => void>();

  add(target: (signal: NodeJS.Signals) => void): () => void {
    this.targets.add(target);
    if (this.handlers.size === 0) {
      for (const signal of FORWARDED_SIGNALS) {
        keepListening(signal);
        const handler = (): void => {
          for (const t of this.targets) t(signal);
        };
        this.handlers.set(signal, handler);
        process.on(signal, handler);
      }
    }
    return () => {
      this.targets.delete(target);
      if (this.targets.size === 0) {
        for (const [signal, handler] of this.handlers) process.removeListener(signal, handler);
        this.handlers.clear();
      }
    };
  }
}

export const signalForwarding = new SignalForwarding();

/** Forwarding installed before its child exists; see forwardingBeforeSpawn. */
export interface EarlyForwarding {
  /** From now on signals go to `target`; those that arrived before are delivered to it first, in order. */
  attach(target: (signal: NodeJS.Signals) => void): void;
  /** Removes this run's handlers (the process-wide ones go when no run is left). */
  stop(): void;
}

/**
 * Installs the front end's handlers before the child is started. Installed after, a signal in the
 * window between the spawn and the handlers (a Ctrl-C right as the command starts, which may
 * already have printed) would hit the default action and kill the front end, and the command would
 * die with it (bwrap's --die-with-parent) instead of getting the signal. `enabled` false installs
 * nothing (a library host that forwards signals itself).
 */
export function forwardingBeforeSpawn(enabled: boolean): EarlyForwarding {
  if (!enabled) return { attach() {}, stop() {} };
  const pending: NodeJS.Signals[] = [];
  let current: ((signal: NodeJS.Signals) => void) | undefined;
  const stop = signalForwarding.add((signal) => {
    if (current === undefined) pending.push(signal);
    else current(signal);
  });
  return {
    attach(target) {
      current = target;
      for (const signal of pending.splice(0)) target(signal);
    },
    stop,
  };
}


/**
 * Forwards a signal to the process group a child leads (it was started in its own session), or to
 * the child itself when the group is gone or never formed.
 */
export function toProcessGroupOf(child: { readonly pid: number | undefined; kill(signal: NodeJS.Signals): void }): (signal: NodeJS.Signals) => void {
  return (signal) => {
    if (child.pid === undefined) return;
    try {
      process.kill(-child.pid, signal);
    } catch {
      child.kill(signal);
    }
  };
}
