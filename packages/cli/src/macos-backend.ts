// Owns the seam between the cli package and @codex-sandbox/seatbelt: one backend object that plans
// (policy -> checked SBPL and the sandbox-exec argv) and runs commands on macOS, with the front
// end's own state (CODEX_HOME, config files) kept read-only like on Linux (H6). Loaded only when a
// macOS plan or run is asked for. Must NOT write SBPL (seatbelt does) and must NOT run anything
// unsandboxed unless the policy restricts nothing (C4).
import * as fs from 'node:fs';
import { canonicalSpelling, isWithin, type ResolvedSandboxPolicy } from '@codex-sandbox/policy';
import { runDirect } from '@codex-sandbox/process-launch';
import { formatDenials, planSeatbelt, runSeatbelt, SeatbeltError, type SeatbeltPlan } from '@codex-sandbox/seatbelt';
import type { BackendRequest, PlannedLaunch, SandboxBackend } from './backend.js';
import { CliError } from './errors.js';
import { registerUserFacingErrors } from './report-error.js';

registerUserFacingErrors(SeatbeltError);

export interface OpenMacosBackendOptions {
  /** The front end's own state (CODEX_HOME, config files): read-only inside every sandbox. */
  protectedPaths: readonly string[];
}

/** A symlink strictly inside a writable root on the way to `p`: the command could re-point it. */
function writableSymlinkOn(p: string, roots: readonly string[]): string | undefined {
  const parts = p.split('/').filter((c) => c !== '');
  for (let i = 1; i <= parts.length; i += 1) {
    const prefix = `/${parts.slice(0, i).join('/')}`;
    if (!roots.some((root) => prefix !== root && isWithin(prefix, root))) continue;
    if (fs.lstatSync(prefix, { throwIfNoEntry: false })?.isSymbolicLink() === true) return prefix;
  }
  return undefined;
}

/**
 * H6 on macOS: the front end's state is a read-only carve-out of every writable root that holds it
 * (and, with full-disk write, of `/`). Refused as on Linux: state that is itself a writable root,
 * or that is reached through a symlink the command could re-point.
 */
export function withFrontEndStateReadOnly(policy: ResolvedSandboxPolicy, statePaths: readonly string[]): ResolvedSandboxPolicy {
  if (statePaths.length === 0 || !policy.needsSandbox) return policy;
  const roots = policy.fullDiskWrite ? ['/'] : policy.writableRoots.map((w) => w.root);
  for (const statePath of statePaths) {
    const crossed = writableSymlinkOn(statePath, roots);
    if (crossed !== undefined) throw new CliError(`cannot enforce sandbox read-only path ${statePath} because it crosses writable symlink ${crossed}`);
    const target = canonicalSpelling(statePath);
    if (roots.some((root) => root !== '/' && canonicalSpelling(root) === target)) {
      throw new CliError(
        `cannot keep ${target} read-only: the policy makes it a writable root, but it holds the sandbox's own configuration; remove that write grant (or run from another directory), or use another CODEX_HOME`,
      );
    }
  }
  if (policy.fullDiskWrite) {
    return { ...policy, fullDiskWrite: false, writableRoots: [{ root: '/', readOnlySubpaths: [...statePaths], protectedMetadataNames: [] }] };
  }
  return {
    ...policy,
    writableRoots: policy.writableRoots.map((w) => ({
      ...w,
      readOnlySubpaths: [...new Set([...w.readOnlySubpaths, ...statePaths.filter((p) => isWithin(p, w.root))])],
    })),
  };
}

function refuseManagedProxy(request: BackendRequest): void {
  // The generator's proxy-only section is ready, but nothing starts the managed proxy on loopback
  // ports for macOS yet: refuse rather than run with a network the profile does not allow.
  if (request.network === 'proxy-only') {
    throw new CliError('the managed network proxy is not available with the macOS Seatbelt backend in this build; refusing to run (the profile asks for filtered network)');
  }
}

export function openMacosBackend(options: OpenMacosBackendOptions): SandboxBackend {
  const planFor = (request: BackendRequest): SeatbeltPlan => {
    refuseManagedProxy(request);
    const policy = withFrontEndStateReadOnly(request.policy, options.protectedPaths);
    return planSeatbelt(policy, request.command, { ...(request.unixSocketPaths !== undefined ? { unixSocketPaths: request.unixSocketPaths } : {}) });
  };
  return {
    async plan(request): Promise<PlannedLaunch> {
      if (!request.policy.needsSandbox) {
        return { argv: [...request.command], description: 'none: the policy restricts nothing, the command runs directly', denyGlobMatches: [], placeholders: [], sections: [] };
      }
      const plan = planFor(request);
      return {
        argv: plan.argv,
        description: 'macOS: /usr/bin/sandbox-exec with the generated Seatbelt policy below (structurally checked)',
        denyGlobMatches: [],
        placeholders: [],
        sections: [],
        seatbelt: { policy: plan.policy.text, params: plan.policy.params },
      };
    },
    async run(request) {
      if (!request.policy.needsSandbox) {
        return { exitCode: await runDirect({ command: request.command, cwd: request.cwd, env: request.env, stdio: request.stdio ?? 'inherit', ...(request.onSpawn !== undefined ? { onSpawn: request.onSpawn } : {}) }) };
      }
      const result = await runSeatbelt({
        plan: planFor(request),
        cwd: request.cwd,
        env: request.env,
        stdio: request.stdio ?? 'inherit',
        ...(request.onSpawn !== undefined ? { onSpawn: request.onSpawn } : {}),
        ...(request.logDenials === true ? { logDenials: true } : {}),
      });
      return { exitCode: result.exitCode, ...(result.denials !== undefined ? { denialReport: formatDenials(result.denials) } : {}) };
    },
    dispose() {},
  };
}
