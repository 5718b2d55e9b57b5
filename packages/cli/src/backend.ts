// Owns the choice of sandbox backend from the host OS (there is no OS subcommand: the host decides).
// Pure: maps a platform name to a backend descriptor. Must NOT load any backend module or touch the OS;
// callers load the backend lazily once they know which one they need.

export type BackendId = 'linux-bwrap' | 'macos-seatbelt' | 'windows-restricted-token';

export type BackendSelection =
  /** The backend exists and can run commands. */
  | { kind: 'available'; id: BackendId; displayName: string }
  /** The OS has a planned backend that is not implemented yet: callers must fail closed. */
  | { kind: 'not-implemented'; id: BackendId; displayName: string; os: string }
  /** No backend is planned for this OS. */
  | { kind: 'unsupported'; os: string };

export function selectBackend(platform: NodeJS.Platform | string): BackendSelection {
  switch (platform) {
    case 'linux':
      return { kind: 'available', id: 'linux-bwrap', displayName: 'Linux bubblewrap' };
    case 'darwin':
      return { kind: 'not-implemented', id: 'macos-seatbelt', displayName: 'macOS Seatbelt', os: 'macOS' };
    case 'win32':
      return { kind: 'available', id: 'windows-restricted-token', displayName: 'Windows restricted-token' };
    default:
      return { kind: 'unsupported', os: platform };
  }
}
