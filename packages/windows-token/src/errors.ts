// The windows-token package's error hierarchy: refusals of policies this backend cannot enforce,
// failures of the capability-SID file, command lines that cannot be passed on safely, and run
// failures (a Win32 call that failed, or a read-back that does not match the plan). Must NOT print
// anything or decide policy.

/** Base class: every failure this package detects, reported as one line without a stack. */
export class WindowsSandboxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** W2, W3: the policy cannot be enforced by the unelevated restricted-token backend; nothing runs. */
export class WindowsRefusalError extends WindowsSandboxError {
  constructor(
    readonly rule: 'W2' | 'W3',
    readonly reason: string,
  ) {
    super(reason);
  }
}

/** W3: `$CODEX_HOME/cap_sid` cannot be read, parsed or written safely. */
export class CapabilitySidFileError extends WindowsSandboxError {}

/** W6: an argument cannot be put on a CreateProcess command line without being re-parsed differently. */
export class CommandLineError extends WindowsSandboxError {}

/** W7: a Win32 call failed, or what the OS reports back differs from the plan; nothing ran. */
export class WindowsRunError extends WindowsSandboxError {}
