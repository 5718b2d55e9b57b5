// The cli package's error hierarchy: every failure the front end itself detects (bad usage, a
// command that cannot be started, an OS without a backend). Each error carries the process exit
// status a front end must use. Must NOT print anything or decide policy.
import { commandLookupMessage } from '@codex-sandbox/policy';

/** Base class: a failure caused by user input or the host, reported as one line without a stack. */
export class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.name = new.target.name;
    this.exitCode = exitCode;
  }
}

/** Invalid command-line usage: exit 2, usage goes to stderr. */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message, 2);
  }
}

/**
 * The command is not on the sandbox's PATH (or the given path does not exist): exit 127 like a
 * shell. `hiddenBy`: it exists on the host, but this rule of the policy hides it from the command.
 */
export class CommandNotFoundError extends CliError {
  constructor(
    readonly command: string,
    readonly hiddenBy?: string,
  ) {
    super(commandLookupMessage(command, hiddenBy === undefined ? { kind: 'not-found' } : { kind: 'hidden', path: command, rule: hiddenBy }), 127);
  }
}

/** The command exists but cannot be executed (no execute bit, a directory): exit 126 like a shell. */
export class CommandNotExecutableError extends CliError {
  constructor(
    readonly command: string,
    readonly path: string,
    readonly reason: string,
  ) {
    super(commandLookupMessage(command, { kind: 'not-executable', path, reason }), 126);
  }
}

/** This OS has a sandbox design but no implementation yet: refuse instead of running unconfined. */
export class BackendNotImplementedError extends CliError {
  constructor(readonly backendName: string, readonly os: string) {
    super(`the ${backendName} backend is not implemented yet on this OS (${os}); refusing to run unsandboxed`, 1);
  }
}

/** No sandbox backend exists for this OS at all. */
export class UnsupportedPlatformError extends CliError {
  constructor(readonly os: string) {
    super(`\`codex sandbox\` is not supported on this operating system (${os}); refusing to run unsandboxed`, 1);
  }
}

/** Input that cannot be passed on unchanged (bytes that are not UTF-8, lone surrogates). */
export class InvalidTextError extends CliError {}
