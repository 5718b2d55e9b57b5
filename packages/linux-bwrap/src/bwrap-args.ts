// The complete bwrap argv for one sandboxed command (L11, L13): which top-level shape applies,
// namespaces, /proc, working directory, capability drop, which seccomp filter, then the command.
// bwrap runs the command directly, or through the inner stages: codex-mask-helper when it makes
// the deny masks (G11), codex-netns-helper for proxy-only; bwrap's own PID 1 reaps, and the filter
// is handed over with `--seccomp FD` (the netns helper installs it itself). Owns these decisions only; the filesystem part is
// filesystem-args.ts, and it must NOT spawn anything, open descriptors or create files.

import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ResolvedSandboxPolicy } from '@codex-sandbox/policy';
import { BwrapArgsError } from './errors.js';
import { buildFilesystemArgs } from './filesystem-args.js';
import { chooseMaskStage, maskStageArgs, withoutMasks, type MaskStageOptions, type MaskStagePlan } from './mask-stage.js';
import type { SyntheticTarget } from './mount-rules.js';
import type { SeccompMode } from './seccomp.js';
import { buildProxyOnlyArgs, type ProxyOnlyOptions, type ProxyRoute } from './proxy-only-args.js';
import { unixSocketHiddenPaths } from './unix-socket-plan.js';

/** `isolated`: no network; `proxy-only`: own namespace, reachable proxy bridge only; `full`: host network. */
export type BwrapNetworkMode = 'isolated' | 'full' | 'proxy-only';
const BWRAP_NETWORKS: readonly BwrapNetworkMode[] = ['isolated', 'full', 'proxy-only'];

export function isBwrapNetworkMode(value: string): value is BwrapNetworkMode {
  return (BWRAP_NETWORKS as readonly string[]).includes(value);
}

/** `none` only when the caller explicitly asked for no filter (`seccompFd: null`, probes). */
export type BwrapSeccompMode = 'none' | SeccompMode;

export interface BwrapOptions {
  /** The command's working directory (may be a symlink alias; `--chdir` gets its canonical form). */
  commandCwd: string;
  command: readonly string[];
  network: BwrapNetworkMode;
  /** Mount a fresh /proc; when false the host procfs is hidden behind an empty tmpfs. */
  mountProc: boolean;
  /**
   * Descriptor number of an open /dev/null, written for every `--ro-bind-data` and `--file`.
   * bubblewrap >= 0.9 closes such a descriptor after one use: the run's plan gives each occurrence
   * its own descriptor number (run-plan.ts) and the launch opens one for each (run-launch.ts).
   */
  emptyDataFd: number;
  /**
   * Descriptor bwrap reads the seccomp program from. Required for a sandboxed command; `null`
   * explicitly builds an argv without a filter (host probes such as the /proc preflight only).
   */
  seccompFd?: number | null;
  /** Paths bound read-only so the command cannot forge them (e.g. the placeholder registry). */
  extraReadOnlyBinds?: readonly string[];
  /**
   * Absolute host paths kept read-only whatever the policy grants: the front end's own state
   * (CODEX_HOME, the config files it reads). Existing ones inside a writable root are bound
   * read-only, missing ones there become read-only placeholders (the command cannot create them),
   * and their writable ancestors are pinned. A protected path that is itself a writable root, or
   * that crosses a symlink the command can write, is refused (BwrapArgsError).
   */
  protectedPaths?: readonly string[];
  /** Already-expanded deny-glob hits, masked like the policy's unreadable roots. */
  denyGlobMatches: readonly string[];
  /**
   * Required for `proxy-only` (refused otherwise): the routes and the descriptors of the inner
   * helper and its spec. bwrap then runs the helper, which installs the seccomp program on the
   * command itself, so `--seccomp` is not given to bwrap.
   */
  proxyOnly?: ProxyOnlyOptions;
  /**
   * G11: codex-mask-helper may make the deny masks (when there are enough of them and it is
   * usable here); absent: bubblewrap makes them all.
   */
  maskHelper?: MaskStageOptions;
}

export interface BwrapPlan {
  /** bwrap argv without the program name. */
  args: string[];
  /** Mount targets bwrap will create on the host, or existing empty placeholders it reuses. */
  syntheticTargets: SyntheticTarget[];
  seccompMode: BwrapSeccompMode;
  /** proxy-only: the routes as the helper sees them (socket paths inside the sandbox). */
  proxyRoutes?: ProxyRoute[];
  /** Which stage makes the deny masks, and the masks the helper makes. */
  masks: MaskStagePlan;
}

/** Which filter a sandboxed command gets for a network mode (every sandboxed command gets one). */
function seccompModeFor(network: BwrapNetworkMode): SeccompMode {
  switch (network) {
    case 'isolated':
      return 'restricted';
    case 'proxy-only':
      return 'proxy-routed';
    case 'full':
      return 'base';
    default:
      throw new BwrapArgsError(`unknown network mode ${String(network)}; allowed: ${BWRAP_NETWORKS.join(', ')}`);
  }
}

function checkDescriptor(value: number, what: string): void {
  if (!Number.isInteger(value) || value < 3) {
    throw new BwrapArgsError(`${what} ${value} is not usable; pass an inherited descriptor number of 3 or more`);
  }
}

