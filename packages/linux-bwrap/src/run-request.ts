// Owns what a caller asks of one run and the first decisions on it: the request and result shapes,
// refusing a request that names no command or a relative cwd, the network mode it resolves to, and
// whether the policy restricts anything this backend enforces (else the command runs directly).
// Pure. Must NOT look at the host (host-facts.ts), plan mounts (run-plan.ts) or spawn (run-launch.ts).

import type { ChildProcess } from 'node:child_process';
import * as path from 'node:path';

import type { ResolvedSandboxPolicy } from '@codex-sandbox/policy';

import type { BwrapNetworkMode } from './bwrap-args.js';
import type { StdioSlot } from '@codex-sandbox/process-launch';
import type { LauncherChoice } from './launcher.js';
import type { ProxyRoute } from './proxy-only-args.js';
import { SandboxRequestError } from './runtime-errors.js';
import type { UnixSocketRequest } from './unix-socket-plan.js';

export interface SandboxRunRequest {
  policy: ResolvedSandboxPolicy;
  /** argv of the command; argv[0] is looked up on the command's PATH inside the sandbox. */
  command: string[];
  /** Absolute directory the command starts in. */
  commandCwd: string;
  /** The command's complete environment (undefined values are dropped). */
  env: Record<string, string | undefined>;
  /** Default: `full` when the policy enables network, else `isolated`. */
  network?: BwrapNetworkMode;
  /** Use this launcher instead of choosing one (tests, or a caller that chose already). */
  bwrap?: LauncherChoice;
  /** Default `inherit`. */
  stdio?: 'inherit' | 'ignore' | 'pipe' | [StdioSlot, StdioSlot, StdioSlot];
  /** Called once the process is spawned (to use piped streams). */
  onSpawn?: (child: ChildProcess) => void;
  /**
   * `false`: never mount a fresh /proc; the sandbox's /proc is an empty tmpfs (and no /proc
   * preflight runs). Default: a fresh /proc unless the host refuses it.
   */
  mountProc?: boolean;
  /**
   * Required with `network: 'proxy-only'` (refused otherwise): the only ways out of the command's
   * network namespace, each a 127.0.0.1 port bridged to a host Unix socket (the managed proxy's).
   */
  proxyRoutes?: readonly ProxyRoute[];
  /**
   * `proxy-only` only (refused otherwise): the host Unix sockets the command may connect to
   * (N16), or all of them (N17). Absent: none, not even the routes' (N13).
   */
  unixSockets?: UnixSocketRequest;
}

export interface SandboxRunResult {
  /** The command's exit status; 128+N when it was killed by signal N. */
  exitCode: number;
  warnings: string[];
}

export function requestNetwork(req: Pick<SandboxRunRequest, 'network' | 'policy'>): BwrapNetworkMode {
  return req.network ?? (req.policy.network === 'enabled' ? 'full' : 'isolated');
}

/** The policy restricts nothing this backend enforces, so the command runs as is. */
export function runsUnsandboxed(policy: ResolvedSandboxPolicy, network: BwrapNetworkMode): boolean {
  if (network === 'proxy-only') return false;
  if (!policy.needsSandbox) return true;
  return (
    network === 'full' &&
    (policy.kind !== 'restricted' || policy.fullDiskWrite) &&
    policy.unreadableRoots.length === 0 &&
    policy.unreadableGlobs.length === 0
  );
}

export function validateRequest(req: Pick<SandboxRunRequest, 'command' | 'commandCwd'>): void {
  if (req.command.length === 0 || req.command[0] === '') {
    throw new SandboxRequestError('no command to run: give the command and its arguments after the options');
  }
  if (!path.isAbsolute(req.commandCwd)) {
    throw new SandboxRequestError(`command cwd ${req.commandCwd} is relative; pass an absolute directory`);
  }
}
