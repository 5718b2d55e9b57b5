// Owns the probe runs of bwrap that tell what the host allows, and reading their outcome: the
// user-namespace probe (B7.3: the known "cannot create user namespaces" failures), the /proc
// preflight (L24: does the host let bwrap mount a fresh /proc in a new pid namespace?) and the
// mask-helper probe (G11: can codex-mask-helper make masks in this bwrap, on this kernel?). Each
// call spawns bwrap once and returns what it showed. Must NOT read or write the probe cache (host-facts.ts
// asks it first and records the outcome), choose the launcher or run the user's command.

import { spawn } from 'node:child_process';
import * as fs from 'node:fs';

import type { ResolvedSandboxPolicy } from '@codex-sandbox/policy';

import { encodeMaskHelperSpec } from '@codex-sandbox/policy';

import { buildBwrapArgs, type BwrapNetworkMode } from './bwrap-args.js';
import { unnamedDataFile } from './descriptors.js';
import type { LauncherChoice } from './launcher.js';
import { DIR_TEMPLATE_IN_SANDBOX, FILE_TEMPLATE_IN_SANDBOX, maskStageArgs } from './mask-stage.js';
import { isUserNamespaceFailure } from './warnings.js';

/** What a /proc preflight showed: the host lets bwrap mount a fresh /proc, or refuses it. */
export type ProcMountOutcome = 'mount-proc' | 'no-proc';

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

/** Runs bwrap with stdin/stdout on /dev/null and stderr captured (bounded), `fds` from 3 on; never throws. */
function runProbe(launcher: LauncherChoice, args: readonly string[], timeoutMs: number, fds: readonly number[] = []): Promise<ProbeRun> {
  return new Promise((resolve) => {
    let stderr = '';
    let settled = false;
    let timedOut = false;
    const child = spawn(launcher.exec.file, [...args], {
      argv0: launcher.exec.argv0,
      stdio: ['ignore', 'ignore', 'pipe', ...fds],
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

const USERNS_PROBE_ARGS = ['--unshare-user', '--unshare-net', '--ro-bind', '/', '/', '/bin/true'] as const;

/** `ok`: bwrap created its namespaces; `failed`: a known user-namespace failure; else `inconclusive`. */
export type UserNamespaceProbeOutcome = 'ok' | 'failed' | 'inconclusive';

/** Spawns the user-namespace probe. A timeout, a spawn error or an unrelated failure is inconclusive. */
export async function probeUserNamespaces(launcher: LauncherChoice): Promise<UserNamespaceProbeOutcome> {
  const run = await runProbe(launcher, USERNS_PROBE_ARGS, USERNS_PROBE_TIMEOUT_MS);
  if (userNamespaceProbeFailed(run)) return 'failed';
  return run.exitCode === 0 ? 'ok' : 'inconclusive';
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
function preflightPolicy(network: BwrapNetworkMode): ResolvedSandboxPolicy {
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

function procPreflightArgs(network: BwrapNetworkMode): string[] {
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

/**
 * L24: spawns the /proc preflight. `undefined`: inconclusive (another failure), so the caller keeps
 * /proc on and the real run reports the real problem. `mount-proc` in a mode other than `full` also
 * proves user namespaces (the preflight unshares the network, as the namespace probe does).
 */
export async function probeProcMount(launcher: LauncherChoice, network: BwrapNetworkMode): Promise<ProcMountOutcome | undefined> {
  const run = await runProbe(launcher, procPreflightArgs(network), PROC_PREFLIGHT_TIMEOUT_MS);
  if (run.exitCode === 0) return 'mount-proc';
  if (run.exitCode !== null && isProcMountRefusal(run.stderr)) return 'no-proc';
  return undefined;
}

const MASK_PROBE_TIMEOUT_MS = 10_000;
const MASK_PROBE_DIR = '/dev/.codex-mask-probe';

/** What the mask-helper probe showed; `undefined` from probeMaskHelper: inconclusive (timeout, spawn failure). */
export type MaskProbeOutcome = { ok: true } | { ok: false; reason: string };

/**
 * G11: runs codex-mask-helper (`helperBytes`) the way a run would, masking one file and one
 * directory bwrap made in its /dev, then `true`. Exit 0: the kernel and this bwrap support it. A
 * failure carries the helper's (or bwrap's) last line.
 */
export async function probeMaskHelper(launcher: LauncherChoice, helperBytes: Uint8Array, mountProc: boolean, tmpDirs: readonly string[]): Promise<MaskProbeOutcome | undefined> {
  const opened: number[] = [];
  try {
    const spec = encodeMaskHelperSpec({
      fileTemplate: FILE_TEMPLATE_IN_SANDBOX,
      dirTemplate: DIR_TEMPLATE_IN_SANDBOX,
      fileMasks: [`${MASK_PROBE_DIR}/file`],
      dirMasks: [`${MASK_PROBE_DIR}/dir`],
      keepFds: [],
    });
    for (const bytes of [helperBytes, spec]) opened.push(unnamedDataFile(Buffer.from(bytes), tmpDirs));
    for (let i = 0; i < 2; i += 1) opened.push(fs.openSync('/dev/null', 'r'));
    // Descriptors 3 and 4: the helper and its spec; 5 and 6: empty data (bwrap >= 0.9 closes each after one use).
    const stage = maskStageArgs({ helperFd: 3, specFd: 4 }, 6, [trueCommand()]);
    const args = [
      '--new-session', '--die-with-parent', '--ro-bind', '/', '/', '--dev', '/dev',
      '--file', '5', `${MASK_PROBE_DIR}/file`, '--dir', `${MASK_PROBE_DIR}/dir`,
      '--unshare-user', '--disable-userns', '--assert-userns-disabled', '--unshare-pid', '--unshare-net',
      ...(mountProc ? ['--proc', '/proc'] : ['--tmpfs', '/proc']),
      '--cap-drop', 'ALL', ...stage.caps, ...stage.mounts, '--', ...stage.command,
    ];
    const run = await runProbe(launcher, args, MASK_PROBE_TIMEOUT_MS, opened);
    if (run.exitCode === 0) return { ok: true };
    if (run.timedOut || run.spawnFailed) return undefined;
    const last = run.stderr.trim().split('\n').pop() ?? '';
    return { ok: false, reason: last === '' ? `the probe exited with status ${String(run.exitCode ?? run.signal)}` : last };
  } finally {
    for (const fd of opened) fs.closeSync(fd);
  }
}
