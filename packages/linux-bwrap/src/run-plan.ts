// Owns the plan of one sandboxed run, from the request and the host facts: the deny-glob matches
// (scanned on the host now), the bwrap argv with its descriptor numbers, the seccomp program, the
// proxy-only and mask helpers' specs, what the front end binds read-only, and whether the program exists and
// is visible in the sandbox's view. Decisions are pure but for reading filesystem metadata (the
// argv depends on what exists). Must NOT spawn, open descriptors or create files (run-launch.ts
// does), and must NOT probe the host (host-facts.ts did).

import * as fs from 'node:fs';
import * as path from 'node:path';

import { encodeMaskHelperSpec, encodeNetnsHelperSpec, lookUpCommand, type CommandLookupFailure } from '@codex-sandbox/policy';

import { buildBwrapArgs, type BwrapNetworkMode } from './bwrap-args.js';
import { expandDenyGlobs } from './deny-globs.js';
import { assignDataDescriptors, FIRST_DATA_FD, SECCOMP_FD, STATUS_FD } from './descriptors.js';
import type { RunHostFacts } from './host-facts.js';
import type { LandlockPlan } from './landlock-plan.js';
import type { LauncherChoice } from './launcher.js';
import { DIR_TEMPLATE_IN_SANDBOX, FILE_TEMPLATE_IN_SANDBOX, MASK_HELPER_MIN_MASKS, type MaskHelperAvailability, type MaskStagePlan } from './mask-stage.js';
import { checkProxyRoutes, NETNS_DIR_IN_SANDBOX, type ProxyRoute } from './proxy-only-args.js';
import { NETNS_HELPER_FD, NETNS_SPEC_FD, PROXY_ONLY_FIRST_DATA_FD } from './proxy-only-run.js';
import type { PlaceholderTarget } from './registry.js';
import type { SandboxRunRequest } from './run-request.js';
import { SandboxRequestError } from './runtime-errors.js';
import { buildSeccompProgram, type SeccompMode } from './seccomp.js';
import { describeUnixSocketPlan, planUnixSockets, unixSocketFilter, type UnixSocketPlan } from './unix-socket-plan.js';
import { commandVisibility, visibilityRules } from './visibility.js';

export interface SandboxPlan {
  /**
   * `bwrap`: run argv under bubblewrap; `landlock`: the legacy Landlock backend (argv is the helper
   * that confines itself, then becomes the command); `direct`: the policy restricts nothing, argv
   * is the command.
   */
  mode: 'bwrap' | 'landlock' | 'direct';
  /**
   * The complete command line, program first. For bwrap runs the descriptor numbers (3 seccomp,
   * 4 status, 5.. empty data) are those a real run passes; a bundled bwrap is shown by its path.
   */
  argv: string[];
  launcher?: { kind: LauncherChoice['kind']; path: string };
  seccompMode: 'none' | SeccompMode;
  mountProc: boolean;
  syntheticTargets: PlaceholderTarget[];
  warnings: string[];
  /**
   * What the deny globs mask in this run: the real locations the scan found (each masked with
   * its subtree). Anything else a pattern matches (created later, deeper than the scan depth,
   * reached only through a symlinked directory, another hard link) stays readable.
   */
  denyGlobMatches: string[];
  /** proxy-only: the routes, host socket and in-sandbox socket of each. */
  proxyRoutes?: Array<ProxyRoute & { socketInSandbox: string }>;
  /** proxy-only: what the command may do with Unix sockets (N13, N15-N17), and the dry run's rows for it. */
  unixSockets?: { plan: UnixSocketPlan; rows: string[] };
  /** `landlock` runs: the ABI and the ruleset the helper applies. */
  landlock?: LandlockPlan;
  /** bwrap runs (G11): which stage makes the deny masks, how many the helper makes, and why. */
  masks?: Pick<MaskStagePlan, 'stage' | 'count' | 'helperMasks' | 'reason'>;
}

/** A planned bwrap run: what the launch needs besides the plan it shows. */
export interface PreparedRun {
  plan: SandboxPlan;
  launcher: LauncherChoice;
  /** bwrap arguments (program excluded) with the status fd and per-use data descriptors filled in. */
  args: string[];
  dataDescriptorCount: number;
  seccompProgram: Buffer | undefined;
  /** Concrete paths the deny globs matched (canonical). */
  denyGlobMatches: string[];
  /** proxy-only: the encoded NetnsHelperSpec (routes + the command's seccomp program) and the host sockets. */
  proxyOnly?: { spec: Uint8Array; hostSockets: string[] };
  /** G11: the encoded MaskHelperSpec, when codex-mask-helper makes the masks. */
  maskHelper?: { spec: Uint8Array };
}

/** What the sandbox object adds to every plan. */
export interface PlanContext {
  /** Bound read-only in every sandbox: the state directory (or registry) and the front end's files. */
  extraReadOnlyBinds: readonly string[];
  protectedPaths: readonly string[];
  /** G11: whether codex-mask-helper can make the masks (asked only when they may be many). */
  maskHelper?: MaskHelperAvailability;
}

