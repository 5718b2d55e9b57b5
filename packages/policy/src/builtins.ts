// Built-in permission profiles (`:read-only`, `:workspace`, `:danger-full-access`), the legacy
// workspace-write constructor, and the rejected legacy spellings. Pure data builders: must NOT
// read config or the filesystem.
import {
  BUILTIN_DANGER_FULL_ACCESS,
  BUILTIN_PROFILE_IDS,
  BUILTIN_READ_ONLY,
  BUILTIN_WORKSPACE,
  PROTECTED_METADATA_NAMES,
  type BuiltinProfileId,
  type FileSystemSandboxEntry,
  type NetworkSandboxPolicy,
  type PermissionProfile,
} from './types.js';
import { tidyAbsolute } from './paths.js';

/** Removed spellings and the current one to use instead. They are errors, never aliases. */
export const LEGACY_PROFILE_ID_DANGER_NO_SANDBOX = ':danger-no-sandbox';
export const LEGACY_SPECIAL_PROJECT_ROOTS = ':project_roots';

export function isBuiltinProfileId(id: string): id is BuiltinProfileId {
  return (BUILTIN_PROFILE_IDS as readonly string[]).includes(id);
}

export function readOnlyProfile(network: NetworkSandboxPolicy = 'restricted'): PermissionProfile {
  return {
    type: 'managed',
    fileSystem: { type: 'restricted', entries: [{ path: { type: 'special', value: { kind: 'root' } }, access: 'read' }] },
    network,
  };
}

export interface WorkspaceWriteOptions {
  extraWritableRoots?: string[];
  network?: NetworkSandboxPolicy;
  excludeTmpdirEnvVar?: boolean;
  excludeSlashTmp?: boolean;
}

/** Same location test used when deciding whether an auto-added entry would duplicate one (P21). */
export function sameTarget(a: FileSystemSandboxEntry['path'], b: FileSystemSandboxEntry['path']): boolean {
  const canon = (p: FileSystemSandboxEntry['path']): string => {
    if (p.type === 'path') return `path:${tidyAbsolute(p.path)}`;
    if (p.type === 'glob_pattern') return `glob:${p.pattern}`;
    const v = p.value;
    switch (v.kind) {
      case 'root':
        return 'path:/';
      case 'slash_tmp':
        return 'path:/tmp';
      case 'workspace_roots':
        return `special:workspace_roots:${v.subpath ?? ''}`;
      case 'unknown':
        return `special:unknown:${v.path}:${v.subpath ?? ''}`;
      default:
        return `special:${v.kind}`;
    }
  };
  return canon(a) === canon(b);
}

/** The workspace-write entry list in the upstream order (P0.2). */
export function workspaceWriteProfile(opts: WorkspaceWriteOptions = {}): PermissionProfile {
  const entries: FileSystemSandboxEntry[] = [
    { path: { type: 'special', value: { kind: 'root' } }, access: 'read' },
    { path: { type: 'special', value: { kind: 'workspace_roots' } }, access: 'write' },
  ];
  if (opts.excludeSlashTmp !== true) entries.push({ path: { type: 'special', value: { kind: 'slash_tmp' } }, access: 'write' });
  if (opts.excludeTmpdirEnvVar !== true) entries.push({ path: { type: 'special', value: { kind: 'tmpdir' } }, access: 'write' });
  for (const root of opts.extraWritableRoots ?? []) entries.push({ path: { type: 'path', path: tidyAbsolute(root) }, access: 'write' });
  for (const name of PROTECTED_METADATA_NAMES) {
    const candidate: FileSystemSandboxEntry = {
      path: { type: 'special', value: { kind: 'workspace_roots', subpath: name } },
      access: 'read',
      missingPathBehavior: 'skip',
    };
    if (!entries.some((e) => sameTarget(e.path, candidate.path))) entries.push(candidate);
  }
  // Step 7 (default protected subpaths of extra roots) is derived at resolution time from the
  // filesystem (P25), so the profile stays independent of what exists on the host.
  return { type: 'managed', fileSystem: { type: 'restricted', entries }, network: opts.network ?? 'restricted' };
}

export function builtinProfile(id: BuiltinProfileId): PermissionProfile {
  switch (id) {
    case BUILTIN_READ_ONLY:
      return readOnlyProfile();
    case BUILTIN_WORKSPACE:
      return workspaceWriteProfile();
    case BUILTIN_DANGER_FULL_ACCESS:
      return { type: 'disabled' };
  }
}

/** Built-in parents as `[permissions.*]` TOML tables, for `extends` (P9). */
export function builtinParentTable(id: string): Record<string, unknown> | undefined {
  if (id === BUILTIN_READ_ONLY) return { filesystem: { ':root': 'read' } };
  if (id === BUILTIN_WORKSPACE) {
    return { filesystem: { ':root': 'read', ':workspace_roots': { '.': 'write' }, ':slash_tmp': 'write', ':tmpdir': 'write' } };
  }
  return undefined;
}
