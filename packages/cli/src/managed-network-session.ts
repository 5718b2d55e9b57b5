// Owns one sandbox object's managed network (loaded only for profiles that ask for it, see
// managed-network-gate.ts): the compiled plan, the proxy runtime (one proxy for the object,
// reused by its runs), and what a plan, a dry run and a run need from them. Must NOT decide
// policy (managed-network.ts) or talk to bwrap.
import { ProxyBridgeError, ProxyStartError, type BlockedRequestEvent, type Resolver } from '@codex-sandbox/proxy-bridge';
import * as os from 'node:os';
import * as path from 'node:path';
import type { EnvironmentAddition } from '@codex-sandbox/policy';

import { applyProxyEnv, describeManagedNetwork, planManagedNetwork, proxyEnvAdditions, routesFor, type ManagedNetworkPlan, type ManagedRoute } from './managed-network.js';
import { managedProxyRuntime, type ManagedProxyRuntime } from './managed-proxy-runtime.js';
import { registerUserFacingErrors } from './report-error.js';

registerUserFacingErrors(ProxyBridgeError);

export interface ManagedNetworkSession {
  readonly plan: ManagedNetworkPlan;
  additions(): EnvironmentAddition[];
  applyEnv(env: Readonly<Record<string, string | undefined>>): Record<string, string>;
  /** The routes a run would use, with the socket paths the proxy will get (it is not started). */
  plannedRoutes(commandEnv: Readonly<Record<string, string | undefined>>): ManagedRoute[];
  /** Starts the proxy if needed; the routes to its sockets. */
  runRoutes(commandEnv: Readonly<Record<string, string | undefined>>): Promise<ManagedRoute[]>;
  track<T>(fn: () => Promise<T>): Promise<{ value: T; blocked: BlockedRequestEvent[] }>;
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
  upstreamEnv: Readonly<Record<string, string | undefined>>;
  onBlocked?: ((event: BlockedRequestEvent) => void) | undefined;
  resolve?: Resolver | undefined;
  warn: (message: string) => void;
}

/** Undefined when the profile does not ask for the managed proxy. Throws NetworkPolicyError for a bad table. */
export function openManagedNetworkSession(options: ManagedNetworkSessionOptions): ManagedNetworkSession | undefined {
  const plan = planManagedNetwork(options.profileId, options.networkTable, options.network);
  if (plan === undefined) return undefined;
  plan.policy.warnings.forEach(options.warn);
  let runtime: ManagedProxyRuntime | undefined;
  let closed = false;
  const proxy = (): ManagedProxyRuntime => {
    if (closed) throw new ProxyStartError('this sandbox was closed: its managed network proxy cannot start again');
    return (runtime ??= managedProxyRuntime(plan, { upstreamEnv: options.upstreamEnv, onBlocked: options.onBlocked, resolve: options.resolve }));
  };
  const stop = async (): Promise<void> => {
    const running = runtime;
    runtime = undefined;
    await running?.close();
  };
  const plannedDir = path.join(os.tmpdir(), `codex-proxy-${process.pid}-XXXXXX`);
  return {
    plan,
    additions: () => proxyEnvAdditions(plan),
    applyEnv: (env) => applyProxyEnv(plan, env),
    plannedRoutes: (commandEnv) =>
      routesFor(plan, commandEnv, { http: path.join(plannedDir, 'http.sock'), socks: plan.socksPort === undefined ? undefined : path.join(plannedDir, 'socks.sock') }),
    runRoutes: async (commandEnv) => routesFor(plan, commandEnv, await proxy().sockets()),
    track: (fn) => proxy().track(fn),
    describe: () => describeManagedNetwork(plan),
    stop,
    close: async () => {
      closed = true;
      await stop();
    },
  };
}
