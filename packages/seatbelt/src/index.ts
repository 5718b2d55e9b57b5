// macOS backend: permission profile -> Seatbelt (SBPL) policy for /usr/bin/sandbox-exec.
// Not implemented yet: the CLI refuses to run on macOS rather than run unsandboxed.
// This package must never spawn anything but /usr/bin/sandbox-exec.

/** The only executable this backend will ever run; never resolved from PATH. */
export const SANDBOX_EXEC_PATH = '/usr/bin/sandbox-exec';
