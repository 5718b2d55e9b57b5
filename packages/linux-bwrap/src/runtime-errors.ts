// Typed errors of the OS layer (launcher choice, host checks, placeholder registry, running bwrap).
// Every message says what was wrong and what is allowed. No decisions and no I/O here.

import { LinuxSandboxError } from './errors.js';

/** The sandbox cannot start on this host or with this launcher; nothing was run. */
export class SandboxRuntimeError extends LinuxSandboxError {}

const WSL1_UNSUPPORTED_MESSAGE =
  "codex sandbox uses bubblewrap, which is not supported on WSL1 because WSL1 cannot create the required " +
  'user namespaces. Use WSL2 for sandboxed commands, or run with the :danger-full-access profile.';

/** /proc/version says WSL1 and the policy needs bubblewrap. */
export class Wsl1UnsupportedError extends SandboxRuntimeError {
  constructor() {
    super(WSL1_UNSUPPORTED_MESSAGE);
  }
}

/** No bubblewrap can be used: no usable system bwrap and no bundled one. */
export class BubblewrapUnavailableError extends SandboxRuntimeError {}

/** A bwrap binary lacks options this sandbox needs (an explicitly chosen one, or the bundled one). */
export class UnsupportedBwrapError extends SandboxRuntimeError {
  constructor(
    readonly binary: string,
    readonly missingOptions: readonly string[],
  ) {
    super(
      `bubblewrap at ${binary} cannot be used: its --help does not list ${missingOptions.join(', ')}; ` +
        'bubblewrap 0.8.0 or newer is required',
    );
  }
}

/** The placeholder registry is unsafe to use (symlinked, foreign-owned, not a directory) or unusable. */
export class PlaceholderRegistryError extends SandboxRuntimeError {}

/** bwrap could not be started at all (spawn failure), as opposed to the command failing. */
export class BwrapSpawnError extends SandboxRuntimeError {}

/** The request itself is malformed (empty command, relative cwd, ...). */
export class SandboxRequestError extends SandboxRuntimeError {}

/** This process holds descriptors a child would inherit, and they cannot be kept from it. */
export class InheritedDescriptorError extends SandboxRuntimeError {}
