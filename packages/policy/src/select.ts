// Chooses the permission profile for a run (P9-P14, P16 with the seed's
// overrides): `-P`, `default_permissions`, or a legacy `sandbox_mode` (honoured wherever it is
// written), else `:read-only`; then computes the workspace roots. Pure over a LoadedConfig: must
// NOT read files or resolve entries against the filesystem (resolve.ts does that).
import path from 'node:path';
import { ConfigError, ProfileError } from './errors.js';
import {
  LEGACY_PROFILE_ID_DANGER_NO_SANDBOX,
  builtinProfile,
  isBuiltinProfileId,
  readOnlyProfile,
  workspaceWriteProfile,
} from './builtins.js';
import { compileProfileTable, resolveProfileChain } from './compile.js';
import { layerDefining, type ConfigLayer, type LoadedConfig, type SandboxMode } from './config.js';
import { absolutize, expandHome, hasGlobChars, joinUnresolved, tidyAbsolute } from './paths.js';
import type { Requirements } from './requirements.js';
import { dottedKey, getOwn, hasOwn, isTable, type TomlTable } from './toml.js';
import {
  BUILTIN_DANGER_FULL_ACCESS,
  BUILTIN_PROFILE_IDS,
  BUILTIN_READ_ONLY,
  BUILTIN_WORKSPACE,
  type FileSystemSandboxEntry,
  type PermissionProfile,
} from './types.js';

export interface ProfileSelection {
  /** `-P NAME`: acts as a session-level `default_permissions` override. */
  permissionProfile?: string;
  /** Absolute directory the profile is resolved against. */
  cwd: string;
  /** Extra writable roots requested by the caller (absolute, `~/`, or cwd-relative). */
  additionalWritableRoots?: string[];
}

/** How the profile was chosen, for display and diagnostics. */
export type SelectionOrigin = 'permission_profile' | 'default_permissions' | 'sandbox_mode' | 'requirements' | 'implicit';

export interface SelectedProfile {
  /** Built-in id (`:read-only`, ...) or user profile name. Legacy modes map to built-in ids. */
  id: string;
  profile: PermissionProfile;
  /** Absolute, deduplicated: cwd first, then requested, legacy and profile-configured roots. */
  workspaceRoots: string[];
  warnings: string[];
  origin: SelectionOrigin;
  /** The selected profile's `[network]` table as written (proxy settings), if any. */
  networkTable?: TomlTable;
}

type Choice = { syntax: 'profiles'; id: string; origin: SelectionOrigin } | { syntax: 'legacy'; mode: SandboxMode } | { syntax: 'implicit' };

const BUILTINS_SHOWN = BUILTIN_PROFILE_IDS.map((id) => `\`${id}\``).join(', ');

function overrideLayers(config: LoadedConfig): ConfigLayer[] {
  return config.layers.filter((l) => l.kind === 'override');
}

/** P11/P14: which syntax (and which selection) applies. */
function chooseSyntax(config: LoadedConfig, sel: ProfileSelection, requirementsSelect: boolean): Choice {
  const overrides = overrideLayers(config);
  const cliSandboxMode = overrides.some((l) => hasOwn(l.table, 'sandbox_mode'));
  const cliDefaultPermissions = overrides.some((l) => hasOwn(l.table, 'default_permissions'));
  const cliProfile = sel.permissionProfile !== undefined;
  if (cliSandboxMode && cliProfile) throw new ProfileError('`sandbox_mode` and `permission_profile` overrides cannot both be set; pass either `-c sandbox_mode=...` or `-P`');
  if (cliSandboxMode && cliDefaultPermissions) {
    throw new ProfileError('`sandbox_mode` and `default_permissions` overrides cannot both be set; pass only one of them with `-c`');
  }
  if (cliProfile && cliDefaultPermissions) {
    throw new ProfileError('`permission_profile` and `default_permissions` overrides cannot both be set; pass either `-P` or `-c default_permissions=...`');
  }
  if (sel.permissionProfile !== undefined) return { syntax: 'profiles', id: sel.permissionProfile, origin: 'permission_profile' };
  const mode = getOwn(config.merged, 'sandbox_mode') as SandboxMode | undefined;
  if (cliSandboxMode && mode !== undefined) return { syntax: 'legacy', mode };
  // Lowest to highest precedence; the last layer that says anything decides, and within one layer
  // `default_permissions` wins over `sandbox_mode`.
  let decided: 'legacy' | 'profiles' | undefined;
  for (const layer of config.layers) {
    if (hasOwn(layer.table, 'sandbox_mode')) decided = 'legacy';
    if (hasOwn(layer.table, 'default_permissions')) decided = 'profiles';
  }
  if (decided === 'profiles') {
    return { syntax: 'profiles', id: getOwn(config.merged, 'default_permissions') as string, origin: 'default_permissions' };
  }
  if (decided === 'legacy' && mode !== undefined) return { syntax: 'legacy', mode };
  if (!requirementsSelect && isTable(getOwn(config.merged, 'permissions')) && Object.keys(getOwn(config.merged, 'permissions') as TomlTable).length > 0) {
    throw new ConfigError(
      'config defines `[permissions]` profiles but does not set `default_permissions`; set `default_permissions = "<name>"` or pass `-P <name>`',
      { key: 'default_permissions', ...(sourceOf(config, ['permissions']) ?? {}) },
    );
  }
  return { syntax: 'implicit' };
}