/**
 * G11: at most this many masks can come from a run with these deny paths (each deny path is at
 * most one mask): below the helper's threshold nobody need ask whether the helper is usable.
 */
export function mayNeedMaskHelper(req: Pick<SandboxRunRequest, 'policy'>, denyGlobMatches: readonly string[]): boolean {
  return req.policy.unreadableRoots.length + denyGlobMatches.length >= MASK_HELPER_MIN_MASKS;
}

/** The plan of a run under a policy that restricts nothing: the command itself. */
export function directPlan(req: Pick<SandboxRunRequest, 'command'>): SandboxPlan {
  return { mode: 'direct', argv: [...req.command], seccompMode: 'none', mountProc: false, syntheticTargets: [], warnings: [], denyGlobMatches: [] };
}

/**
 * Deny-glob matches on the host now, by the in-process walker (G4): it lists only the directories a
 * glob can reach and needs no executable from PATH; ripgrep + find list every entry and took about
 * twice as long on a 100,000-file workspace (bench/README.md).
 */
export async function scanDenyGlobs(req: Pick<SandboxRunRequest, 'policy'>): Promise<string[]> {
  if (req.policy.unreadableGlobs.length === 0) return [];
  return expandDenyGlobs(req.policy.unreadableGlobs, { maxDepth: req.policy.globScanMaxDepth, rgPath: null });
}

/** The bwrap run: argv, descriptors to fill, seccomp program and proxy-only spec. */
export function planBwrapRun(
  req: SandboxRunRequest,
  network: BwrapNetworkMode,
  facts: RunHostFacts,
  denyGlobMatches: string[],
  context: PlanContext,
): PreparedRun {
  const { launcher } = facts;
  const proxyRoutes = network === 'proxy-only' ? checkProxyRoutes(req.proxyRoutes) : undefined;
  if (proxyRoutes === undefined && req.proxyRoutes !== undefined) {
    throw new SandboxRequestError(`proxyRoutes were given for ${network} network; they are used only with network: 'proxy-only'`);
  }
  if (proxyRoutes === undefined && req.unixSockets !== undefined) {
    throw new SandboxRequestError(`unixSockets were given for ${network} network; Unix-socket rules are enforced only with network: 'proxy-only'`);
  }
  const unixSockets = proxyRoutes === undefined ? undefined : planUnixSockets(req.unixSockets, NETNS_DIR_IN_SANDBOX);
  // Descriptors: seccomp, status, [netns helper, its spec], [mask helper, its spec], empty data.
  const afterProxy = proxyRoutes === undefined ? FIRST_DATA_FD : PROXY_ONLY_FIRST_DATA_FD;
  const maskFds = { helperFd: afterProxy, specFd: afterProxy + 1 };
  // Written for every empty-data use, renumbered below once it is known whether the mask helper's two come first.
  const emptyDataToken = afterProxy + 2;
  const bwrapPlan = buildBwrapArgs(req.policy, {
    commandCwd: req.commandCwd,
    command: req.command,
    network,
    mountProc: facts.mountProc,
    emptyDataFd: emptyDataToken,
    seccompFd: SECCOMP_FD,
    ...(proxyRoutes === undefined ? {} : { proxyOnly: { routes: proxyRoutes, helperFd: NETNS_HELPER_FD, specFd: NETNS_SPEC_FD, ...(unixSockets === undefined ? {} : { unixSockets }) } }),
    ...(context.maskHelper === undefined ? {} : { maskHelper: { availability: context.maskHelper, ...maskFds } }),
    extraReadOnlyBinds: context.extraReadOnlyBinds,
    protectedPaths: context.protectedPaths,
    denyGlobMatches,
  });
  const masks = bwrapPlan.masks;
  const byHelper = masks.stage === 'codex-mask-helper';
  const withData = assignDataDescriptors(bwrapPlan.args, emptyDataToken, byHelper ? afterProxy + 2 : afterProxy);
  const args = ['--json-status-fd', String(STATUS_FD), ...withData.args];
  const filter = unixSockets === undefined ? undefined : unixSocketFilter(unixSockets);
  const program = bwrapPlan.seccompMode === 'none' ? undefined : buildSeccompProgram(bwrapPlan.seccompMode, process.arch, filter === undefined ? {} : { unixSockets: filter });
  // proxy-only: the helper gets the program in its spec and installs it on the command only.
  const seccompProgram = proxyRoutes === undefined ? program : undefined;
  let proxyOnly: PreparedRun['proxyOnly'];
  if (proxyRoutes !== undefined) {
    if (program === undefined) throw new SandboxRequestError('proxy-only network always needs the proxy-routed seccomp program');
    const supervision =
      unixSockets?.kind === 'allowlist'
        ? { connectSupervision: { unixSockets: unixSockets.sockets.map((s) => ({ names: s.names, socketPath: s.socketInSandbox })) } }
        : {};
    proxyOnly = {
      spec: encodeNetnsHelperSpec({ routes: bwrapPlan.proxyRoutes ?? [], seccompProgram: program, ...supervision }),
      hostSockets: proxyRoutes.map((r) => r.socketPath),
    };
  }
  const maskHelper = byHelper
    ? {
        spec: encodeMaskHelperSpec({
          fileTemplate: FILE_TEMPLATE_IN_SANDBOX,
          dirTemplate: DIR_TEMPLATE_IN_SANDBOX,
          fileMasks: masks.fileMasks,
          dirMasks: masks.dirMasks,
          // The netns helper, the next stage, reads its spec from here.
          keepFds: proxyRoutes === undefined ? [] : [NETNS_SPEC_FD],
        }),
      }
    : undefined;
  const plan: SandboxPlan = {
    mode: 'bwrap',
    // The binary's path, also for a bundled one (executed through /proc/self/fd/N at run time).
    argv: [launcher.path, ...args],
    launcher: { kind: launcher.kind, path: launcher.path },
    seccompMode: bwrapPlan.seccompMode,
    mountProc: facts.mountProc,
    syntheticTargets: bwrapPlan.syntheticTargets.map((t) => ({ path: t.path, kind: t.kind, preexisting: t.preexisting })),
    warnings: facts.warnings,
    denyGlobMatches,
    masks: { stage: masks.stage, count: masks.count, helperMasks: masks.helperMasks, reason: masks.reason },
    ...(proxyRoutes === undefined
      ? {}
      : { proxyRoutes: proxyRoutes.map((r, i) => ({ ...r, socketInSandbox: bwrapPlan.proxyRoutes?.[i]?.socketPath ?? '' })) }),
    ...(unixSockets === undefined ? {} : { unixSockets: { plan: unixSockets, rows: describeUnixSocketPlan(unixSockets) } }),
  };
  return {
    plan,
    launcher,
    args,
    dataDescriptorCount: withData.count,
    seccompProgram,
    denyGlobMatches,
    ...(proxyOnly === undefined ? {} : { proxyOnly }),
    ...(maskHelper === undefined ? {} : { maskHelper }),
  };
}

