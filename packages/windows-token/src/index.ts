// Windows backend: restricted-token sandbox (W1).
// Not implemented yet: the CLI refuses to run on Windows rather than run unsandboxed.
// This package must never run a command with the caller's unrestricted token.

/** Policies this backend can never enforce make it refuse; see W2. */
export const WINDOWS_REFUSAL_SUFFIX = 'refusing to run unsandboxed';
