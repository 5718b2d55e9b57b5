// Public surface of @codex-sandbox/policy: the permission model every backend consumes.
export * from './types.js';
export { PolicyError, ConfigError, ProfileError, WireError, type ConfigErrorDetails } from './errors.js';
export { firstInvalidUtf8Offset, MAX_POLICY_FILE_BYTES, readPolicyTextFile, type ReadPolicyFileOptions } from './read-file.js';
export {
  loadConfig,
  parseConfigText,
  parseOverride,
  parseDottedKey,
  defaultCodexHome,
  layerDefining,
  SANDBOX_MODES,
  type ConfigLoadOptions,
  type ConfigLayer,
  type ConfigLayerKind,
  type LoadedConfig,
  type ParseConfigExtras,
  type ParsedOverride,
  type SandboxMode,
} from './config.js';
export { compileProfileTable, resolveProfileChain, WORKSPACE_ROOTS_GLOB_PREFIX, type CompiledProfile, type CompileContext } from './compile.js';
export {
  builtinProfile,
  isBuiltinProfileId,
  readOnlyProfile,
  workspaceWriteProfile,
  LEGACY_PROFILE_ID_DANGER_NO_SANDBOX,
  LEGACY_SPECIAL_PROJECT_ROOTS,
  type WorkspaceWriteOptions,
} from './builtins.js';
export { selectPermissionProfile, type ProfileSelection, type SelectedProfile, type SelectionOrigin } from './select.js';
export {
  resolveSandboxPolicy,
  accessForPath,
  canRead,
  canWrite,
  createAccessQuery,
  type AccessQuery,
  type AccessQueryOptions,
  type ResolveContext,
} from './resolve.js';
export { resolveSpelling, resolveGlobSpelling, PathSpellingError, MAX_SYMLINK_FOLLOWS } from './spelling.js';
export {
  encodeSandboxRequest,
  decodeSandboxRequest,
  sandboxRequestToJson,
  sandboxRequestFromJson,
  permissionProfileToJson,
  permissionProfileFromJson,
  type SandboxRequest,
  type JsonValue,
} from './wire.js';
export {
  toLegacySandboxPolicy,
  legacyToPermissionProfile,
  needsDirectRuntimeEnforcement,
  choosePlatformSandbox,
  type LegacySandboxPolicy,
  type SandboxPreference,
  type PlatformSandbox,
  type PlatformSandboxOptions,
} from './legacy.js';
export { parseRequirementsText, loadRequirements, type Requirements } from './requirements.js';
export { withRuntimeReadableRoots, runtimeRootForExecutable } from './runtime-roots.js';
export { normalizeAdditionalPermissions, mergeAdditionalPermissions, type AdditionalPermissions } from './additional.js';
export {
  parseShellEnvironmentPolicy,
  shellEnvironmentPolicies,
  ENVIRONMENT_INHERIT_VALUES,
  SHELL_ENVIRONMENT_POLICY_KEY,
  type EnvironmentInherit,
  type ParsedShellEnvironmentPolicy,
  type ShellEnvironmentPolicy,
  type ShellEnvironmentPolicyToml,
} from './shell-environment.js';
export {
  computeCommandEnvironment,
  matchesVariablePattern,
  CORE_ENVIRONMENT_VARIABLES,
  DEFAULT_ENVIRONMENT_EXCLUDES,
  type CommandEnvironment,
  type CommandVariable,
  type DroppedVariable,
  type EnvironmentAddition,
  type VariableOrigin,
} from './command-environment.js';
export { encodeNetnsHelperSpec, decodeNetnsHelperSpec, type NetnsHelperSpec, type ProxyBridgeRouteSpec } from './netns-spec.js';
