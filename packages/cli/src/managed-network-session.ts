// Owns one sandbox object's managed network (loaded only for profiles that ask for it, see
// network-proxy-feature.ts): the compiled plan, the proxy runtime (one proxy for the object,
// reused by its runs), and what a plan, a dry run and a run need from them. Must NOT decide
// policy (managed-network.ts) or talk to bwrap.
import { frontEndStateSubdir } from '@codex-sandbox/linux-bwrap';
import { ProxyBridgeError, ProxyStartError, type BlockedRequestEvent, type Resolver } from '@codex-sandbox/proxy-bridge';
import * as os from 'node:os';
import * as path from 'node:path';
import type { EnvironmentAddition } from '@codex-sandbox/policy';

import {
  applyProxyEnv,
  describeManagedNetwork,
  planManagedNetwork,
  proxyEnvAdditions,
  routesFor,
  unixSocketsForRun,
  type ManagedNetworkPlan,
  type ManagedRoute,
  type UnixSocketsForRun,
} from './managed-network.js';
import type { NetworkProxyFeature } from './network-proxy-feature.js';
import { managedProxyRuntime, type ManagedProxyRuntime } from './managed-proxy-runtime.js';
import { registerUserFacingErrors } from './report-error.js';

registerUserFacingErrors(ProxyBridgeError);

/** Room left in a 107-byte Unix socket path for `/codex-proxy-PID-XXXXXX/socks.sock`. */
const MAX_SOCKET_PARENT_BYTES = 107 - '/codex-proxy-4194304-XXXXXX/socks.sock'.length;

export interface ManagedNetworkSession {
  readonly plan: ManagedNetworkPlan;
  additions(): EnvironmentAddition[];
  applyEnv(env: Readonly<Record<string, string | undefined>>): Record<string, string>;
  /** The routes a run would use, with the socket paths the proxy will get (it is not started). */
  plannedRoutes(commandEnv: Readonly<Record<string, string | undefined>>): ManagedRoute[];
  /** Starts the proxy if needed; the routes to its sockets. */
  runRoutes(commandEnv: Readonly<Record<string, string | undefined>>): Promise<ManagedRoute[]>;
  track<T>(fn: () => Promise<T>): Promise<{ value: T; blocked: BlockedRequestEvent[]; failure?: string | undefined }>;
  /** The Unix-socket keys as the run enforces them (N15-N17). */
  unixSockets(): UnixSocketsForRun;
  describe(): ReturnType<typeof describeManagedNetwork>;
  /** Stops the running proxy (if any); a later run starts a new one. */
  stop(): Promise<void>;
  /** stop(), and no proxy ever again: later runs refuse. */
  close(): Promise<void>;
}

export interface ManagedNetworkSessionOptions {
  profileId: string;
  networkTable: Readonly<Record<string, unknown>> | undefined;
  network: 'enabled' | 'restricted';
  /** `features.network_proxy` (N18). */
  feature: NetworkProxyFeature;
  upstreamEnv: Readonly<Record<string, string | undefined>>;
  onBlocked?: ((event: BlockedRequestEvent) => void) | undefined;
  resolve?: Resolver | undefined;
  /** The verified native tunnel relay (Linux), asked for on the first tunnel. */
  tunnelRelay?: (() => string | Promise<string>) | undefined;
  warn: (message: string) => void;
}

/** Undefined when the profile does not ask for the managed proxy. Throws NetworkPolicyError for a bad table. */
export function openManagedNetworkSession(options: ManagedNetworkSessionOptions): ManagedNetworkSession | undefined {
  const plan = planManagedNetwork(options.profileId, options.networkTable, options.network, options.feature);
  if (plan === undefined) return undefined;
  plan.policy.warnings.forEach(options.warn);
  // The sockets live in the state directory, which every sandbox binds read-only: a sandboxed
  // command that can write TMPDIR must not be able to swap them before bwrap binds them (H1).
  // A path too long for a Unix socket falls back to the proxy's default place.
  const stateParent = frontEndStateSubdir(options.upstreamEnv, 'proxy');
  const socketParentDir = stateParent !== undefined && Buffer.byteLength(stateParent) <= MAX_SOCKET_PARENT_BYTES ? stateParent : undefined;
  let runtime: ManagedProxyRuntime | undefined;
  let closed = false;
  const proxy = (): ManagedProxyRuntime => {
    if (closed) throw new ProxyStartError('this sandbox was closed: its managed network proxy cannot start again');
    return (runtime ??= managedProxyRuntime(plan, { upstreamEnv: options.upstreamEnv, onBlocked: options.onBlocked, resolve: options.resolve, socketParentDir, tunnelRelay: options.tunnelRelay }));
  };
  const stop = async (): Promise<void> => {
    const running = runtime;
    runtime = undefined;
    await running?.close();
  };
  const plannedDir = path.join(socketParentDir ?? os.tmpdir(), `codex-proxy-${process.pid}-XXXXXX`);
  return {
    plan,
    additions: () => proxyEnvAdditions(plan),
    applyEnv: (env) => applyProxyEnv(plan, env),
    plannedRoutes: (commandEnv) =>
      routesFor(plan, commandEnv, { http: path.join(plannedDir, 'http.sock'), socks: plan.socksPort === undefined ? undefined : path.join(plannedDir, 'socks.sock') }),
    runRoutes: async (commandEnv) => routesFor(plan, commandEnv, await proxy().sockets()),
    track: (fn) => proxy().track(fn),
    unixSockets: () => unixSocketsForRun(plan, socketParentDir),
    describe: () => describeManagedNetwork(plan),
    stop,
    close: async () => {
      closed = true;
      await stop();
    },
  };
}
