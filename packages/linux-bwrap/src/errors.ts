// Typed errors of the linux-bwrap package's pure decision modules. Every message says what was
// wrong and what is allowed. This module holds no decisions and touches no OS state.

/** Root of this package's error hierarchy: catch this to handle any linux-bwrap refusal. */
export class LinuxSandboxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** The policy cannot be expressed as a bwrap argv without weakening it; nothing may run. */
export class BwrapArgsError extends LinuxSandboxError {}

/** No seccomp program can be generated (e.g. unsupported CPU architecture); nothing may run. */
export class SeccompError extends LinuxSandboxError {}

/** A deny-read glob cannot be expanded safely (bad pattern, scanner failure, too many hits). */
export class DenyGlobError extends LinuxSandboxError {}
