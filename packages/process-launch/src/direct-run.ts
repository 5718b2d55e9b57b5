// Owns running a command with no sandbox at all (a policy that restricts nothing, C4) for a
// backend whose runner cannot do it itself (macOS: sandbox-exec would still apply a policy): its
// own session, the front end's signals forwarded to its process group, the shell's exit status.
// Must NOT decide that no sandbox is needed (the policy says so).
import type { ChildProcess } from 'node:child_process';
import { launchChild, standardStdio } from './child-launch.js';
import { exitStatusOf, forwardingBeforeSpawn, toProcessGroupOf } from './signal-forwarding.js';

export interface DirectRunRequest {
  command: readonly string[];
  cwd: string;
  env: Readonly<Record<string, string | undefined>>;
  stdio?: 'inherit' | 'ignore' | 'pipe';
  onSpawn?: (child: ChildProcess) => void;
}

/** Runs the command; a command that cannot start is 127 (missing) or 126, as a shell reports. */
export async function runDirect(request: DirectRunRequest): Promise<number> {
  const [program, ...args] = request.command;
  if (program === undefined) return 127;
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(request.env)) if (value !== undefined) env[key] = value;
  const forwarding = forwardingBeforeSpawn(true);
  let end: Awaited<ReturnType<typeof launchChild>['ended']>;
  try {
    const child = launchChild({ file: program, argv0: program, args, cwd: request.cwd, env, stdio: standardStdio(request.stdio), detached: true, onSpawn: request.onSpawn });
    forwarding.attach(toProcessGroupOf(child));
    end = await child.ended;
  } finally {
    forwarding.stop();
  }
  if (end.kind === 'not-started') {
    if (request.stdio !== 'ignore' && request.stdio !== 'pipe') process.stderr.write(`codex sandbox: ${program}: ${end.message}\n`);
    return end.code === 'ENOENT' ? 127 : 126;
  }
  return exitStatusOf(end.code, end.signal);
}
