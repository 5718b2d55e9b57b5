// Projection of a permission profile onto the legacy `SandboxPolicy` shape (P30), the test for
// whether a profile needs direct runtime enforcement because the projection would lose something
// (P31), and the sandbox-or-not choice for a preference (P33). Pure over resolve.ts results: must
// NOT pick a backend implementation or build any sandbox arguments.
import { PolicyError } from './errors.js';
import { readOnlyProfile, workspaceWriteProfile } from './builtins.js';
import { joinSubpath, joinUnresolved } from './paths.js';
import { policyCwd, resolveSandboxPolicy, type ResolveContext } from './resolve.js';
import { resolveSpelling } from './spelling.js';
import type { NetworkSandboxPolicy, PermissionProfile, ResolvedSandboxPolicy } from './types.js';

export type LegacySandboxPolicy =
  | { type: 'danger-full-access' }
  | { type: 'read-only'; networkAccess: boolean }
  | { type: 'external-sandbox'; networkAccess: NetworkSandboxPolicy }
  | { type: 'workspace-write'; writableRoots: string[]; networkAccess: boolean; excludeTmpdirEnvVar: boolean; excludeSlashTmp: boolean };

/** P30. Throws PolicyError for writes outside the workspace that the legacy shape cannot express. */
export function toLegacySandboxPolicy(profile: PermissionProfile, ctx: ResolveContext): LegacySandboxPolicy {
  if (profile.type === 'disabled') return { type: 'danger-full-access' };
  if (profile.type === 'external') return { type: 'external-sandbox', networkAccess: profile.network };
  const resolved = resolveSandboxPolicy(profile, ctx);
  if (resolved.fullDiskWrite) {
    return profile.network === 'enabled' ? { type: 'danger-full-access' } : { type: 'external-sandbox', networkAccess: 'restricted' };
  }
  if (profile.fileSystem.type !== 'restricted') return { type: 'danger-full-access' };
  const cwd = policyCwd(ctx);
  const writes = profile.fileSystem.entries.filter((e) => e.access === 'write');
  const isWorkspace = writes.some(
    (e) =>
      (e.path.type === 'special' && e.path.value.kind === 'workspace_roots' && e.path.value.subpath === undefined) ||
      (e.path.type === 'path' && resolveSpelling(joinUnresolved(cwd, e.path.path)) === cwd),
  );
  const otherWritable: string[] = [];
  for (const e of writes) {
    if (e.path.type === 'path') {
      const p = resolveSpelling(joinUnresolved(cwd, e.path.path));
      if (p !== cwd) otherWritable.push(p);
    } else if (e.path.type === 'special' && e.path.value.kind === 'workspace_roots' && e.path.value.subpath !== undefined) {
      otherWritable.push(joinSubpath(cwd, e.path.value.subpath));
    }
  }
  const hasSpecialWrite = (kind: 'tmpdir' | 'slash_tmp'): boolean => writes.some((e) => e.path.type === 'special' && e.path.value.kind === kind);
  if (isWorkspace) {
    return {
      type: 'workspace-write',
      writableRoots: [...new Set(otherWritable)],
      networkAccess: profile.network === 'enabled',
      excludeTmpdirEnvVar: !hasSpecialWrite('tmpdir'),
      excludeSlashTmp: !hasSpecialWrite('slash_tmp'),
    };
  }
  if (resolved.writableRoots.length > 0) {
    throw new PolicyError(
      'permissions profile requests filesystem writes outside the workspace root, which is not supported until the runtime enforces FileSystemSandboxPolicy directly',
    );
  }
  return { type: 'read-only', networkAccess: profile.network === 'enabled' };
}

function legacyToPermissionProfile(p: LegacySandboxPolicy): PermissionProfile {
  switch (p.type) {
    case 'danger-full-access':
      return { type: 'disabled' };
    case 'external-sandbox':
      return { type: 'external', network: p.networkAccess };
    case 'read-only':
      return readOnlyProfile(p.networkAccess ? 'enabled' : 'restricted');
    case 'workspace-write':
      return workspaceWriteProfile({
        extraWritableRoots: p.writableRoots,
        network: p.networkAccess ? 'enabled' : 'restricted',
        excludeTmpdirEnvVar: p.excludeTmpdirEnvVar,
        excludeSlashTmp: p.excludeSlashTmp,
      });
  }
}

/**
 * P30: the resolved policy of the profile's legacy projection (what a legacy backend would
 * enforce), for backends that must compare it with the profile's own (W3). Throws PolicyError when
 * the profile has no legacy projection.
 */
export function resolveLegacyProjection(profile: PermissionProfile, ctx: ResolveContext): ResolvedSandboxPolicy {
  return resolveSandboxPolicy(legacyToPermissionProfile(toLegacySandboxPolicy(profile, ctx)), ctx);
}

function signature(r: ResolvedSandboxPolicy): string {
  return JSON.stringify([
    r.fullDiskRead,
    r.fullDiskWrite,
    r.includePlatformDefaults,
    r.readableRoots,
    [...r.writableRoots.map((w) => w.root)].sort(),
    r.unreadableRoots,
    r.unreadableGlobs,
  ]);
}

/**
 * P31: a restricted profile whose legacy projection differs semantically (or loses protected
 * metadata names) needs direct enforcement and must not use a legacy backend.
 */
export function needsDirectRuntimeEnforcement(profile: PermissionProfile, ctx: ResolveContext): boolean {
  const own = resolveSandboxPolicy(profile, ctx);
  if (own.kind !== 'restricted') return false;
  let legacy: ResolvedSandboxPolicy;
  try {
    legacy = resolveLegacyProjection(profile, ctx);
  } catch (e) {
    if (e instanceof PolicyError) return true;
    throw e;
  }
  if (signature(own) !== signature(legacy)) return true;
  return own.writableRoots.some((w) => {
    const l = legacy.writableRoots.find((x) => x.root === w.root);
    return l === undefined || !w.protectedMetadataNames.every((n) => l.protectedMetadataNames.includes(n));
  });
}

export type SandboxPreference = 'forbid' | 'require' | 'auto';
export type PlatformSandbox = 'none' | 'seatbelt' | 'linux-seccomp' | 'windows-restricted-token';

export interface PlatformSandboxOptions {
  /** `process.platform` style. */
  platform: string;
  /** Windows only: whether the Windows sandbox is enabled (level != disabled). */
  windowsSandboxEnabled?: boolean;
}

/** P33: Forbid -> none; Require -> the platform sandbox; Auto -> P32 (`needsSandbox`). Throws PolicyError when the needed sandbox is unavailable. */
export function choosePlatformSandbox(pref: SandboxPreference, policy: ResolvedSandboxPolicy, opts: PlatformSandboxOptions): PlatformSandbox {
  if (pref === 'forbid') return 'none';
  if (pref === 'auto' && !policy.needsSandbox) return 'none';
  if (opts.platform === 'darwin') return 'seatbelt';
  if (opts.platform === 'linux') return 'linux-seccomp';
  if (opts.platform === 'win32' && opts.windowsSandboxEnabled === true) return 'windows-restricted-token';
  // Fail closed: a needed sandbox that does not exist here is an error, never a silent bypass.
  throw new PolicyError(
    opts.platform === 'win32'
      ? 'a sandbox is required but the Windows sandbox is disabled; enable it or select `:danger-full-access` explicitly'
      : `a sandbox is required but none is available on platform \`${opts.platform}\`; select \`:danger-full-access\` explicitly to run unsandboxed`,
  );
}
