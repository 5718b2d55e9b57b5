// Owns the version string printed by `--version`. Kept in its own module so the fast path imports nothing else.
export const CLI_VERSION = '0.1.0';
