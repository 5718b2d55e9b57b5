// Public surface of the OS layer (running commands under bubblewrap); re-exported by index.ts.
// Must NOT hold logic of its own.

export { assignDataDescriptors } from './descriptors.js';
export {
  createLinuxSandbox,
  planSandboxedRun,
  runSandboxed,
  runsUnsandboxed,
  runUnsandboxed,
  type BwrapNetworkMode,
  type LinuxSandbox,
  type LinuxSandboxOptions,
  type SandboxPlan,
  type SandboxRunRequest,
  type SandboxRunResult,
  type StdioSlot,
  type UnsandboxedRunRequest,
} from './runner.js';
export {
  bundledLauncher,
  chooseLauncher,
  findSystemBwrapCandidates,
  systemLauncher,
  type BundledBwrapOpener,
  type ChooseLauncherOptions,
  type LauncherChoice,
  type LauncherSelection,
  type OpenedBwrapDescriptor,
} from './launcher.js';
export {
  capabilitiesFromOptions,
  OPTIONAL_BWRAP_OPTIONS,
  parseHelpOptions,
  REQUIRED_BWRAP_OPTIONS,
  type BwrapCapabilities,
} from './capabilities.js';
export { defaultCacheDir, ProbeCache } from './probe-cache.js';
export { isProcMountRefusal, userNamespaceProbeFailed } from './preflight.js';
export { defaultRegistryDir, PlaceholderRegistry, type PlaceholderTarget } from './registry.js';
export {
  BubblewrapUnavailableError,
  BwrapSpawnError,
  PlaceholderRegistryError,
  SandboxRequestError,
  SandboxRuntimeError,
  UnsupportedBwrapError,
  Wsl1UnsupportedError,
  WSL1_UNSUPPORTED_MESSAGE,
} from './runtime-errors.js';
export {
  isUserNamespaceFailure,
  NO_SYSTEM_BWRAP_WARNING,
  unusableSystemBwrapWarning,
  USER_NAMESPACE_WARNING,
} from './warnings.js';
