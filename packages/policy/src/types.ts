// The permission model's data shapes: what a profile says, and what a backend receives once the
// profile is resolved against a working directory. Pure types; no I/O and no decisions here.

/** Built-in profile ids. Any other id beginning with `:` is an unknown built-in and is rejected. */
export const BUILTIN_READ_ONLY = ':read-only';
export const BUILTIN_WORKSPACE = ':workspace';
export const BUILTIN_DANGER_FULL_ACCESS = ':danger-full-access';
export const BUILTIN_PROFILE_IDS = [BUILTIN_READ_ONLY, BUILTIN_WORKSPACE, BUILTIN_DANGER_FULL_ACCESS] as const;
export type BuiltinProfileId = (typeof BUILTIN_PROFILE_IDS)[number];

/**
 * Metadata directories that stay read-only inside writable roots (`.aws`: credentials and config
 * that other tools run on the host). The one list: builtins, resolution and every backend use it.
 */
export const PROTECTED_METADATA_NAMES = ['.git', '.agents', '.codex', '.aws'] as const;
export type ProtectedMetadataName = (typeof PROTECTED_METADATA_NAMES)[number];

/** `none` in config is accepted as an alias of `deny`. Ranked read < write < deny at equal depth. */
export type FileSystemAccessMode = 'read' | 'write' | 'deny';

export type FileSystemSpecialPath =
  | { kind: 'root' }
  | { kind: 'minimal' }
  | { kind: 'workspace_roots'; subpath?: string }
  | { kind: 'tmpdir' }
  | { kind: 'slash_tmp' }
  /** A `:token` this version does not know: kept so it round-trips, ignored with a warning. */
  | { kind: 'unknown'; path: string; subpath?: string };

export type FileSystemPath =
  | { type: 'path'; path: string }
  /** Git-style glob; only `deny` is meaningful. `codex-project-roots://S` is symbolic until roots are known. */
  | { type: 'glob_pattern'; pattern: string }
  | { type: 'special'; value: FileSystemSpecialPath };

export interface FileSystemSandboxEntry {
  path: FileSystemPath;
  access: FileSystemAccessMode;
  /** `skip`: the entry only applies when the path exists (auto-added metadata entries). */
  missingPathBehavior?: 'skip';
}

export type NetworkSandboxPolicy = 'restricted' | 'enabled';

export type ManagedFileSystemPermissions =
  | { type: 'restricted'; entries: FileSystemSandboxEntry[]; globScanMaxDepth?: number }
  | { type: 'unrestricted' };

/** The canonical runtime permission object. */
export type PermissionProfile =
  | { type: 'managed'; fileSystem: ManagedFileSystemPermissions; network: NetworkSandboxPolicy }
  /** No sandbox at all (`:danger-full-access`). */
  | { type: 'disabled' }
  /** The caller already confines the filesystem; only the network bit is ours. */
  | { type: 'external'; network: NetworkSandboxPolicy };

/** A writable root with the paths under it that must stay read-only. */
export interface WritableRoot {
  /** Absolute, normalised (top-level symlink aliases resolved, deeper symlinks kept logical). */
  root: string;
  /** Existing read-only carve-outs under the root (explicit entries and default protected paths). */
  readOnlySubpaths: string[];
  /** Metadata names (`.git`, `.agents`, `.codex`, `.aws`) that are not writable under this root. */
  protectedMetadataNames: ProtectedMetadataName[];
}

/**
 * Everything a backend needs, derived from a profile and a working directory. Produced by the
 * policy package; backends must not re-derive these facts from the profile themselves.
 */
export interface ResolvedSandboxPolicy {
  /** `restricted`: managed entries apply. `unrestricted`: no filesystem limits. */
  kind: 'restricted' | 'unrestricted' | 'external-sandbox';
  /** The working directory the policy was resolved against (absolute). */
  cwd: string;
  network: NetworkSandboxPolicy;
  fullDiskRead: boolean;
  fullDiskWrite: boolean;
  /** `:minimal = read`: system locations (/usr, /etc, /lib, ...) are readable. */
  includePlatformDefaults: boolean;
  /** Readable roots, sorted (empty when fullDiskRead). */
  readableRoots: string[];
  writableRoots: WritableRoot[];
  /** Concrete denied paths (not `/`), sorted. */
  unreadableRoots: string[];
  /** Deny globs resolved against cwd (absolute patterns), sorted and deduplicated. */
  unreadableGlobs: string[];
  /** Depth cap for glob expansion; undefined = uncapped. */
  globScanMaxDepth?: number;
  /** False when nothing would be restricted (e.g. full access with network enabled). */
  needsSandbox: boolean;
}
