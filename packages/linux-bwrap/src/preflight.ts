// Owns the host checks that decide how (and whether) bwrap can run here: the user-namespace probe
// (B7.3: warn on the known "cannot create user namespaces" failures) and the /proc preflight (L24:
// does the host let bwrap mount a fresh /proc in a new pid namespace?). Results that hold for a
// boot are cached per bwrap identity + boot id + uid (ProbeCache), so the common path runs bwrap
// once. Must NOT choose the launcher or run the user's command.

import { spawn } from 'node:child_process';
import * as fs from 'node:fs';

import type { ResolvedSandboxPolicy } from '@codex-sandbox/policy';

import { buildBwrapArgs, type BwrapNetworkMode } from './bwrap-args.js';
import type { LauncherChoice } from './launcher.js';
import type { ProbeCache, ProcMountOutcome } from './probe-cache.js';
import { isUserNamespaceFailure } from './warnings.js';


const USERNS_PROBE_TIMEOUT_MS = 500;
const PROC_PREFLIGHT_TIMEOUT_MS = 10_000;
/** After bwrap exits, how long to wait for stderr to drain (a descendant may hold the pipe open). */
const STDERR_GRACE_MS = 100;
const MAX_CAPTURED_STDERR = 64 * 1024;

export interface ProbeRun {
  /** null when killed by a signal or by our timeout. */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  spawnFailed: boolean;
  stderr: string;
}

/** Runs bwrap with stdin/stdout on /dev/null and stderr captured (bounded); never throws. */
export function runProbe(launcher: LauncherChoice, args: readonly string[], timeoutMs: number): Promise<ProbeRun> {
  return new Promise((resolve) => {
    let stderr = '';
    let settled = false;
    let timedOut = false;
    const child = spawn(launcher.exec.file, [...args], {
      argv0: launcher.exec.argv0,
      stdio: ['ignore', 'ignore', 'pipe'],
      detached: true,
    });
    const finish = (run: Omit<ProbeRun, 'stderr' | 'timedOut'>): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.stderr?.destroy();
      resolve({ ...run, timedOut, stderr });
    };
    child.stderr?.on('data', (chunk: Buffer) => {
      if (stderr.length < MAX_CAPTURED_STDERR) stderr += chunk.toString('utf8').slice(0, MAX_CAPTURED_STDERR - stderr.length);
    });
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        child.kill('SIGKILL');
      } catch {
        // Already gone.
      }
    }, timeoutMs);
    child.on('error', () => finish({ exitCode: null, signal: null, spawnFailed: true }));
    child.on('exit', (exitCode, signal) => {
      const done = (): void => finish({ exitCode, signal, spawnFailed: false });
      if (child.stderr === null || child.stderr.readableEnded) {
        done();
        return;
      }
      child.stderr.once('end', done);
      setTimeout(done, STDERR_GRACE_MS).unref();
    });
  });
}

/** B7.3: true when the probe shows a known user-namespace failure. Timeouts and spawn errors count as fine. */
export function userNamespaceProbeFailed(run: ProbeRun): boolean {
  if (run.spawnFailed || run.timedOut) return false;
  if (run.exitCode === 0) return false;
  return isUserNamespaceFailure(run.stderr);
}

export const USERNS_PROBE_ARGS = ['--unshare-user', '--unshare-net', '--ro-bind', '/', '/', '/bin/true'] as const;

/**
 * Whether bwrap can create the namespaces it needs (cached on success only). Returns true when it
 * can, or when the probe could not tell (timeout, spawn error, unrelated failure).
 */
export async function checkUserNamespaces(launcher: LauncherChoice, cache: ProbeCache, host: string | undefined): Promise<boolean> {
  if (cache.hostFacts(launcher.identity, host)?.userNamespacesOk === true) return true;
  const run = await runProbe(launcher, USERNS_PROBE_ARGS, USERNS_PROBE_TIMEOUT_MS);
  const failed = userNamespaceProbeFailed(run);
  if (!failed && run.exitCode === 0) {
    cache.updateHost(launcher.identity, host, (facts) => {
      facts.userNamespacesOk = true;
    });
  }
  return !failed;
}

/**
 * Pure (L24): does this preflight stderr say the host refuses to mount a fresh /proc? bubblewrap
 * 0.8 names the target `/newroot/proc`, 0.12 names it `/proc`.
 */
export function isProcMountRefusal(stderr: string): boolean {
  return (
    /Can't mount proc on (?:\/newroot)?\/proc\b/.test(stderr) &&
    ['Invalid argument', 'Operation not permitted', 'Permission denied'].some((reason) => stderr.includes(reason))
  );
}

function trueCommand(): string {
  for (const candidate of ['/usr/bin/true', '/bin/true']) {
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // Try the next one.
    }
  }
  return 'true';
}

/** The policy the preflight runs under: `:minimal = read` only, cwd `/`. */
export function preflightPolicy(network: BwrapNetworkMode): ResolvedSandboxPolicy {
  return {
    kind: 'restricted',
    cwd: '/',
    network: network === 'full' ? 'enabled' : 'restricted',
    fullDiskRead: false,
    fullDiskWrite: false,
    includePlatformDefaults: true,
    readableRoots: [],
    writableRoots: [],
    unreadableRoots: [],
    unreadableGlobs: [],
    needsSandbox: true,
  };
}

export function procPreflightArgs(network: BwrapNetworkMode): string[] {
  const plan = buildBwrapArgs(preflightPolicy(network), {
    commandCwd: '/',
    command: [trueCommand()],
    // A proxy-only sandbox has the namespaces of an isolated one (its routes are mounts below /dev).
    network: network === 'proxy-only' ? 'isolated' : network,
    mountProc: true,
    // A preflight policy has no placeholders, so no data descriptor is ever read.
    emptyDataFd: 5,
    // A host probe, not a command: no filter (and no descriptor to hand over).
    seccompFd: null,
    denyGlobMatches: [],
  });
  return plan.args;
}

export interface ProcDecision {
  mountProc: boolean;
  /** The preflight ran and exited 0 with user namespaces (so the user-namespace probe can be skipped). */
  provedUserNamespaces: boolean;
}

/**
 * L24: mount a fresh /proc unless a preflight shows the host refuses it. The outcome is cached per
 * bwrap identity, boot, uid and network mode; inconclusive preflights (other failures) are not
 * cached and keep /proc on, so the real run reports the real problem.
 */
export async function decideProcMount(
  launcher: LauncherChoice,
  network: BwrapNetworkMode,
  cache: ProbeCache,
  host: string | undefined,
): Promise<ProcDecision> {
  const cached = cache.hostFacts(launcher.identity, host)?.procMount?.[network];
  if (cached !== undefined) return { mountProc: cached === 'mount-proc', provedUserNamespaces: false };
  const run = await runProbe(launcher, procPreflightArgs(network), PROC_PREFLIGHT_TIMEOUT_MS);
  let outcome: ProcMountOutcome | undefined;
  if (run.exitCode === 0) outcome = 'mount-proc';
  else if (run.exitCode !== null && isProcMountRefusal(run.stderr)) outcome = 'no-proc';
  if (outcome !== undefined) {
    const decided = outcome;
    cache.updateHost(launcher.identity, host, (facts) => {
      facts.procMount = { ...facts.procMount, [network]: decided };
      if (decided === 'mount-proc' && network !== 'full') facts.userNamespacesOk = true;
    });
  }
  return { mountProc: outcome !== 'no-proc', provedUserNamespaces: run.exitCode === 0 && network !== 'full' };
}
