// Owns the mapping from how a child process ended to the front end's exit status (shell convention).
// Pure. Must NOT wait for or signal processes.
import { constants } from 'node:os';

/** Exit code as-is; death by signal N becomes 128 + N; anything else (no information) becomes 1. */
export function exitStatusFromChild(code: number | null, signal: NodeJS.Signals | string | null): number {
  if (code !== null) return code;
  if (signal !== null) {
    const number = (constants.signals as Record<string, number | undefined>)[signal];
    if (number !== undefined) return 128 + number;
  }
  return 1;
}
