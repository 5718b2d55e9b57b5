// Owns which host paths are the front end's own state, the ones a sandboxed command must never
// rewrite for a later run (issue 10, item 5): CODEX_HOME and the config files read from it (they
// may be symlinks to elsewhere, so they are listed on their own). Every sandbox keeps them
// read-only, also inside writable roots; linux-bwrap enforces it (`protectedPaths`). Pure path
// arithmetic plus one realpath for access answers; must NOT read config or decide mounts.
import * as path from 'node:path';
import { isWithin, realPathOrSelf, type FileSystemAccessMode } from '@codex-sandbox/policy';

/**
 * Absolute paths of the front end's state: `codexHome` (resolved against `baseDir`, as the config
 * loader's reads are), its `config.toml`, and the `-p` layer `NAME.config.toml` when one is used.
 */
export function frontEndStatePaths(codexHome: string, profileName: string | undefined, baseDir: string): string[] {
  const home = path.resolve(baseDir, codexHome);
  const paths = [home, path.join(home, 'config.toml')];
  if (profileName !== undefined) paths.push(path.join(home, `${profileName}.config.toml`));
  return paths;
}

/** What the sandbox really allows at `p`: a write the policy grants inside front-end state is read-only. */
export function withFrontEndState(p: string, mode: FileSystemAccessMode, statePaths: readonly string[]): FileSystemAccessMode {
  if (mode !== 'write') return mode;
  const spellings = [p, realPathOrSelf(p)];
  const protectedHere = statePaths.some((state) => spellings.some((s) => isWithin(s, state) || isWithin(s, realPathOrSelf(state))));
  return protectedHere ? 'read' : mode;
}
