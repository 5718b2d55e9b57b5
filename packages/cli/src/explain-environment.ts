// Owns how the dry run shows the command's environment: every variable it gets, by name, with
// its value masked (the dry run output is often pasted into bug reports; values can be secrets),
// where a value does not come from the caller, and each variable the policy dropped with the rule
// that dropped it. Pure formatting over a computed CommandEnvironment; must NOT decide anything.
import type { CommandEnvironment, CommandVariable } from '@codex-sandbox/policy';

/** What stands for a value the dry run does not show. */
const MASKED_VALUE = '***';

function variableRow(variable: CommandVariable): string {
  switch (variable.origin.kind) {
    case 'inherited':
      return `${variable.name}=${MASKED_VALUE}`;
    case 'set':
      return `${variable.name}=${MASKED_VALUE} (set by ${variable.origin.rule})`;
    case 'added':
      // Our own constant (e.g. CODEX_SANDBOX_NETWORK_DISABLED=1), not the caller's data.
      return `${variable.name}=${variable.value} (added: ${variable.origin.reason})`;
  }
}

export function environmentSections(environment: CommandEnvironment): Array<{ title: string; rows: string[] }> {
  return [
    { title: 'env', rows: environment.variables.map(variableRow) },
    { title: 'not passed', rows: environment.dropped.map((d) => `${d.name} (${d.rule})`) },
  ];
}
