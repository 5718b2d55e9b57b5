// Per-command additional permissions (P34, the parts `codex sandbox` can use):
// normalising a requested grant and merging it into a base profile. Granting approvals and the
// grant/request intersection are not here. Pure apart from path spelling (spelling.ts); must NOT
// decide whether a grant is acceptable (that is the caller's approval flow).
import { sameTarget } from './builtins.js';
import { PolicyError } from './errors.js';
import { joinUnresolved } from './paths.js';
import { resolveSpelling, resolveTopLevelAlias } from './spelling.js';
import type { FileSystemSandboxEntry, NetworkSandboxPolicy, PermissionProfile } from './types.js';

export interface AdditionalPermissions {
  entries: FileSystemSandboxEntry[];
  /** `enabled` asks for network; absent or `restricted` asks for nothing. */
  network?: NetworkSandboxPolicy;
  /** Depth cap for the grant's deny globs; undefined = unbounded. */
  globScanMaxDepth?: number;
}

/** Rejects non-deny globs; makes paths absolute against cwd, `..` resolved as the kernel would (nested symlinks otherwise stay logical). */
export function normalizeAdditionalPermissions(add: AdditionalPermissions, cwd: string): AdditionalPermissions {
  const entries = add.entries.map((e): FileSystemSandboxEntry => {
    if (e.path.type === 'glob_pattern') {
      if (e.access !== 'deny') throw new PolicyError('glob file system permissions only support deny-read entries');
      const pat = e.path.pattern;
      return { ...e, path: { type: 'glob_pattern', pattern: pat.startsWith('/') ? pat : `${cwd === '/' ? '' : cwd}/${pat}` } };
    }
    if (e.path.type === 'path') return { ...e, path: { type: 'path', path: resolveTopLevelAlias(resolveSpelling(joinUnresolved(cwd, e.path.path))) } };
    return e;
  });
  const out: AdditionalPermissions = { entries };
  if (add.network !== undefined) out.network = add.network;
  if (add.globScanMaxDepth !== undefined) out.globScanMaxDepth = add.globScanMaxDepth;
  return out;
}

/** Set-union of entries; network enabled if either side enables it; unbounded glob depth wins. */
export function mergeAdditionalPermissions(base: PermissionProfile, add: AdditionalPermissions): PermissionProfile {
  const wantsNetwork = add.network === 'enabled';
  if (base.type === 'disabled') return base;
  if (base.type === 'external') return { type: 'external', network: wantsNetwork ? 'enabled' : base.network };
  const network: NetworkSandboxPolicy = wantsNetwork ? 'enabled' : base.network;
  if (base.fileSystem.type === 'unrestricted') return { ...base, network };
  const entries = [...base.fileSystem.entries];
  for (const e of add.entries) {
    if (!entries.some((x) => x.access === e.access && sameTarget(x.path, e.path))) entries.push(e);
  }
  const a = base.fileSystem.globScanMaxDepth;
  const b = add.globScanMaxDepth;
  const addsGlobs = add.entries.some((e) => e.path.type === 'glob_pattern');
  // Unbounded (undefined) on either side wins, except that a grant without globs says nothing.
  const depth = !addsGlobs ? a : a === undefined || b === undefined ? undefined : Math.max(a, b);
  return {
    type: 'managed',
    network,
    fileSystem: depth === undefined ? { type: 'restricted', entries } : { type: 'restricted', entries, globScanMaxDepth: depth },
  };
}
