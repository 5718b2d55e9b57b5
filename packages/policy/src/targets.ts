// Owns "the same target" of two filesystem entries (P21): paths by their spelling,
// specials by kind and subpath, `:root` as `/` and `:slash_tmp` as `/tmp`, globs by pattern. Used
// to skip an auto-added entry that would duplicate one, and to tell whether a write entry is
// narrowed. Pure unless the caller's `spell` reads the filesystem. Must NOT decide access.
import { tidyAbsolute } from './paths.js';
import type { FileSystemPath } from './types.js';

/** A key equal for two entry paths exactly when they name the same target; `spell` spells an absolute path. */
export function targetKey(p: FileSystemPath, spell: (absolute: string) => string = tidyAbsolute): string {
  if (p.type === 'path') return `path:${p.path.startsWith('/') ? spell(p.path) : tidyAbsolute(p.path)}`;
  if (p.type === 'glob_pattern') return `glob:${p.pattern}`;
  const v = p.value;
  switch (v.kind) {
    case 'root':
      return 'path:/';
    case 'slash_tmp':
      return 'path:/tmp';
    case 'workspace_roots':
      return `special:workspace_roots:${v.subpath ?? ''}`;
    case 'unknown':
      return `special:unknown:${v.path}:${v.subpath ?? ''}`;
    default:
      return `special:${v.kind}`;
  }
}

/** Same target as spelled (no filesystem access). */
export function sameTarget(a: FileSystemPath, b: FileSystemPath): boolean {
  return targetKey(a) === targetKey(b);
}
