// Owns the contract between the sh launcher (scripts/build-executable.mjs) and the JS program:
// the launcher moves variables that would slow down or alter our own Node process (NODE_EXTRA_CA_CERTS
// makes Node parse a CA bundle at start; NODE_OPTIONS could inject code into the front end) into
// private variables and records the original $0. This module undoes that so the sandboxed command
// sees exactly the user's environment. Pure: works on a plain env object. Must NOT read process.env.

/** Private variable holding the launcher's original `$0` (symlink name preserved for arg0 dispatch). */
export const ARG0_VARIABLE = 'CODEX_SANDBOX_ARG0';

/** Variables the launcher stashes, and the private names they travel under. */
export const STASHED_VARIABLES: ReadonlyArray<{ name: string; stash: string }> = [
  { name: 'NODE_EXTRA_CA_CERTS', stash: 'CODEX_SANDBOX_STASHED_NODE_EXTRA_CA_CERTS' },
  { name: 'NODE_OPTIONS', stash: 'CODEX_SANDBOX_STASHED_NODE_OPTIONS' },
];

/** Marker set by the launcher so a stray private variable in a user's env is not mistaken for ours. */
export const LAUNCHER_MARKER_VARIABLE = 'CODEX_SANDBOX_LAUNCHER';

export interface LauncherInfo {
  /** The launcher's `$0`, when started through it. */
  arg0: string | undefined;
}

/**
 * Restores the user's environment in place and returns what the launcher told us.
 * Without the launcher marker the env is left untouched (started as `node main.js` directly).
 */
export function restoreLauncherEnvironment(env: Record<string, string | undefined>): LauncherInfo {
  if (env[LAUNCHER_MARKER_VARIABLE] !== '1') return { arg0: undefined };
  const arg0 = env[ARG0_VARIABLE];
  delete env[ARG0_VARIABLE];
  delete env[LAUNCHER_MARKER_VARIABLE];
  for (const { name, stash } of STASHED_VARIABLES) {
    const saved = env[stash];
    delete env[stash];
    if (saved !== undefined) env[name] = saved;
  }
  return { arg0 };
}