/**
 * The front end's own program, its bundled resources and the Node that runs it, canonical, when
 * they exist: bound read-only wherever the command could write them (a workspace holding
 * node_modules/.bin/codex), so a command cannot rewrite what the next run executes on the host.
 */
export function frontEndFiles(frontEndPath: string | undefined): string[] {
  const frontEnd = frontEndPath ?? process.argv[1];
  const candidates = [process.execPath];
  if (frontEnd !== undefined && path.isAbsolute(frontEnd)) candidates.push(frontEnd, path.join(path.dirname(frontEnd), 'codex-resources'));
  const out: string[] = [];
  for (const candidate of candidates) {
    try {
      out.push(fs.realpathSync.native(candidate));
    } catch {
      // Not there (no bundled resources): nothing to protect.
    }
  }
  return [...new Set(out)];
}

function lookupOptions(req: Pick<SandboxRunRequest, 'env' | 'commandCwd'>): { searchPath: string | undefined; cwd: string } {
  return { searchPath: req.env['PATH'], cwd: req.commandCwd };
}

/**
 * Before anything is planned: a program that is not on the host cannot be in the sandbox. Under a
 * restricted policy the lookup in the sandbox's view decides the rest (a hidden candidate counts as
 * none), so only there a host candidate that is not executable is left for later.
 */
export function hostCommandFailure(req: Pick<SandboxRunRequest, 'command' | 'env' | 'commandCwd' | 'policy'>): CommandLookupFailure | undefined {
  const program = req.command[0];
  if (program === undefined) return undefined;
  const onHost = lookUpCommand(program, lookupOptions(req));
  if (onHost.kind === 'not-found' || (req.policy.kind !== 'restricted' && onHost.kind === 'not-executable')) return onHost;
  return undefined;
}

/**
 * After planning, restricted policies only: the lookup with the sandbox's view (deny-glob matches
 * included), decided from the policy before bwrap runs (else bwrap's own execvp error and exit 1).
 */
export function sandboxCommandFailure(
  req: Pick<SandboxRunRequest, 'command' | 'env' | 'commandCwd' | 'policy'>,
  denyGlobMatches: readonly string[],
): CommandLookupFailure | undefined {
  const program = req.command[0];
  if (program === undefined || req.policy.kind !== 'restricted') return undefined;
  const visibility = commandVisibility(visibilityRules(req.policy, denyGlobMatches));
  const lookup = lookUpCommand(program, { ...lookupOptions(req), visible: visibility.visible });
  if (lookup.kind === 'found') return undefined;
  return lookup.kind === 'hidden' ? { ...lookup, rule: visibility.rule(lookup.path) } : lookup;
}
