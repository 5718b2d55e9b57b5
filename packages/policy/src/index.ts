// Public surface of @codex-sandbox/policy: the permission model every backend consumes, loading and
// resolving it, the command's environment and the one command lookup (README). Parser and compiler
// internals stay inside the package. test/public-api.test.ts pins this list: widen it on purpose only.
export {
  PROTECTED_METADATA_NAMES,
  type FileSystemAccessMode,
  type FileSystemPath,
  type FileSystemSandboxEntry,
  type FileSystemSpecialPath,
  type ManagedFileSystemPermissions,
  type NetworkSandboxPolicy,
  type PermissionProfile,
  type ProtectedMetadataName,
  type ResolvedSandboxPolicy,
  type WritableRoot,
} from './types.js';
export { PolicyError, ConfigError, ProfileError, WireError, type ConfigErrorDetails } from './errors.js';
export { firstInvalidUtf8Offset } from './read-file.js';
export {
  loadConfig,
  parseConfigText,
  parseOverride,
  defaultCodexHome,
  type ConfigLoadOptions,
  type ConfigLayer,
  type LoadedConfig,
  type ParseConfigExtras,
} from './config.js';
export {
  builtinProfile,
} from './builtins.js';
export { selectPermissionProfile, type ProfileSelection, type SelectedProfile, type SelectionOrigin } from './select.js';
export { resolveSandboxPolicy, type ResolveContext } from './resolve.js';
export {
  accessForPath,
  canRead,
  canWrite,
  createAccessQuery,
  type AccessQuery,
  type AccessQueryOptions,
} from './access-query.js';
export { canonicalSpelling, realPathOrSelf, resolveSpelling, resolveGlobSpelling, resolveTopLevelAlias, PathSpellingError } from './spelling.js';
export { depthOf, isWithin, resolveEntry } from './paths.js';
export { encodeSandboxRequest, decodeSandboxRequest } from './wire.js';
export { sandboxRequestToJson, sandboxRequestFromJson, permissionProfileToJson, permissionProfileFromJson } from './wire-json.js';
export type { SandboxRequest } from './wire-checks.js';
export {
  toLegacySandboxPolicy,
  needsDirectRuntimeEnforcement,
  resolveLegacyProjection,
  choosePlatformSandbox,
  type LegacySandboxPolicy,
  type SandboxPreference,
  type PlatformSandbox,
  type PlatformSandboxOptions,
} from './legacy.js';
export {
  commandLookupExitCode,
  commandLookupMessage,
  lookUpCommand,
  type CommandLookup,
  type CommandLookupFailure,
  type CommandLookupOptions,
} from './command-lookup.js';
export { parseRequirementsText, loadRequirements, type Requirements } from './requirements.js';
export { withRuntimeReadableRoots, runtimeRootForExecutable } from './runtime-roots.js';
export { normalizeAdditionalPermissions, mergeAdditionalPermissions, type AdditionalPermissions } from './additional.js';
export {
  parseShellEnvironmentPolicy,
  shellEnvironmentPolicies,
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
export { encodeNetnsHelperSpec, decodeNetnsHelperSpec, type AllowedUnixSocketSpec, type NetnsHelperSpec, type ProxyBridgeRouteSpec } from './netns-spec.js';
export { encodeLandlockHelperSpec, decodeLandlockHelperSpec, type LandlockHelperSpec, type LandlockPathRuleSpec } from './landlock-spec.js';
export { encodeMaskHelperSpec, decodeMaskHelperSpec, type MaskHelperSpec } from './mask-spec.js';
