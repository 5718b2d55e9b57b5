// Owns running one planned Seatbelt launch: `/usr/bin/sandbox-exec` (never from PATH) started in
// its own session with the plan's argv and the command's environment plus the plan's variables,
// the front end's signals forwarded to its process group, its status passed on as a shell would
// (C6, C7), and --log-denials around it (M15). Must NOT build or change the policy (plan.ts does).
import type { ChildProcess } from 'node:child_process';
import { exitStatusOf, forwardingBeforeSpawn, launchChild, standardStdio, toProcessGroupOf } from '@codex-sandbox/process-launch';
import { startDenialLogger, type Denial } from './denial-log.js';
import { SeatbeltRunError } from './errors.js';
import { SANDBOX_EXEC_PATH, type SeatbeltPlan } from './plan.js';

export interface SeatbeltRunRequest {
  plan: SeatbeltPlan;
  cwd: string;
  /** The command's environment (the plan's variables are added on top). */
  env: Readonly<Record<string, string | undefined>>;
  stdio?: 'inherit' | 'ignore' | 'pipe';
  onSpawn?: (child: ChildProcess) => void;
  /** M15: stream the sandbox log while the command runs and return the command's denials. */
  logDenials?: boolean;
}

export interface SeatbeltRunResult {
  exitCode: number;
  /** With logDenials: the command tree's denials, unique, first seen first. */
  denials?: Denial[];
}

/** The environment as sandbox-exec gets it: unset variables dropped, the plan's variables added. */
export function launchEnvironment(env: Readonly<Record<string, string | undefined>>, plan: Pick<SeatbeltPlan, 'envAdditions'>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined) out[key] = value;
  return { ...out, ...plan.envAdditions };
}

/** Runs `executable` with the plan's arguments. Only tests pass another executable than sandbox-exec. */
export async function launchPlanned(request: SeatbeltRunRequest, executable: string): Promise<SeatbeltRunResult> {
  const logger = request.logDenials === true ? await startDenialLogger() : undefined;
  const forwarding = forwardingBeforeSpawn(true);
  let end: Awaited<ReturnType<typeof launchChild>['ended']>;
  try {
    const child = launchChild({
      file: executable,
      argv0: executable,
      args: request.plan.argv.slice(1),
      cwd: request.cwd,
      env: launchEnvironment(request.env, request.plan),
      stdio: standardStdio(request.stdio),
      // Own session: a terminal's SIGINT reaches only the front end, which forwards it once.
      detached: true,
      onSpawn: request.onSpawn,
    });
    if (child.pid !== undefined) logger?.track(child.pid);
    forwarding.attach(toProcessGroupOf(child));
    end = await child.ended;
  } finally {
    forwarding.stop();
  }
  const denials = await logger?.finish();
  if (end.kind === 'not-started') throw new SeatbeltRunError(`cannot start ${executable}: ${end.message}`);
  return { exitCode: exitStatusOf(end.code, end.signal), ...(denials !== undefined ? { denials } : {}) };
}

/** Runs the plan under /usr/bin/sandbox-exec. */
export function runSeatbelt(request: SeatbeltRunRequest): Promise<SeatbeltRunResult> {
  return launchPlanned(request, SANDBOX_EXEC_PATH);
}
