// Owns the seam between the cli package and @codex-sandbox/linux-bwrap: one backend object per
// sandbox, created lazily, that plans and runs commands and forwards the backend's warnings as soon
// as they are known (before the command starts).
// Must NOT build bwrap arguments or choose launchers itself (linux-bwrap does).
import { BundledBwrapError } from '@codex-sandbox/bundled-bwrap';
import { createLinuxSandbox, LinuxSandboxError, type SandboxPlan as BackendPlan, type UnixSocketPlan } from '@codex-sandbox/linux-bwrap';
import type { BackendRequest, PlannedLaunch, SandboxBackend } from './backend.js';
import { registerUserFacingErrors } from './report-error.js';

registerUserFacingErrors(LinuxSandboxError, BundledBwrapError);

/** The Linux backend is one SandboxBackend (backend.ts owns the shape every backend shares). */
export type LinuxBackend = SandboxBackend;
export type { BackendRequest, PlannedLaunch };

export interface OpenLinuxBackendOptions {
  env: Record<string, string | undefined>;
  frontEndPath: string;
  onWarning: (message: string) => void;
  /** The front end's own state (CODEX_HOME, config files): read-only inside every sandbox. */
  protectedPaths: readonly string[];
  /** `landlock`: features.use_legacy_landlock (LL1). Default `bwrap`. */
  backend?: 'bwrap' | 'landlock';
}

function describePlan(plan: BackendPlan): string {
  if (plan.mode === 'direct') return 'none: the policy restricts nothing, the command runs directly';
  if (plan.mode === 'landlock') {
    return `Linux: legacy Landlock (ABI ${plan.landlock?.abi ?? '?'}), no namespaces, seccomp filter "${plan.seccompMode}" + no terminal injection`;
  }
  const launcher = plan.launcher === undefined ? 'bubblewrap' : `${plan.launcher.kind} bubblewrap ${plan.launcher.path}`;
  const seccomp = plan.seccompMode === 'none' ? 'no seccomp filter' : `seccomp filter "${plan.seccompMode}"`;
  return `Linux: ${launcher}, ${seccomp}, ${plan.mountProc ? 'fresh /proc' : 'no fresh /proc'}${masksPart(plan)}`;
}

/** G11: which stage makes the deny masks (said whenever there are any). */
function masksPart(plan: BackendPlan): string {
  const masks = plan.masks;
  if (masks === undefined || masks.count === 0) return '';
  return masks.stage === 'codex-mask-helper' ? `, ${masks.helperMasks} deny masks made by codex-mask-helper` : `, deny masks made by bubblewrap`;
}

/** G11: the dry run's word on the deny masks: which stage makes them, and why. */
function maskSections(plan: BackendPlan): Array<{ title: string; rows: string[] }> {
  const masks = plan.masks;
  if (masks === undefined || masks.count === 0) return [];
  return [{ title: 'masks', rows: [masks.stage === 'bubblewrap' ? `made by bubblewrap: ${masks.reason}` : masks.reason] }];
}

/** LL6: no namespace here, so the row says what does keep the command off the network. */
function landlockNetworkRow(plan: BackendPlan): string {
  if (plan.seccompMode === 'base') return 'enabled (host network: Landlock runs share the host network namespace)';
  const tcp = (plan.landlock?.handledNet.length ?? 0) > 0 ? '; Landlock refuses TCP bind and connect' : '';
  return `restricted (no network: the host network namespace, with seccomp refusing new sockets${tcp})`;
}

/** LL6: the ruleset the helper applies, one row per rule, for the dry run. */
function landlockSections(plan: BackendPlan): Array<{ title: string; rows: string[] }> {
  const landlock = plan.landlock;
  if (landlock === undefined) return [];
  const rows = [`ABI ${landlock.abi}; everything below is denied unless a rule grants it`];
  for (const rule of landlock.rules) {
    const rights = rule.access.length === landlock.handledFs.length ? 'every handled right' : rule.access.join(', ');
    rows.push(`${rule.role.padEnd(6)} ${rule.path} (${rights})`);
  }
  rows.push(`handled: ${landlock.handledFs.join(', ')}`);
  rows.push(landlock.handledNet.length === 0 ? 'network: no TCP rules (seccomp decides)' : `network: ${landlock.handledNet.join(', ')} denied everywhere`);
  rows.push(landlock.scopes.length === 0 ? 'scopes: none (this ABI has none)' : `scopes: ${landlock.scopes.join(', ')} (only within the sandbox)`);
  return [{ title: 'landlock', rows }];
}

function unixSocketsJson(plan: UnixSocketPlan): NonNullable<PlannedLaunch['unixSockets']> {
  if (plan.kind === 'allowlist') return { mode: 'allowlist', allowed: plan.sockets.flatMap((s) => s.names), hidden: [] };
  if (plan.kind === 'all') return { mode: 'all', allowed: [], hidden: [...plan.hiddenDirectories] };
  return { mode: 'none', allowed: [], hidden: [] };
}

/** The linux-bwrap request for a backend request: the same run, in linux-bwrap's terms. */
export function linuxRunRequest(request: BackendRequest) {
  return {
    policy: request.policy,
    command: request.command,
    commandCwd: request.cwd,
    env: request.env,
    stdio: request.stdio ?? 'inherit',
    ...(request.onSpawn !== undefined ? { onSpawn: request.onSpawn } : {}),
    ...(request.mountProc !== undefined ? { mountProc: request.mountProc } : {}),
    ...(request.network !== undefined ? { network: request.network } : {}),
    ...(request.proxyRoutes !== undefined
      ? { proxyRoutes: request.proxyRoutes.map((r) => ({ listenPort: r.listenPort, socketPath: r.socketPath, ...(r.heldOpen === true ? { heldOpen: true } : {}) })) }
      : {}),
    ...(request.unixSockets !== undefined ? { unixSockets: request.unixSockets } : {}),
  } as const;
}

export function openLinuxBackend(options: OpenLinuxBackendOptions): LinuxBackend {
  // Warnings arrive through the callback before bwrap starts, so they precede the command's output.
  const sandbox = createLinuxSandbox({
    env: options.env,
    frontEndPath: options.frontEndPath,
    onWarning: options.onWarning,
    protectedPaths: options.protectedPaths,
    ...(options.backend === undefined ? {} : { backend: options.backend }),
  });
  const toRequest = linuxRunRequest;
  return {
    tunnelRelayFile: () => sandbox.proxyRelayFile(),
    async plan(request) {
      const planned = await sandbox.plan(toRequest(request));
      return {
        argv: planned.argv,
        description: describePlan(planned),
        denyGlobMatches: planned.denyGlobMatches,
        placeholders: planned.syntheticTargets.map((target) => target.path),
        sections: [...landlockSections(planned), ...maskSections(planned), ...(planned.unixSockets === undefined ? [] : [{ title: 'unix', rows: planned.unixSockets.rows }])],
        ...(planned.mode === 'landlock' ? { network: landlockNetworkRow(planned) } : {}),
        ...(planned.unixSockets === undefined ? {} : { unixSockets: unixSocketsJson(planned.unixSockets.plan) }),
      };
    },
    async run(request) {
      const result = await sandbox.run(toRequest(request));
      return { exitCode: result.exitCode };
    },
    dispose: () => sandbox.dispose(),
  };
}
