// Owns turning a thrown error into one stderr message and an exit status: typed errors from this
// package and its dependencies are user-facing (their message says what was wrong and what is
// allowed; no stack), anything else is an internal error printed as one line plus a hint.
// Must NOT decide policy or retry anything.
import type { DiagnosticSink } from './diagnostics.js';
import { CliError, UsageError } from './errors.js';

const DEBUG_VARIABLE = 'CODEX_SANDBOX_DEBUG';

/**
 * Base classes whose messages are written for users. The modules that load a dependency register its
 * base class, so this module imports none of them (`--version` and usage errors stay cheap).
 */
const userFacingErrorClasses: Array<abstract new (...args: never[]) => Error> = [CliError];

export function registerUserFacingErrors(...classes: Array<abstract new (...args: never[]) => Error>): void {
  userFacingErrorClasses.push(...classes);
}

function exitCodeOf(error: Error): number {
  const code = (error as { exitCode?: unknown }).exitCode;
  return typeof code === 'number' && Number.isInteger(code) && code > 0 && code < 256 ? code : 1;
}

export interface ReportOptions {
  sink: DiagnosticSink;
  env: Record<string, string | undefined>;
  /** One line printed after a usage error, pointing to the help (not the help itself: it buries the error). */
  usageHint?: string;
  writeErr: (text: string) => void;
}

/** Prints the error and returns the exit status. */
export function reportError(error: unknown, options: ReportOptions): number {
  if (error instanceof UsageError) {
    options.sink.error(error.message);
    if (options.usageHint !== undefined) options.writeErr(`${options.usageHint}\n`);
    return error.exitCode;
  }
  if (error instanceof Error && userFacingErrorClasses.some((cls) => error instanceof cls)) {
    options.sink.error(error.message);
    if (options.env[DEBUG_VARIABLE] === '1' && error.stack !== undefined) options.writeErr(`${error.stack}\n`);
    return exitCodeOf(error);
  }
  const message = error instanceof Error ? error.message : String(error);
  options.sink.error(`internal error: ${message.split('\n')[0] ?? ''}`);
  if (options.env[DEBUG_VARIABLE] === '1') {
    options.writeErr(`${error instanceof Error && error.stack !== undefined ? error.stack : String(error)}\n`);
  } else {
    options.writeErr(`set ${DEBUG_VARIABLE}=1 for details\n`);
  }
  return 1;
}
