// WSL1 detection from the text of /proc/version. Owns only the string decision; it must NOT read
// /proc itself (the caller does, so this stays a pure, table-tested function).

const WSL_MARKER = 'wsl';

/**
 * True when /proc/version describes WSL1, where bubblewrap cannot create user namespaces.
 * An explicit `WSL<n>` marker decides (the first `wsl` followed by digits); without one, a
 * Microsoft kernel that is not a `microsoft-standard` (WSL2) kernel is WSL1.
 */
export function isWsl1(procVersion: string): boolean {
  const text = procVersion.toLowerCase();
  let from = 0;
  for (;;) {
    const at = text.indexOf(WSL_MARKER, from);
    if (at < 0) break;
    const digits = /^\d+/.exec(text.slice(at + WSL_MARKER.length));
    if (digits) return Number(digits[0]) === 1;
    from = at + 1;
  }
  return text.includes('microsoft') && !text.includes('microsoft-standard');
}