export function buildBwrapArgs(policy: ResolvedSandboxPolicy, opts: BwrapOptions): BwrapPlan {
  if (opts.command.length === 0) throw new BwrapArgsError('no command to run; pass the command and its arguments');
  const network = opts.network;
  const seccompMode = seccompModeFor(network);
  if (network === 'full' && policy.network !== 'enabled') {
    throw new BwrapArgsError('the policy restricts network access but full network was requested; use isolated or proxy-only');
  }
  const fullDiskWrite = policy.kind !== 'restricted' || policy.fullDiskWrite;
  const hasDenies = policy.unreadableRoots.length > 0 || opts.denyGlobMatches.length > 0;
  if (fullDiskWrite && !hasDenies && network === 'full') {
    throw new BwrapArgsError('this policy restricts nothing bwrap enforces (full-disk write, full network): run the command without a sandbox');
  }
  if (opts.seccompFd === undefined) {
    throw new BwrapArgsError(`seccompFd is required: every sandboxed command gets the ${seccompMode} seccomp filter (pass null only for host probes)`);
  }
  if (opts.seccompFd !== null) checkDescriptor(opts.seccompFd, 'seccomp descriptor');
  checkDescriptor(opts.emptyDataFd, 'empty data descriptor');
  if (opts.seccompFd === opts.emptyDataFd) {
    throw new BwrapArgsError('the seccomp descriptor and the empty data descriptor must differ');
  }
  if (network === 'proxy-only' && opts.proxyOnly === undefined) {
    throw new BwrapArgsError('proxy-only network needs proxyOnly (the routes and the inner helper); without them nothing would be reachable');
  }
  if (network !== 'proxy-only' && opts.proxyOnly !== undefined) {
    throw new BwrapArgsError(`proxy routes were given for ${network} network; they are used only with proxy-only`);
  }
  const stageFds = [
    ...(opts.proxyOnly === undefined ? [] : [opts.proxyOnly.helperFd, opts.proxyOnly.specFd]),
    ...(opts.maskHelper === undefined ? [] : [opts.maskHelper.helperFd, opts.maskHelper.specFd]),
  ];
  stageFds.forEach((fd) => checkDescriptor(fd, 'helper descriptor'));
  if (stageFds.length > 0 && new Set([...stageFds, opts.emptyDataFd, opts.seccompFd]).size !== stageFds.length + 2) {
    throw new BwrapArgsError('the helpers\' descriptors, their specs\', the seccomp and the empty data descriptors must all differ');
  }

  let commandCwd: string;
  try {
    commandCwd = fs.realpathSync.native(path.resolve(opts.commandCwd));
  } catch (error) {
    throw new BwrapArgsError(`command working directory ${opts.commandCwd} cannot be resolved: ${(error as Error).message}`);
  }

  const filesystem = buildFilesystemArgs({
    fullDiskRead: fullDiskWrite || policy.fullDiskRead,
    fullDiskWrite,
    includePlatformDefaults: policy.includePlatformDefaults,
    readableRoots: policy.readableRoots,
    writableRoots: fullDiskWrite ? [] : policy.writableRoots,
    // N17: with every Unix socket allowed, the managed proxies' socket directories are masked.
    unreadablePaths: [...policy.unreadableRoots, ...opts.denyGlobMatches, ...unixSocketHiddenPaths(opts.proxyOnly?.unixSockets)],
    extraReadOnlyBinds: opts.extraReadOnlyBinds ?? [],
    protectedPaths: opts.protectedPaths ?? [],
    emptyDataFd: opts.emptyDataFd,
  });

  const stage = chooseMaskStage(filesystem.leafMasks, opts.maskHelper?.availability);
  const helperStage = stage.plan.stage === 'codex-mask-helper' ? opts.maskHelper : undefined;
  const args = ['--new-session', '--die-with-parent', ...(helperStage === undefined ? filesystem.args : withoutMasks(filesystem.args, stage.moved))];
  // Always explicit: bwrap skips its automatic user namespace when started as uid 0.
  // --disable-userns: the command cannot create user namespaces of its own (a nested namespace
  // gives it every capability there, the usual first step of a kernel exploit); the assert makes
  // bwrap refuse to start if that did not take.
  args.push('--unshare-user', '--disable-userns', '--assert-userns-disabled', '--unshare-pid', '--unshare-ipc');
  if (network !== 'full') args.push('--unshare-net');
  // Without a fresh /proc the inherited one would show host processes: hide it instead.
  if (opts.mountProc) args.push('--proc', '/proc');
  else args.push('--tmpfs', '/proc');
  args.push('--chdir', commandCwd, '--cap-drop', 'ALL');
  const shown = opts.seccompFd === null ? 'none' : seccompMode;
  // The proxy-only stage (when there is one) runs after the mask helper.
  const proxy = opts.proxyOnly === undefined ? undefined : buildProxyOnlyArgs(opts.command, opts.proxyOnly);
  const next = proxy?.command ?? opts.command;
  let command = [...next];
  const mounts = [...(proxy?.mounts ?? [])];
  if (helperStage !== undefined) {
    // G11: the helper starts with these two capabilities (in the innermost user namespace) and
    // drops every capability before it execs the next stage.
    const masks = maskStageArgs(helperStage, opts.emptyDataFd, next);
    args.push(...masks.caps);
    mounts.push(...masks.mounts);
    command = masks.command;
  }
  args.push(...mounts);
  // proxy-only: the netns helper installs the filter on the command only; bwrap's own would also
  // bind the bridge. Otherwise bwrap installs it before it execs the first stage (the mask helper
  // needs no call the filters refuse).
  if (proxy === undefined && opts.seccompFd !== null) args.push('--seccomp', String(opts.seccompFd));
  args.push('--', ...command);
  return {
    args,
    syntheticTargets: filesystem.syntheticTargets,
    seccompMode: shown,
    masks: stage.plan,
    ...(proxy === undefined ? {} : { proxyRoutes: proxy.sandboxRoutes }),
  };
}
