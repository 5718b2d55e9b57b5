// Owns what the dry run says about one path argument of the command: the access the run enforces
// (deny globs as the run's own scan found them, not as the patterns read), and, where the
// sandbox cannot enforce what the policy says, that it cannot: another hard link to a denied
// file, a path that does not exist at launch, a glob match the scan did not reach. The dry run
// must never claim more confinement than the run has. Reads `stat`/`lstat` only; must NOT
// resolve policy, scan globs or plan the run (sandbox.ts hands it those results).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isWithin, type AccessQuery, type FileSystemAccessMode } from '@codex-sandbox/policy';

export interface PathNoteContext {
  /** Access as the run enforces it (`createAccessQuery` with the plan's deny-glob matches). */
  enforced: AccessQuery;
  /**
   * macOS: rules are checked by path at every access (Seatbelt), so a deny glob or a denied path
   * also covers what is created during the run; Linux's mask caveats do not apply.
   */
  checkedAtAccess?: boolean;
  /** Empty stand-ins the run creates on the host for missing read-only or denied paths. */
  placeholders: readonly string[];
}

function describeAccess(mode: FileSystemAccessMode): string {
  switch (mode) {
    case 'read':
      return 'read-only';
    case 'write':
      return 'writable';
    case 'deny':
      return 'denied';
  }
}

function statOf(p: string, follow: boolean): fs.Stats | undefined {
  try {
    return (follow ? fs.statSync(p, { throwIfNoEntry: false }) : fs.lstatSync(p, { throwIfNoEntry: false })) ?? undefined;
  } catch {
    return undefined;
  }
}

/**
 * A missing denied path stays hidden only if something the run puts in place covers it: a
 * placeholder at it or above it, or an existing ancestor that is itself denied (masked, or not
 * mounted at all). Otherwise a file created there on the host during the run shows through.
 */
function missingPathIsCovered(target: string, ctx: PathNoteContext): boolean {
  if (ctx.placeholders.some((placeholder) => isWithin(target, placeholder))) return true;
  let ancestor = path.posix.dirname(target);
  while (statOf(ancestor, false) === undefined && ancestor !== '/') ancestor = path.posix.dirname(ancestor);
  return ctx.enforced.access(ancestor) === 'deny';
}

/** One `note` line: `<target> is <access> inside the sandbox`, plus what the run cannot enforce. */
export function pathNote(target: string, ctx: PathNoteContext): string {
  const mode = ctx.enforced.access(target);
  const exists = statOf(target, false) !== undefined;
  const caveats: string[] = [];
  if (mode !== 'deny') {
    const glob = ctx.checkedAtAccess === true ? undefined : ctx.enforced.denyGlobFor(target);
    if (glob !== undefined) {
      caveats.push(
        exists
          ? `it matches deny glob ${glob}, but the scan at launch did not reach it (deeper than glob_scan_max_depth, or below a symlinked directory, which the scan does not follow), so it is not masked`
          : `it matches deny glob ${glob}, but it does not exist at launch: created later, it is not masked`,
      );
    }
  } else {
    const followed = statOf(target, true);
    if (followed?.isFile() === true && followed.nlink > 1) {
      caveats.push(`it has ${followed.nlink} hard links: its other names stay readable unless they are denied too`);
    }
    if (!exists && ctx.checkedAtAccess !== true && !missingPathIsCovered(target, ctx)) {
      caveats.push('it does not exist at launch: created on the host while the command runs, it would not be masked');
    }
  }
  const head = `${target} is ${describeAccess(mode)} inside the sandbox`;
  return caveats.length === 0 ? head : `${head}; ${caveats.join('; ')}`;
}