function sourceOf(config: LoadedConfig, keyPath: string[]): { path: string } | undefined {
  const l = layerDefining(config, keyPath);
  return l === undefined ? undefined : { path: l.source };
}

interface LegacyWorkspaceWrite {
  writableRoots: string[];
  network: 'enabled' | 'restricted';
  excludeTmpdirEnvVar: boolean;
  excludeSlashTmp: boolean;
}

function legacyWorkspaceWrite(config: LoadedConfig): LegacyWorkspaceWrite {
  const t = getOwn(config.merged, 'sandbox_workspace_write');
  const table = isTable(t) ? t : {};
  const roots = (getOwn(table, 'writable_roots') as string[] | undefined) ?? [];
  const writableRoots = roots.map((r, i) => {
    const expanded = expandHome(r, config.homeDir);
    if (!path.posix.isAbsolute(expanded)) {
      const key = `sandbox_workspace_write.writable_roots[${i}]`;
      throw new ConfigError(`\`${key}\` is \`${r}\`; writable roots must be absolute or start with \`~/\``, {
        key,
        ...(sourceOf(config, ['sandbox_workspace_write', 'writable_roots']) ?? {}),
      });
    }
    return tidyAbsolute(expanded);
  });
  return {
    writableRoots,
    network: getOwn(table, 'network_access') === true ? 'enabled' : 'restricted',
    excludeTmpdirEnvVar: getOwn(table, 'exclude_tmpdir_env_var') === true,
    excludeSlashTmp: getOwn(table, 'exclude_slash_tmp') === true,
  };
}

function checkProfileId(id: string, config: LoadedConfig, origin: SelectionOrigin): void {
  const what = origin === 'permission_profile' ? 'permission profile (-P)' : origin === 'requirements' ? 'requirements.toml default_permissions' : 'default_permissions';
  if (id.length === 0) throw new ProfileError(`${what} must not be empty; use a built-in (${BUILTINS_SHOWN}) or a \`[permissions.<name>]\` profile`, id);
  if (id === LEGACY_PROFILE_ID_DANGER_NO_SANDBOX) {
    throw new ProfileError(`${what} \`${id}\` is not supported; the full-access built-in profile is \`${BUILTIN_DANGER_FULL_ACCESS}\``, id);
  }
  if (id.startsWith(':')) {
    if (!isBuiltinProfileId(id)) throw new ProfileError(`${what} refers to unknown built-in profile \`${id}\`; built-ins: ${BUILTINS_SHOWN}`, id);
    return;
  }
  const perms = getOwn(config.merged, 'permissions');
  if (!isTable(perms)) {
    throw new ProfileError(`${what} \`${id}\` requires a \`[permissions]\` table defining it (or use a built-in: ${BUILTINS_SHOWN})`, id);
  }
  if (!hasOwn(perms, id)) {
    const defined = Object.keys(perms).map((n) => `\`${n}\``).join(', ');
    throw new ProfileError(`${what} refers to undefined profile \`${id}\`; defined profiles: ${defined || '(none)'}; built-ins: ${BUILTINS_SHOWN}`, id);
  }
}

function dedupe(paths: string[]): string[] {
  return [...new Set(paths)];
}

/** Adds the caller's extra writable roots to a restricted profile as explicit write entries. */
function withExtraWritableRoots(profile: PermissionProfile, roots: string[]): PermissionProfile {
  if (roots.length === 0 || profile.type !== 'managed' || profile.fileSystem.type !== 'restricted') return profile;
  const entries = [...profile.fileSystem.entries];
  for (const r of roots) {
    if (!entries.some((e) => e.path.type === 'path' && e.path.path === r && e.access === 'write')) {
      entries.push({ path: { type: 'path', path: r }, access: 'write' });
    }
  }
  return { ...profile, fileSystem: { ...profile.fileSystem, entries } };
}

