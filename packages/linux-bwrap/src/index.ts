// Public surface of @codex-sandbox/linux-bwrap: what a front end or a library user needs to plan and
// run commands under bubblewrap (README "API"), and the few pieces the cli front end reuses (the
// wording of the rule that hides a program, descriptor hygiene at start). Everything else is
// internal to the package. test/public-api.test.ts pins this list: widen it on purpose only.
export { createLinuxSandbox, type LinuxSandbox, type LinuxSandboxOptions } from './runner.js';
export type { SandboxRunRequest, SandboxRunResult } from './run-request.js';
export type { SandboxPlan } from './run-plan.js';
export type { BwrapNetworkMode } from './bwrap-args.js';
/** One of the command's standard descriptors. */
export type { StdioSlot } from '@codex-sandbox/process-launch';
export { bundledLauncher, systemLauncher, type BundledBwrapOpener, type LauncherChoice, type OpenedBwrapDescriptor } from './launcher.js';
export { ProbeCache } from './probe-cache.js';
export type { PlaceholderTarget } from './registry.js';
export type { SeccompMode } from './seccomp.js';
export { BwrapArgsError, DenyGlobError, LinuxSandboxError, SeccompError } from './errors.js';
export {
  BubblewrapUnavailableError,
  BwrapSpawnError,
  PlaceholderRegistryError,
  SandboxRequestError,
  SandboxRuntimeError,
  UnsupportedBwrapError,
  Wsl1UnsupportedError,
} from './runtime-errors.js';
export { hidingRule, visibilityRules } from './visibility.js';
export { splitDenyGlob } from './deny-globs.js';
export { closeInheritedDescriptors, inheritableDescriptors, loadCloseOnExecControl, type CloseInheritedOptions } from './inherited-descriptors.js';
export { loadLandlockHelper, LandlockHelperError, type LandlockHelper, type LoadLandlockHelperOptions } from './landlock-helper.js';
export { LandlockUnsupportedError, type LandlockPlan, type LandlockRule } from './landlock-plan.js';
export { loadNetnsHelper, NetnsHelperError, type LoadNetnsHelperOptions, type NetnsHelper } from './netns-helper.js';
export type { ProxyRoute } from './proxy-only-args.js';
export { loadProxyRelay, ProxyRelayError, type LoadProxyRelayOptions, type ProxyRelay } from './proxy-relay.js';
export type { UnixSocketPlan, UnixSocketRequest } from './unix-socket-plan.js';
export { frontEndStateSubdir } from './state-dir.js';
