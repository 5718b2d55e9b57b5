// Owns arg0 dispatch: which entry point a start of the executable runs, decided before any normal
// CLI parsing. Pure. Must NOT parse options (each entry point does its own) or touch the OS.

/** Basename under which the executable acts as the Linux sandbox helper (C8). */
export const LINUX_HELPER_ARG0 = 'codex-linux-sandbox';

export type EntryPoint = 'linux-sandbox-helper' | 'cli';

function basename(path: string): string {
  const trimmed = path.replace(/\/+$/, '');
  const slash = trimmed.lastIndexOf('/');
  return slash === -1 ? trimmed : trimmed.slice(slash + 1);
}

export function selectEntryPoint(arg0: string | undefined): EntryPoint {
  if (arg0 === undefined) return 'cli';
  const name = basename(arg0);
  // Tolerate a `.js`/`.cjs` suffix so `node codex-linux-sandbox.cjs` dispatches the same way.
  const stem = name.replace(/\.(c?js|mjs)$/, '');
  return stem === LINUX_HELPER_ARG0 ? 'linux-sandbox-helper' : 'cli';
}
