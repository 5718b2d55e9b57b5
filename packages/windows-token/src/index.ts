// Public surface of @codex-sandbox/windows-token: the unelevated restricted-token backend (W1-W8).
// The plan and its dry-run rendering are pure and run anywhere; the runner runs only on Windows.
// This package must never run a command with the caller's unrestricted token.
// test/public-api.test.ts pins this list: widen it on purpose only.
export { WINDOWS_REFUSAL_SUFFIX, legacyWritableRoots, type EnforceabilityInput } from './refusals.js';
export {
  planWindowsSandbox,
  BEST_EFFORT_NETWORK_WARNING,
  type HostIdentity,
  type WindowsPlanInput,
  type WindowsSandboxPlan,
} from './plan.js';
export type { AceChange } from './acl-plan.js';
export type { CapabilitySids, SidAllocator } from './capability-sids.js';
export { readCapabilitySids, randomCapabilitySid, type LoadedCapabilitySids } from './cap-sid-file.js';
export {
  renderWindowsDryRun,
  PLACEHOLDER_IDENTITY,
  placeholderSidAllocator,
  offHostFacts,
  type WindowsDryRun,
  type WindowsDryRunJson,
} from './dry-run.js';
export { hostIdentity, runWindowsPlan, type WindowsRunOptions } from './runner.js';
export { WindowsSandboxError, WindowsRefusalError, CapabilitySidFileError, CommandLineError, WindowsRunError } from './errors.js';
