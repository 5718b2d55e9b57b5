// Owns the plan of one Seatbelt launch: the resolved policy spelled for this host (host-paths.ts),
// turned into SBPL (seatbelt-policy.ts), checked (checker.ts; a policy that fails is never used),
// and the exact argv of `/usr/bin/sandbox-exec` (M1) with the variables the command gets. Must NOT
// spawn anything (runner.ts does) and must NOT resolve the executable from PATH.
import type { ResolvedSandboxPolicy } from '@codex-sandbox/policy';
import { checkSeatbeltPolicy } from './checker.js';
import { SeatbeltCheckError } from './errors.js';
import { seatbeltInputFor, type SeatbeltHostOptions } from './host-paths.js';
import { buildSeatbeltPolicy, type SeatbeltPolicy } from './seatbelt-policy.js';

/** The only executable this backend will ever run; never resolved from PATH (M1). */
export const SANDBOX_EXEC_PATH = '/usr/bin/sandbox-exec';

/** Set in the command's environment under Seatbelt (M1). */
export const SEATBELT_SANDBOX_VARIABLE = 'CODEX_SANDBOX';

export interface SeatbeltPlan {
  policy: SeatbeltPolicy;
  /** `/usr/bin/sandbox-exec -p POLICY -DK=V... -- COMMAND...`. */
  argv: string[];
  /** Variables the command gets on top of its environment (M1). */
  envAdditions: Record<string, string>;
}

/** M1: the argv for a checked policy. */
export function sandboxExecArgv(policy: SeatbeltPolicy, command: readonly string[]): string[] {
  return [SANDBOX_EXEC_PATH, '-p', policy.text, ...policy.params.map(([key, value]) => `-D${key}=${value}`), '--', ...command];
}

/** Builds and checks the policy for `command`; throws SeatbeltPolicyError / SeatbeltCheckError. */
export function planSeatbelt(resolved: ResolvedSandboxPolicy, command: readonly string[], options: SeatbeltHostOptions = {}): SeatbeltPlan {
  const policy = buildSeatbeltPolicy(seatbeltInputFor(resolved, options));
  const { problems } = checkSeatbeltPolicy(policy.text, policy.params);
  if (problems.length > 0) throw new SeatbeltCheckError(problems);
  return {
    policy,
    argv: sandboxExecArgv(policy, command),
    envAdditions: { [SEATBELT_SANDBOX_VARIABLE]: 'seatbelt' },
  };
}
