// Owns --log-denials (M15): streaming the system log's sandbox reports while the command runs,
// keeping those from the command's process tree, and the report printed after it ends
// (`=== Sandbox denials ===`, one `(process) capability` line per unique denial, or `None found.`).
// The parsing, attribution and formatting are pure; the OS layer runs only /usr/bin/log and
// /bin/ps by absolute path. Must NOT change what the sandbox allows or the command's exit status.
import { spawn, type ChildProcess } from 'node:child_process';
import { SeatbeltRunError } from './errors.js';

export const LOG_PATH = '/usr/bin/log';
export const PS_PATH = '/bin/ps';

/** The predicate that selects the kernel's sandbox reports and the sandbox reporting subsystem. */
export const DENIAL_PREDICATE = '(((processID == 0) AND (senderImagePath CONTAINS "/Sandbox")) OR (subsystem == "com.apple.sandbox.reporting"))';

export interface Denial {
  name: string;
  pid: number;
  capability: string;
}

const DENIAL_MESSAGE = /^Sandbox:\s*(.+?)\((\d+)\)\s+deny\(.*?\)\s*(.+)$/;

/** One ndjson line of `log stream` as a denial, or undefined for anything else. */
export function parseDenialLine(line: string): Denial | undefined {
  let event: unknown;
  try {
    event = JSON.parse(line);
  } catch {
    return undefined;
  }
  const message = typeof event === 'object' && event !== null ? (event as Record<string, unknown>)['eventMessage'] : undefined;
  if (typeof message !== 'string') return undefined;
  const m = DENIAL_MESSAGE.exec(message.trim());
  if (m === null) return undefined;
  return { name: m[1] as string, pid: Number(m[2]), capability: (m[3] as string).trim() };
}

/** Denials from tracked pids, unique by (name, capability), in first-seen order. */
export function attributeDenials(denials: readonly Denial[], tracked: ReadonlySet<number>): Denial[] {
  const seen = new Set<string>();
  const out: Denial[] = [];
  for (const d of denials) {
    if (!tracked.has(d.pid)) continue;
    const key = `${d.name}\0${d.capability}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(d);
  }
  return out;
}

/** The report appended after the command's output. */
export function formatDenials(denials: readonly Denial[]): string {
  const lines = denials.length === 0 ? ['None found.'] : denials.map((d) => `(${d.name}) ${d.capability}`);
  return `\n=== Sandbox denials ===\n${lines.join('\n')}\n`;
}

/** `root` and its descendants in `ps -A -o pid=,ppid=` output. */
export function descendantsOf(root: number, psOutput: string, known: Set<number> = new Set([root])): Set<number> {
  const children = new Map<number, number[]>();
  for (const line of psOutput.split('\n')) {
    const [pid, ppid] = line.trim().split(/\s+/).map(Number);
    if (pid === undefined || ppid === undefined || !Number.isInteger(pid) || !Number.isInteger(ppid)) continue;
    children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  }
  const queue = [...known];
  while (queue.length > 0) {
    const pid = queue.pop() as number;
    for (const child of children.get(pid) ?? []) {
      if (known.has(child)) continue;
      known.add(child);
      queue.push(child);
    }
  }
  return known;
}

/**
 * Polls the process table for the descendants of `root` until stopped. Polling can miss a process
 * that starts and ends between two polls (README: known gaps); every pid seen stays tracked.
 */
export function trackProcessTree(root: number, intervalMs = 50): { stop(): Promise<Set<number>> } {
  const tracked = new Set<number>([root]);
  let running: ChildProcess | undefined;
  const poll = (): Promise<void> =>
    new Promise((resolve) => {
      let out = '';
      running = spawn(PS_PATH, ['-A', '-o', 'pid=,ppid='], { stdio: ['ignore', 'pipe', 'ignore'] });
      running.stdout?.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
      running.on('error', () => resolve());
      running.on('close', () => {
        descendantsOf(root, out, tracked);
        resolve();
      });
    });
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      await poll();
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      return tracked;
    },
  };
}

export interface DenialLogger {
  /** Adds the command's root pid once it is known. */
  track(pid: number): void;
  /** After the command ended: flushes, stops the stream and returns the attributed denials. */
  finish(): Promise<Denial[]>;
}

const BANNER = 'Filtering the log data using ';

/** Starts `log stream` and resolves once it reports that it filters (at most `bannerTimeoutMs`). */
export async function startDenialLogger(bannerTimeoutMs = 2000): Promise<DenialLogger> {
  const log = spawn(LOG_PATH, ['stream', '--style', 'ndjson', '--predicate', DENIAL_PREDICATE], { stdio: ['ignore', 'pipe', 'pipe'] });
  const denials: Denial[] = [];
  let buffer = '';
  let sawBanner: () => void = () => {};
  const banner = new Promise<void>((resolve) => (sawBanner = resolve));
  log.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    buffer += chunk;
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      if (line.startsWith(BANNER)) sawBanner();
      const denial = parseDenialLine(line);
      if (denial !== undefined) denials.push(denial);
    }
  });
  const failed = new Promise<string>((resolve) => {
    log.on('error', (error) => resolve(error.message));
    log.on('exit', (code) => resolve(`it exited with status ${code ?? 'unknown'}`));
  });
  const timeout = new Promise<string>((resolve) => setTimeout(() => resolve(`it did not start filtering within ${bannerTimeoutMs} ms`), bannerTimeoutMs).unref());
  const problem = await Promise.race([banner.then(() => undefined), failed, timeout]);
  if (problem !== undefined) {
    log.kill('SIGTERM');
    throw new SeatbeltRunError(`--log-denials: cannot stream the sandbox log with ${LOG_PATH}: ${problem}`);
  }
  let tracker: ReturnType<typeof trackProcessTree> | undefined;
  return {
    track(pid) {
      tracker ??= trackProcessTree(pid);
    },
    async finish() {
      // The log arrives a little after the event: give it time to flush.
      await new Promise((r) => setTimeout(r, 100));
      log.kill('SIGTERM');
      const tracked = tracker === undefined ? new Set<number>() : await tracker.stop();
      return attributeDenials(denials, tracked);
    },
  };
}
