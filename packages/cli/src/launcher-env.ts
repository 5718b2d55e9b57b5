// Owns the contract between the sh launcher (scripts/build-executable.mjs) and the JS program:
// the launcher moves variables that Node acts on at start, and that would slow down or alter our own
// Node process (NODE_OPTIONS could start an inspector or inject code, OPENSSL_CONF load a module,
// NODE_CHANNEL_FD open an IPC channel, ...; the build script says why each is there), into private
// variables and records the original $0. This module undoes that so the sandboxed command sees
// exactly the user's environment. Pure: works on a plain env object. Must NOT read process.env.

/** Private variable holding the launcher's original `$0` (symlink name preserved for arg0 dispatch). */
const ARG0_VARIABLE = 'CODEX_SANDBOX_ARG0';

/** Variables the launcher stashes, and the private names they travel under. */
const STASHED_NAMES = [
  'NODE_OPTIONS',
  'NODE_EXTRA_CA_CERTS',
  'NODE_V8_COVERAGE',
  'NODE_CHANNEL_FD',
  'NODE_CHANNEL_SERIALIZATION_MODE',
  'NODE_UNIQUE_ID',
  'NODE_PATH',
  'NODE_ICU_DATA',
  'NODE_REPL_EXTERNAL_MODULE',
  'NODE_REDIRECT_WARNINGS',
  'NODE_TEST_CONTEXT',
  'OPENSSL_CONF',
  'OPENSSL_CONF_INCLUDE',
  'OPENSSL_ENGINES',
  'OPENSSL_MODULES',
] as const;

/** Variables the launcher stashes (the same list, same order, as the build script's), and their private names. */
export const STASHED_VARIABLES: ReadonlyArray<{ name: string; stash: string }> = STASHED_NAMES.map((name) => ({
  name,
  stash: `CODEX_SANDBOX_STASHED_${name}`,
}));

/** Marker set by the launcher so a stray private variable in a user's env is not mistaken for ours. */
const LAUNCHER_MARKER_VARIABLE = 'CODEX_SANDBOX_LAUNCHER';

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
