// Owns finding the command on the sandbox's PATH before launch, so "not found" and "not executable"
// become exit 127/126 with a clear message instead of a bubblewrap execvp error. Reads the file system
// (stat/access) but runs nothing. Must NOT decide policy: the caller says which paths the sandbox can see.
import { accessSync, constants, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { CommandNotExecutableError, CommandNotFoundError } from './errors.js';

/** execvp's search path when PATH is unset (glibc confstr(_CS_PATH)). */
export const DEFAULT_SEARCH_PATH = '/bin:/usr/bin';

export interface ResolveCommandOptions {
  /** PATH of the environment the command will get (undefined: unset). */
  searchPath: string | undefined;
  /** Directory the command runs in (relative names and empty PATH entries resolve against it). */
  cwd: string;
  /** False for paths the sandbox cannot read: such candidates do not exist from inside. */
  isVisibleInSandbox?: (absolutePath: string) => boolean;
  /** The rule that hides a candidate isVisibleInSandbox rejected (for the message); asked once, for the first. */
  hidingRule?: (absolutePath: string) => string;
}

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

/** Not found; when a candidate exists on the host but the sandbox hides it, the message says which rule. */
function notFound(command: string, hidden: string | undefined, options: ResolveCommandOptions): CommandNotFoundError {
  if (hidden === undefined) return new CommandNotFoundError(command);
  return new CommandNotFoundError(command, options.hidingRule?.(hidden) ?? `${hidden} is not readable`);
}

/** Returns the absolute path the command resolves to, or throws CommandNotFound/NotExecutable. */
export function resolveCommand(command: string, options: ResolveCommandOptions): string {
  const visible = options.isVisibleInSandbox ?? (() => true);
  if (command === '') throw new CommandNotFoundError(command);
  // Each candidate is stat'ed before its visibility is asked: asking is the costly part (it
  // canonicalises the path against the policy), and a missing file needs no answer.
  if (command.includes('/')) {
    const path = resolve(options.cwd, command);
    const inspected = inspect(path);
    if (inspected.kind !== 'missing' && !visible(path)) throw notFound(command, path, options);
    const found = inspected;
    if (found.kind === 'missing') throw new CommandNotFoundError(command);
    if (found.kind === 'unusable') throw new CommandNotExecutableError(command, path, found.reason);
    return path;
  }
  let firstUnusable: { path: string; reason: string } | undefined;
  let firstHidden: string | undefined;
  const entries = (options.searchPath ?? DEFAULT_SEARCH_PATH).split(':');
  for (const entry of entries) {
    const directory = entry === '' ? options.cwd : isAbsolute(entry) ? entry : resolve(options.cwd, entry);
    const path = resolve(directory, command);
    const found = inspect(path);
    if (found.kind === 'missing') continue;
    if (!visible(path)) {
      firstHidden ??= path;
      continue;
    }
    if (found.kind === 'executable') return path;
    // Like execvp, a non-executable match is remembered but the search goes on; it only decides
    // the error when nothing executable is found later (then 126 rather than 127).
    if (found.kind === 'unusable' && firstUnusable === undefined && found.reason !== 'is a directory') {
      firstUnusable = { path, reason: found.reason };
    }
  }
  if (firstUnusable !== undefined) {
    throw new CommandNotExecutableError(command, firstUnusable.path, firstUnusable.reason);
  }
  throw notFound(command, firstHidden, options);
}