interface Candidate {
  id: string;
  profile: PermissionProfile;
  origin: SelectionOrigin;
  legacyRoots: string[];
  profileRoots: string[];
  networkTable?: TomlTable;
  usesSandboxWorkspaceWrite: boolean;
  warnings: string[];
}

function candidateForId(config: LoadedConfig, id: string, origin: SelectionOrigin, cwd: string): Candidate {
  checkProfileId(id, config, origin);
  const base = { id, origin, legacyRoots: [], profileRoots: [], usesSandboxWorkspaceWrite: false };
  if (isBuiltinProfileId(id)) return { ...base, profile: builtinProfile(id), warnings: [] };
  const perms = getOwn(config.merged, 'permissions') as TomlTable;
  let compiled;
  try {
    compiled = compileProfileTable(resolveProfileChain(perms, id), id, { homeDir: config.homeDir, platform: process.platform });
  } catch (e) {
    if (e instanceof ConfigError && e.path === undefined) {
      throw new ConfigError(e.message, { ...(e.key !== undefined ? { key: e.key } : {}), ...(sourceOf(config, ['permissions', id]) ?? {}) });
    }
    throw e;
  }
  const profile: PermissionProfile = {
    type: 'managed',
    fileSystem:
      compiled.globScanMaxDepth === undefined
        ? { type: 'restricted', entries: compiled.entries }
        : { type: 'restricted', entries: compiled.entries, globScanMaxDepth: compiled.globScanMaxDepth },
    network: compiled.network,
  };
  const out: Candidate = { ...base, profile, profileRoots: compiled.workspaceRootKeys.map((k) => joinUnresolved(cwd, k)), warnings: compiled.warnings };
  if (compiled.networkTable !== undefined) out.networkTable = compiled.networkTable;
  return out;
}

function candidateForLegacy(config: LoadedConfig, mode: SandboxMode): Candidate {
  const base = { origin: 'sandbox_mode' as const, legacyRoots: [], profileRoots: [], usesSandboxWorkspaceWrite: false, warnings: [] };
  switch (mode) {
    case 'read-only':
      return { ...base, id: BUILTIN_READ_ONLY, profile: readOnlyProfile() };
    case 'danger-full-access':
      return { ...base, id: BUILTIN_DANGER_FULL_ACCESS, profile: { type: 'disabled' } };
    case 'workspace-write': {
      const ww = legacyWorkspaceWrite(config);
      const profile = workspaceWriteProfile({
        extraWritableRoots: ww.writableRoots,
        network: ww.network,
        excludeTmpdirEnvVar: ww.excludeTmpdirEnvVar,
        excludeSlashTmp: ww.excludeSlashTmp,
      });
      return { ...base, id: BUILTIN_WORKSPACE, profile, legacyRoots: ww.writableRoots, usesSandboxWorkspaceWrite: true };
    }
  }
}

/** P15: the allowlist's fallback id, validated against what the config defines. */
function requirementsFallback(config: LoadedConfig, req: Requirements, allowed: Record<string, boolean>): string {
  const isAllowed = (id: string): boolean => Object.hasOwn(allowed, id) && allowed[id] === true;
  const perms = getOwn(config.merged, 'permissions');
  for (const id of Object.keys(allowed)) {
    const known = isBuiltinProfileId(id) || (!id.startsWith(':') && isTable(perms) && hasOwn(perms, id));
    if (!known) {
      const hint = id === LEGACY_PROFILE_ID_DANGER_NO_SANDBOX ? ` (the full-access built-in is \`${BUILTIN_DANGER_FULL_ACCESS}\`)` : '';
      throw new ConfigError(`requirements.toml allowed_permission_profiles refers to undefined profile \`${id}\`${hint}`, {
        path: req.source,
        key: dottedKey(['allowed_permission_profiles', id]),
      });
    }
  }
  if (req.defaultPermissions !== undefined) {
    if (!isAllowed(req.defaultPermissions)) {
      throw new ConfigError(`requirements.toml default_permissions \`${req.defaultPermissions}\` is not allowed by allowed_permission_profiles`, {
        path: req.source,
        key: 'default_permissions',
      });
    }
    return req.defaultPermissions;
  }
  if (isAllowed(BUILTIN_WORKSPACE) && isAllowed(BUILTIN_READ_ONLY)) return BUILTIN_WORKSPACE;
  throw new ConfigError('requirements.toml default_permissions must be set unless allowed_permission_profiles allows both `:workspace` and `:read-only`', {
    path: req.source,
    key: 'default_permissions',
  });
}

