// Owns the decisions of a domain-filtered run (issue 11): whether the selected profile's
// `[network]` table asks for the managed proxy, the policy compiled from it, the 127.0.0.1 ports
// the command reaches the proxy on inside its network namespace, the proxy variables it gets
// (N2), and the routes (each in-namespace port bridged to one of the proxy's Unix sockets). Pure:
// must NOT start the proxy, open sockets or read files (managed-proxy-runtime.ts does the OS side).
import {
  applyManagedProxyEnv,
  compileNetworkPolicy,
  describeNetworkPolicy,
  managedProxyEnv,
  planProxyRoutes,
  ProxyRouteError,
  type ManagedProxyEnvOptions,
  type NetworkPolicy,
} from '@codex-sandbox/proxy-bridge';
import type { EnvironmentAddition } from '@codex-sandbox/policy';

/** Where the command reaches the proxy inside its namespace unless the profile says (`proxy_url`, `socks_url`). */
const DEFAULT_HTTP_PORT = 3128;
const DEFAULT_SOCKS_PORT = 8081;

export interface ManagedNetworkPlan {
  policy: NetworkPolicy;
  /** In-namespace 127.0.0.1 port of the HTTP proxy listener. */
  httpPort: number;
  /** In-namespace port of the SOCKS5 listener; absent with `enable_socks5 = false`. */
  socksPort: number | undefined;
}

/** The proxy's host-side sockets, once it runs. */
export interface ProxySockets {
  http: string;
  socks: string | undefined;
}

export interface ManagedRoute {
  listenPort: number;
  socketPath: string;
  kind: 'HTTP' | 'SOCKS5';
}

/**
 * Pure: the managed-network plan when the network is on and the table has anything besides
 * `enabled`; undefined for plain on/off. Throws NetworkPolicyError (naming the key) for a table
 * the proxy cannot enforce.
 */
export function planManagedNetwork(
  profileId: string,
  networkTable: Readonly<Record<string, unknown>> | undefined,
  network: 'enabled' | 'restricted',
): ManagedNetworkPlan | undefined {
  if (network !== 'enabled' || networkTable === undefined) return undefined;
  if (Object.keys(networkTable).every((key) => key === 'enabled')) return undefined;
  const key = profileId.startsWith(':') ? 'network' : `permissions.${profileId}.network`;
  const policy = compileNetworkPolicy(networkTable, { key });
  const httpPort = policy.httpListen?.port ?? DEFAULT_HTTP_PORT;
  let socksPort: number | undefined;
  if (policy.enableSocks5) {
    socksPort = policy.socksListen?.port ?? DEFAULT_SOCKS_PORT;
    // Only possible with the defaults: an explicit clash is refused by compileNetworkPolicy.
    if (socksPort === httpPort) socksPort = httpPort === DEFAULT_SOCKS_PORT ? DEFAULT_SOCKS_PORT + 1 : DEFAULT_SOCKS_PORT;
  }
  return { policy, httpPort, socksPort };
}

function envOptions(plan: ManagedNetworkPlan): ManagedProxyEnvOptions {
  return {
    httpProxyUrl: `http://127.0.0.1:${plan.httpPort}`,
    socksProxyUrl: plan.socksPort === undefined ? undefined : `socks5h://127.0.0.1:${plan.socksPort}`,
    allowLocalBinding: plan.policy.allowLocalBinding,
  };
}

/** The proxy variables, as additions the dry run lists with a reason. */
export function proxyEnvAdditions(plan: ManagedNetworkPlan): EnvironmentAddition[] {
  return Object.entries(managedProxyEnv(envOptions(plan)))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => ({ name, value, reason: 'the managed network proxy' }));
}

/** The command's environment: inherited proxy variables (any spelling) replaced by ours. */
export function applyProxyEnv(plan: ManagedNetworkPlan, env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  return applyManagedProxyEnv(env, envOptions(plan));
}

/**
 * N8: the routes for the proxy variables of `commandEnv` (every one must name one of our
 * in-namespace listeners; anything else refuses the run rather than leave a variable pointing
 * nowhere, or somewhere the namespace cannot reach).
 */
export function routesFor(plan: ManagedNetworkPlan, commandEnv: Readonly<Record<string, string | undefined>>, sockets: ProxySockets): ManagedRoute[] {
  const routing = planProxyRoutes(commandEnv);
  if (routing.skipped.length > 0) {
    const first = routing.skipped[0];
    throw new ProxyRouteError(`proxy variable ${first?.envKey ?? ''} cannot be routed into the sandbox: ${first?.reason ?? ''}`, first?.envKey);
  }
  return routing.endpoints.map((endpoint) => {
    if (endpoint.host === '127.0.0.1' && endpoint.port === plan.httpPort) return { listenPort: endpoint.port, socketPath: sockets.http, kind: 'HTTP' };
    if (endpoint.host === '127.0.0.1' && endpoint.port === plan.socksPort && sockets.socks !== undefined) {
      return { listenPort: endpoint.port, socketPath: sockets.socks, kind: 'SOCKS5' };
    }
    throw new ProxyRouteError(`proxy endpoint ${endpoint.host}:${endpoint.port} is not one of the managed proxy's listeners; refusing to run`);
  });
}

/** Dry-run rows: the network mode line, the policy table and the routes. */
export function describeManagedNetwork(plan: ManagedNetworkPlan): { network: string[]; proxy: string[]; routes: string[] } {
  // The policy's own rows (proxy-bridge's describeNetworkPolicy), as a two-column table.
  const rows = describeNetworkPolicy(plan.policy).map((row) => [row.setting, row.value] as const);
  const width = Math.max(...rows.map(([k]) => k.length));
  const routes = [`127.0.0.1:${plan.httpPort} -> managed HTTP proxy (private Unix socket, made at run time)`];
  if (plan.socksPort !== undefined) routes.push(`127.0.0.1:${plan.socksPort} -> managed SOCKS5 proxy (private Unix socket, made at run time)`);
  return {
    network: ['proxy-only (managed proxy: private network namespace, the routes below are the only way out)'],
    proxy: rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`),
    routes,
  };
}
