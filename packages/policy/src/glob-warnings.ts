// Owns the P7 warning for deny globs with `**` when `glob_scan_max_depth` is unset: what the scan
// does by default and what the setting changes, with the glob named as the user wrote it (never
// the internal `codex-project-roots://` spelling). The setting only shrinks what is hidden, so the
// message must not read as a fix. Pure text; must NOT decide when to warn (compile.ts does).
import { WORKSPACE_ROOTS_GLOB_PREFIX } from './compile.js';

/** Where a deny glob's scan starts, in words: the fixed directories before its first wildcard. */
function scanScope(pattern: string): string {
  if (pattern.startsWith(WORKSPACE_ROOTS_GLOB_PREFIX)) return 'each workspace root';
  const firstWildcard = pattern.search(/[*?[\]{}]/);
  const dir = pattern.slice(0, pattern.lastIndexOf('/', firstWildcard < 0 ? pattern.length : firstWildcard)) || '/';
  return `\`${dir}\``;
}

/** `written`: the dotted config key of the glob; `pattern`: the compiled pattern; `fsKey`: its filesystem table. */
export function unboundedDenyGlobWarning(written: string, pattern: string, fsKey: string): string {
  return (
    `Filesystem deny-read glob \`${written}\` uses \`**\`: on this platform the files it matches are found when the command starts, ` +
    `by scanning ${scanScope(pattern)} to any depth (a matching file created later is not hidden). Setting \`glob_scan_max_depth\` in ` +
    `\`[${fsKey}]\` limits that scan to that many directory levels, so deeper matches stay readable; set it only if the scan is too slow.`
  );
}
