// Owns the OS side of one run once it is planned: opening what bwrap reads (the unnamed seccomp and
// status files, one /dev/null per data use, the proxy-only and mask helpers and their specs),
// registering and claiming the run's placeholders (placeholder-hold.ts keeps them for the sandbox
// object), spawning bwrap (or, when the policy restricts nothing, the
// command itself) in its own session, forwarding signals, waiting and passing the exit status
// through, and closing everything it opened. Also writes the front end's message for a command that
// cannot start. Must NOT decide anything about the run (run-plan.ts did) and must never start a
// command with less confinement than its plan says.

import * as fs from 'node:fs';
import * as os from 'node:os';

import { commandLookupExitCode, commandLookupMessage, type CommandLookupFailure } from '@codex-sandbox/policy';

import { forwardingBeforeSpawn, launchChild, toProcessGroupOf, type RunningChild, type StdioSlot } from '@codex-sandbox/process-launch';
import { descriptorAtOrAbove, readStatusFile, unnamedDataFile, unnamedFileDirectories, unnamedStatusFile } from './descriptors.js';
import { spawnWithoutInheritedDescriptors } from './inherited-descriptors.js';
import type { MaskHelper } from './mask-helper.js';
import type { NetnsHelper } from './netns-helper.js';
import { checkRouteSockets } from './proxy-only-run.js';
import type { PlaceholderHold } from './placeholder-hold.js';
import type { PreparedRun } from './run-plan.js';
import type { SandboxRunRequest } from './run-request.js';
import { BwrapSpawnError, SandboxRequestError } from './runtime-errors.js';
import { exitStatusOf, initPidFromStatus, SandboxSignalTarget } from './signals.js';

/** What the sandbox object lends a launch. */
export interface LaunchContext {
  /** Where the unnamed files go (default os.tmpdir()). */
  tmpDir: string | undefined;
  /** The sandbox object's claim on placeholders: a run adds its own, the object releases them. */
  placeholders: PlaceholderHold;
  /** codex-netns-helper, for proxy-only runs (loaded on first use). */
  netnsHelper: () => NetnsHelper;
  /** codex-mask-helper, when the plan has it make the masks (G11; loaded while planning). */
  maskHelper: () => MaskHelper;
  forwardSignals: boolean;
}

export type LaunchRequest = Pick<SandboxRunRequest, 'command' | 'commandCwd' | 'env' | 'stdio' | 'onSpawn'>;

function cleanEnv(env: Record<string, string | undefined>): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined) result[key] = value;
  return result;
}

export function stdioSlots(stdio: SandboxRunRequest['stdio']): [StdioSlot, StdioSlot, StdioSlot] {
  if (stdio === undefined || stdio === 'inherit') return ['inherit', 'inherit', 'inherit'];
  if (stdio === 'ignore') return ['ignore', 'ignore', 'ignore'];
  if (stdio === 'pipe') return ['pipe', 'pipe', 'pipe'];
  return stdio;
}

/** Writes a front-end message where the command's stderr would go (nowhere for ignore / pipe). */
function writeToCommandStderr(message: string, stdio: SandboxRunRequest['stdio']): void {
  const stderr = stdioSlots(stdio)[2];
  if (stderr === 'inherit') process.stderr.write(message);
  else if (typeof stderr === 'number') fs.writeSync(stderr, message);
}

/** What a shell prints and returns for a command it cannot start (127 not found or hidden, 126 not executable). */
export function reportCommandFailure(program: string, failure: CommandLookupFailure, stdio: SandboxRunRequest['stdio']): number {
  writeToCommandStderr(`codex sandbox: ${commandLookupMessage(program, failure)}\n`, stdio);
  return commandLookupExitCode(failure);
}

