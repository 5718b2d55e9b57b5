// Owns the front end's per-user state directory (by default the probe cache directory,
// $XDG_CACHE_HOME/codex-sandbox or ~/.cache/codex-sandbox): the probe cache and the placeholder
// registry live in it, and every sandbox binds it read-only. It makes sure the directory exists and
// is a real directory owned by this user, mode 0700, before a run is planned: a directory that does
// not exist yet cannot be bound, and a command could then create it with forged contents (#10.1).
// Must NOT read or write the files inside, and must never follow a symlink planted in its place.

import * as fs from 'node:fs';
import * as path from 'node:path';

import { defaultCacheDir } from './probe-cache.js';

/** Name of the placeholder registry inside the state directory. */
export const REGISTRY_DIR_NAME = 'placeholders';

/**
 * Creates `dir` (and its parents) when missing, and returns its canonical path when it is a
 * directory owned by the effective uid that nobody else can write; undefined when it cannot be
 * made so (no home, a read-only home, a foreign owner): the caller then keeps no state there.
 */
export function prepareStateDir(dir: string | undefined): string | undefined {
  if (dir === undefined || !path.isAbsolute(dir)) return undefined;
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const stat = fs.lstatSync(dir);
    const euid = process.geteuid?.() ?? stat.uid;
    if (!stat.isDirectory() || stat.uid !== euid) return undefined;
    if ((stat.mode & 0o077) !== 0) fs.chmodSync(dir, 0o700);
    return fs.realpathSync.native(dir);
  } catch {
    return undefined;
  }
}

/**
 * A private directory under the state directory for other front-end state that must have a name
 * (the managed proxy's Unix sockets), created 0700 if needed. Because every sandbox binds the state
 * directory read-only, no sandboxed command can replace or plant anything there. Undefined when
 * the state directory cannot be made (the caller then keeps its old, weaker place).
 */
export function frontEndStateSubdir(env: Readonly<Record<string, string | undefined>>, name: string): string | undefined {
  const state = prepareStateDir(defaultCacheDir(env));
  if (state === undefined) return undefined;
  return prepareStateDir(path.join(state, name));
}
