// Owns turning the one command lookup (@codex-sandbox/policy `lookUpCommand`) into the front end's
// typed errors, so "not found" and "not executable" become exit 127/126 with the lookup's own
// message instead of a backend's exec error. Must NOT walk PATH itself or decide policy: the
// caller says which paths the sandbox can see and why one is hidden.
import { lookUpCommand } from '@codex-sandbox/policy';
import { CommandNotExecutableError, CommandNotFoundError } from './errors.js';

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

/** Returns the absolute path the command resolves to, or throws CommandNotFound/NotExecutable. */
export function resolveCommand(command: string, options: ResolveCommandOptions): string {
  const lookup = lookUpCommand(command, {
    searchPath: options.searchPath,
    cwd: options.cwd,
    ...(options.isVisibleInSandbox !== undefined ? { visible: options.isVisibleInSandbox } : {}),
  });
  switch (lookup.kind) {
    case 'found':
      return lookup.path;
    case 'not-found':
      throw new CommandNotFoundError(command);
    case 'hidden':
      throw new CommandNotFoundError(command, options.hidingRule?.(lookup.path) ?? `${lookup.path} is not readable`);
    case 'not-executable':
      throw new CommandNotExecutableError(command, lookup.path, lookup.reason);
  }
}