/** Runs a planned bwrap run to its end; every descriptor it opened is closed after (placeholders stay claimed, L32.1). */
export async function launchBwrap(req: LaunchRequest, prepared: PreparedRun, context: LaunchContext): Promise<number> {
  const targets = prepared.plan.syntheticTargets;
  const opened: number[] = [];
  let heldExec: { fd: number; close: () => void } | undefined;
  try {
    const unnamedDirs = unnamedFileDirectories(context.tmpDir ?? os.tmpdir());
    const seccompFd = prepared.seccompProgram === undefined ? undefined : unnamedDataFile(prepared.seccompProgram, unnamedDirs);
    if (seccompFd !== undefined) opened.push(seccompFd);
    const dataFds: number[] = [];
    for (let i = 0; i < prepared.dataDescriptorCount; i += 1) {
      const fd = fs.openSync('/dev/null', 'r');
      opened.push(fd);
      dataFds.push(fd);
    }
    const statusFd = unnamedStatusFile(unnamedDirs);
    opened.push(statusFd);
    const proxyFds: number[] = [];
    if (prepared.proxyOnly !== undefined) {
      // Checked now, right before bwrap binds them: a route to nothing refuses the run.
      checkRouteSockets(prepared.proxyOnly.hostSockets);
      const helper = context.netnsHelper();
      for (const bytes of [helper.bytes, prepared.proxyOnly.spec]) {
        const fd = unnamedDataFile(Buffer.from(bytes), unnamedDirs);
        opened.push(fd);
        proxyFds.push(fd);
      }
    }
    const maskFds: number[] = [];
    if (prepared.maskHelper !== undefined) {
      for (const bytes of [context.maskHelper().bytes, prepared.maskHelper.spec]) {
        const fd = unnamedDataFile(Buffer.from(bytes), unnamedDirs);
        opened.push(fd);
        maskFds.push(fd);
      }
    }
    // The numbering run-plan.ts gave them: 3, 4, the netns helper's two, the mask helper's two, data.
    const stdio: StdioSlot[] = [...stdioSlots(req.stdio), seccompFd ?? 'ignore', statusFd, ...proxyFds, ...maskFds, ...dataFds];
    let file = prepared.launcher.exec.file;
    if (prepared.launcher.heldFd !== undefined) {
      heldExec = descriptorAtOrAbove(prepared.launcher.heldFd, stdio.length);
      file = `/proc/self/fd/${heldExec.fd}`;
    }
    context.placeholders.cover(targets);
    return await spawnAndWait(file, prepared, stdio, () => initPidFromStatus(readStatusFile(statusFd)), req, context.forwardSignals);
  } finally {
    for (const fd of opened) fs.closeSync(fd);
    heldExec?.close();
  }
}

export function startChild(req: LaunchRequest, file: string, argv0: string, args: string[], stdio: StdioSlot[]): Promise<RunningChild> {
  return spawnWithoutInheritedDescriptors(() =>
    launchChild({
      file,
      argv0,
      args,
      cwd: req.commandCwd,
      env: cleanEnv(req.env),
      stdio,
      // Own session: a terminal's SIGINT reaches only the front end, which forwards it once.
      detached: true,
      onSpawn: req.onSpawn,
    }),
  );
}

async function spawnAndWait(
  file: string,
  prepared: PreparedRun,
  stdio: StdioSlot[],
  readInitPid: () => number | undefined,
  req: LaunchRequest,
  forwardSignals: boolean,
): Promise<number> {
  const forwarding = forwardingBeforeSpawn(forwardSignals);
  let end: Awaited<RunningChild['ended']>;
  try {
    const child = await startChild(req, file, prepared.launcher.exec.argv0, prepared.args, stdio);
    const target = new SandboxSignalTarget(child, readInitPid);
    forwarding.attach(target.send);
    end = await child.ended;
    target.finish();
  } finally {
    forwarding.stop();
  }
  if (end.kind === 'not-started') throw new BwrapSpawnError(`cannot start bubblewrap ${prepared.launcher.path}: ${end.message}`);
  return exitStatusOf(end.code, end.signal);
}

/** Runs the command itself, no sandbox (full access). Signals are forwarded like for sandboxed runs. */
export async function launchDirect(req: LaunchRequest, forwardSignals: boolean): Promise<number> {
  const [program, ...args] = req.command;
  if (program === undefined) throw new SandboxRequestError('no command to run');
  const end = await startForwardingToGroup(forwardSignals, () => startChild(req, program, program, args, stdioSlots(req.stdio)));
  if (end.kind === 'not-started') {
    // What a shell reports: 127 for a missing command, 126 when it cannot be executed.
    writeToCommandStderr(`codex sandbox: ${program}: ${end.message}\n`, req.stdio);
    return end.code === 'ENOENT' ? 127 : 126;
  }
  return exitStatusOf(end.code, end.signal);
}

/**
 * Starts a child that leads its own process group and waits for it, forwarding signals to the
 * whole group; the handlers are in place before the spawn (forwardingBeforeSpawn).
 */
export async function startForwardingToGroup(forwardSignals: boolean, start: () => Promise<RunningChild>): Promise<Awaited<RunningChild['ended']>> {
  const forwarding = forwardingBeforeSpawn(forwardSignals);
  try {
    const child = await start();
    forwarding.attach(toProcessGroupOf(child));
    return await child.ended;
  } finally {
    forwarding.stop();
  }
}
