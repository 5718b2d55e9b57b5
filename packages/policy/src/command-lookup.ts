// Owns the one lookup of a command's program, the way execvp inside a sandbox will walk the
// command's PATH: found, not found, hidden by the policy, or not executable, and the one wording of
// each failure (exit 127 / 126, as a shell). Every front end, backend and the dry run use it, so a
// program is found by the same rules and fails with the same message wherever it is looked up.
// Lives in the policy package because it is backend-neutral: which candidates the sandbox can see
// is the caller's answer (`visible`), and why one is hidden is the caller's text (`hidingRule`).
// Reads the file system (stat, access) but runs nothing. Must NOT decide visibility itself.
import { accessSync, constants, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { resolveEntry } from './paths.js';

/** execvp's search path when PATH is unset (glibc confstr(_CS_PATH)). */
const DEFAULT_SEARCH_PATH = '/bin:/usr/bin';

export interface CommandLookupOptions {
  /** PATH of the environment the command will get (undefined: unset). */
  searchPath: string | undefined;
  /** Directory the command runs in (relative names and empty PATH entries resolve against it). */
  cwd: string;
  /**
   * False for a host path the sandbox does not let the command see: such a candidate does not
   * exist from inside. Asked only for candidates that exist on the host. Default: all visible.
   */
  visible?: (absolutePath: string) => boolean;
}

export type CommandLookup =
  | { kind: 'found'; path: string }
  | { kind: 'not-found' }
  /** A candidate exists on the host but the sandbox hides it (`path`: the first such one). */
  | { kind: 'hidden'; path: string }
  /** The first visible candidate that is not an executable file, when no executable one follows. */
  | { kind: 'not-executable'; path: string; reason: string };

type Candidate = { kind: 'executable' } | { kind: 'missing' } | { kind: 'unusable'; reason: string };

function inspect(path: string): Candidate {
  let stats;
  try {
    stats = statSync(path, { throwIfNoEntry: false });
  } catch {
    return { kind: 'missing' };
  }
  if (stats === undefined) return { kind: 'missing' };
  if (stats.isDirectory()) return { kind: 'unusable', reason: 'is a directory' };
  if (!stats.isFile()) return { kind: 'unusable', reason: 'is not a regular file' };
  try {
    accessSync(path, constants.X_OK);
  } catch {
    return { kind: 'unusable', reason: 'is not executable (permission denied)' };
  }
  return { kind: 'executable' };
}

/** Where execvp looks for `command`, in order: the path itself when it has a slash, else each PATH entry. */
function candidatePaths(command: string, options: CommandLookupOptions): string[] {
  if (command.includes('/')) return [resolve(options.cwd, command)];
  return (options.searchPath ?? DEFAULT_SEARCH_PATH).split(':').map((entry) => resolveEntry(options.cwd, entry, command));
}

/** Looks `command` up as execvp inside the sandbox will; a candidate the sandbox hides does not count. */
export function lookUpCommand(command: string, options: CommandLookupOptions): CommandLookup {
  if (command === '') return { kind: 'not-found' };
  const visible = options.visible ?? (() => true);
  const named = command.includes('/');
  let firstUnusable: { path: string; reason: string } | undefined;
  let firstHidden: string | undefined;
  // Each candidate is stat'ed before its visibility is asked: asking can be the costly part (it
  // canonicalises the path against the policy), and a missing file needs no answer.
  for (const path of candidatePaths(command, options)) {
    const found = inspect(path);
    if (found.kind === 'missing') continue;
    if (!visible(path)) {
      firstHidden ??= path;
      continue;
    }
    if (found.kind === 'executable') return { kind: 'found', path };
    // Like execvp, a non-executable match is remembered but the search goes on; it only decides
    // the outcome when nothing executable is found later (then 126 rather than 127). A directory
    // on PATH is skipped; one named by its path cannot be executed.
    if (firstUnusable === undefined && (named || found.reason !== 'is a directory')) firstUnusable = { path, reason: found.reason };
  }
  if (firstUnusable !== undefined) return { kind: 'not-executable', ...firstUnusable };
  return firstHidden === undefined ? { kind: 'not-found' } : { kind: 'hidden', path: firstHidden };
}

/** A lookup that did not find the program, with the rule that hides it when it is hidden. */
export type CommandLookupFailure =
  | { kind: 'not-found' }
  | { kind: 'hidden'; path: string; rule: string }
  | { kind: 'not-executable'; path: string; reason: string };

/** Pure: the exit status a shell gives a command that cannot be started this way. */
export function commandLookupExitCode(failure: CommandLookupFailure): 126 | 127 {
  return failure.kind === 'not-executable' ? 126 : 127;
}

/** Pure: the one message for a command that cannot be started (without the program prefix). */
export function commandLookupMessage(command: string, failure: CommandLookupFailure): string {
  switch (failure.kind) {
    case 'not-found':
      return `command not found: ${command}`;
    case 'hidden':
      return `command not found: ${command} (hidden by the sandbox policy: ${failure.rule})`;
    case 'not-executable':
      return `cannot execute ${command}: ${failure.path} ${failure.reason}`;
  }
}
