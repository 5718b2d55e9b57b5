// Public library API of @codex-sandbox/cli: the same sandboxed run as `codex sandbox`, usable
// in-process so a Node program that sandboxes many commands pays config loading, profile resolution
// and bubblewrap probing once, not per command. Must NOT print anything or exit the process.
export {
  createSandbox,
  NETWORK_DISABLED_VARIABLE,
  type CreateSandboxOptions,
  type DryRunOptions,
  type Env,
  type RunOptions,
  type RunResult,
  type Sandbox,
  type SandboxPlan,
  type StdioChoice,
} from './sandbox.js';
export type { DryRunResult } from './dry-run.js';
export type { DryRunJson } from './dry-run-json.js';
export { selectBackend, type BackendId, type BackendSelection, type TargetOs } from './backend.js';
export {
  CliError,
  UsageError,
  CommandNotFoundError,
  CommandNotExecutableError,
  BackendNotImplementedError,
  UnsupportedPlatformError,
} from './errors.js';
export { UnenforceableNetworkPolicyError } from './network-enforcement.js';
export { WindowsRefusalError, WindowsSandboxError } from '@codex-sandbox/windows-token';
export { NetworkPolicyError, ProxyRouteError, ProxyStartError, type BlockedRequestEvent } from '@codex-sandbox/proxy-bridge';
export { runCli, type CliIo } from './run-cli.js';
export { runLinuxHelper, type HelperIo } from './run-linux-helper.js';
export { CLI_VERSION } from './version.js';
export type { CommandEnvironment, CommandVariable, DroppedVariable, ShellEnvironmentPolicyToml } from '@codex-sandbox/policy';