/** P15: requirement deny-read patterns become deny entries; unrestricted profiles become restricted. */
function withRequiredDenies(profile: PermissionProfile, denyRead: string[], warnings: string[], source: string): PermissionProfile {
  if (denyRead.length === 0) return profile;
  const denies: FileSystemSandboxEntry[] = denyRead.map((d) =>
    hasGlobChars(d) ? { path: { type: 'glob_pattern', pattern: d }, access: 'deny' } : { path: { type: 'path', path: tidyAbsolute(d) }, access: 'deny' },
  );
  const rootWrite: FileSystemSandboxEntry = { path: { type: 'special', value: { kind: 'root' } }, access: 'write' };
  if (profile.type === 'disabled') return { type: 'managed', fileSystem: { type: 'restricted', entries: [rootWrite, ...denies] }, network: 'enabled' };
  if (profile.type === 'external') {
    warnings.push(`${source}: filesystem.deny_read cannot be applied to an externally sandboxed profile; the external sandbox must enforce it`);
    return profile;
  }
  if (profile.fileSystem.type === 'unrestricted') {
    return { ...profile, fileSystem: { type: 'restricted', entries: [rootWrite, ...denies] } };
  }
  return { ...profile, fileSystem: { ...profile.fileSystem, entries: [...profile.fileSystem.entries, ...denies] } };
}

/** Picks the profile for this run and its workspace roots; throws ConfigError / ProfileError. */
export function selectPermissionProfile(config: LoadedConfig, sel: ProfileSelection): SelectedProfile {
  if (!path.posix.isAbsolute(sel.cwd)) throw new ProfileError(`cwd \`${sel.cwd}\` must be an absolute path`);
  const cwd = absolutize(sel.cwd, '/');
  const extraRoots = (sel.additionalWritableRoots ?? []).map((r) => joinUnresolved(cwd, expandHome(r, config.homeDir)));
  const warnings = [...config.warnings];
  const req = config.requirements;
  const allowed = req?.allowedPermissionProfiles;
  const fallback = req !== undefined && allowed !== undefined ? requirementsFallback(config, req, allowed) : undefined;
  const choice = chooseSyntax(config, sel, req?.defaultPermissions !== undefined);
  let cand: Candidate;
  if (choice.syntax === 'profiles') cand = candidateForId(config, choice.id, choice.origin, cwd);
  else if (choice.syntax === 'legacy') cand = candidateForLegacy(config, choice.mode);
  else if (req?.defaultPermissions !== undefined) cand = candidateForId(config, req.defaultPermissions, 'requirements', cwd);
  else cand = { id: BUILTIN_READ_ONLY, profile: readOnlyProfile(), origin: 'implicit', legacyRoots: [], profileRoots: [], usesSandboxWorkspaceWrite: false, warnings: [] };
  if (allowed !== undefined && fallback !== undefined && !(Object.hasOwn(allowed, cand.id) && allowed[cand.id] === true)) {
    warnings.push(`Configured value for \`permission_profile\` is disallowed by requirements; falling back from \`${cand.id}\` to required value \`${fallback}\`.`);
    cand = candidateForId(config, fallback, 'requirements', cwd);
  }
  warnings.push(...cand.warnings);
  const { id, origin, legacyRoots, profileRoots, networkTable, usesSandboxWorkspaceWrite } = cand;
  let profile = cand.profile;
  if (req !== undefined) {
    warnings.push(...req.warnings);
    profile = withRequiredDenies(profile, req.denyRead, warnings, req.source);
  }

  if (!usesSandboxWorkspaceWrite && hasOwn(config.merged, 'sandbox_workspace_write')) {
    const src = sourceOf(config, ['sandbox_workspace_write'])?.path ?? 'config';
    warnings.push(
      `${src}: \`[sandbox_workspace_write]\` is ignored because the selected permissions are \`${id}\` (from ${origin}); it only applies with \`sandbox_mode = "workspace-write"\``,
    );
  }

  const perms = getOwn(config.merged, 'permissions');
  if (origin === 'sandbox_mode' && isTable(perms) && Object.keys(perms).length > 0) {
    const src = sourceOf(config, ['sandbox_mode'])?.path ?? 'config';
    warnings.push(
      `${src}: \`sandbox_mode\` selects the legacy permissions \`${id}\`; the \`[permissions]\` profiles are not used unless \`default_permissions\` or \`-P\` selects one`,
    );
  }

  profile = withExtraWritableRoots(profile, extraRoots);
  const workspaceRoots = dedupe([cwd, ...extraRoots, ...legacyRoots, ...profileRoots]);
  const out: SelectedProfile = { id, profile, workspaceRoots, warnings, origin };
  if (networkTable !== undefined) out.networkTable = networkTable;
  return out;
}
