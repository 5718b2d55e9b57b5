// Owns the seam between the cli package and @codex-sandbox/windows-token (W1-W8): one backend object
// per sandbox with the same plan/run shape as the Linux one. It gathers the host facts (user and
// logon SIDs, `$CODEX_HOME/cap_sid`) on Windows, or placeholders when a dry run plans for Windows
// elsewhere, and checks `[windows] sandbox`. A policy that restricts nothing runs directly, as on
// Linux. Must NOT build tokens, ACLs or command lines itself (windows-token does).
import { runDirect } from '@codex-sandbox/process-launch';
import * as os from 'node:os';
import {
  CommandLineError,
  offHostFacts,
  hostIdentity,
  legacyWritableRoots,
  planWindowsSandbox,
  randomCapabilitySid,
  readCapabilitySids,
  renderWindowsDryRun,
  runWindowsPlan,
  WindowsSandboxError,
  type WindowsDryRun,
  type WindowsSandboxPlan,
} from '@codex-sandbox/windows-token';
import type { PermissionProfile, ResolveContext } from '@codex-sandbox/policy';
import { CliError } from './errors.js';
import type { BackendRequest, LinuxBackend, PlannedLaunch } from './linux-backend.js';
import { registerUserFacingErrors } from './report-error.js';

registerUserFacingErrors(WindowsSandboxError);

export interface OpenWindowsBackendOptions {
  /** `win32` on a Windows host runs; on any other host the backend only plans (dry run). */
  hostPlatform: string;
  profile: PermissionProfile;
  context: ResolveContext;
  codexHome: string;
  /** The merged config's `[windows]` table, if any. */
  windowsConfig: unknown;
  onWarning: (message: string) => void;
}

export interface WindowsPlannedLaunch extends PlannedLaunch {
  /** The restricted-token plan rendered for the dry run; absent when the command runs directly. */
  windows?: WindowsDryRun;
}

/** W1: `[windows] sandbox` is "unelevated" (or absent); "elevated" is a backend this build lacks. */
export function checkWindowsConfig(table: unknown): void {
  if (table === undefined) return;
  if (typeof table !== 'object' || table === null || Array.isArray(table)) throw new CliError('`windows` in config must be a table');
  const level = (table as Record<string, unknown>)['sandbox'];
  if (level === undefined || level === 'unelevated') return;
  if (level === 'elevated') {
    throw new CliError('`windows.sandbox = "elevated"`: the elevated Windows sandbox backend is not built; refusing to run unsandboxed (set "unelevated" or remove it)');
  }
  throw new CliError(`\`windows.sandbox\` must be "unelevated" or "elevated", not ${JSON.stringify(level)}`);
}

function homeOf(env: Readonly<Record<string, string | undefined>>): string {
  const key = Object.keys(env).find((k) => k.toUpperCase() === 'USERPROFILE');
  return (key === undefined ? undefined : env[key]) ?? os.homedir();
}

export function openWindowsBackend(options: OpenWindowsBackendOptions): LinuxBackend & { plan(request: BackendRequest): Promise<WindowsPlannedLaunch> } {
  const onHost = options.hostPlatform === 'win32' && process.platform === 'win32';
  const legacyRoots = legacyWritableRoots(options.profile, options.context);

  const planFor = (request: BackendRequest, forRun: boolean): WindowsSandboxPlan => {
    checkWindowsConfig(options.windowsConfig);
    const host = onHost ? readCapabilitySids(options.codexHome, forRun ? randomCapabilitySid : offHostFacts().allocate) : undefined;
    const facts = onHost && host !== undefined ? { identity: hostIdentity(), capabilityStore: host.sids, allocate: forRun ? randomCapabilitySid : offHostFacts().allocate } : offHostFacts();
    return planWindowsSandbox({
      profileType: options.profile.type,
      policy: request.policy,
      legacyWritableRoots: legacyRoots,
      managedNetwork: request.network === 'proxy-only',
      capabilityStore: facts.capabilityStore,
      capabilityStoreNeedsWrite: host?.needsWrite === true,
      allocate: facts.allocate,
      identity: facts.identity,
      command: request.command,
      cwd: request.cwd,
      env: request.env,
      homeDir: homeOf(request.env),
    });
  };

  return {
    async plan(request) {
      if (!request.policy.needsSandbox) {
        return { argv: request.command, description: 'none: the policy restricts nothing, the command runs directly', denyGlobMatches: [], placeholders: [] };
      }
      const plan = planFor(request, false);
      return {
        argv: plan.argv,
        description: 'Windows: unelevated restricted token (WRITE_RESTRICTED), ACLs on the writable roots, kill-on-close job object',
        ...(request.policy.network === 'enabled'
          ? {}
          : { network: 'restricted (best effort: proxy variables point nowhere and ssh/scp fail; sockets themselves are not filtered)' }),
        denyGlobMatches: [],
        placeholders: [],
        windows: renderWindowsDryRun(plan),
      };
    },
    async run(request) {
      if (!request.policy.needsSandbox) return runDirectly(request);
      if (!onHost) throw new CliError(`the Windows restricted-token backend runs commands only on Windows (this is ${process.platform}); it can plan a dry run here`);
      if (request.stdio === 'pipe') throw new CommandLineError("stdio 'pipe' is not supported by the Windows backend yet; use 'inherit' or 'ignore'");
      const plan = planFor(request, true);
      plan.warnings.forEach(options.onWarning);
      return runWindowsPlan(plan, { stdio: request.stdio ?? 'inherit', codexHome: options.codexHome });
    },
    dispose() {},
  };
}

/** A policy that restricts nothing: the command itself, as the other backends do (process-launch). */
async function runDirectly(request: BackendRequest): Promise<{ exitCode: number }> {
  const exitCode = await runDirect({
    command: request.command,
    cwd: request.cwd,
    env: request.env,
    stdio: request.stdio ?? 'inherit',
    ...(request.onSpawn !== undefined ? { onSpawn: request.onSpawn } : {}),
  });
  return { exitCode };
}
