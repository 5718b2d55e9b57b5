// Owns the decisions of a domain-filtered run (issue 11): whether the selected profile's
// `[network]` table asks for the managed proxy, the policy compiled from it, the 127.0.0.1 ports
// the command reaches the proxy on inside its network namespace, the proxy variables it gets
// (N2), and the routes (each in-namespace port bridged to one of the proxy's Unix sockets). Pure:
// must NOT start the proxy, open sockets or read files (managed-proxy-runtime.ts does the OS side).
import {
  applyManagedProxyEnv,
  compileNetworkPolicy,
  NetworkPolicyError,
  describeNetworkPolicy,
  managedProxyEnv,
  planProxyRoutes,
  ProxyRouteError,
  type ManagedProxyEnvOptions,
  type NetworkPolicy,
} from '@codex-sandbox/proxy-bridge';
import type { EnvironmentAddition } from '@codex-sandbox/policy';
import { asksForManagedNetwork, NETWORK_PROXY_KEY, type NetworkProxyFeature } from './network-proxy-feature.js';

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
  /** Always true: the session's proxy listens on the socket until the run ends (the helper need not probe it). */
  heldOpen: true;
}

type Table = Readonly<Record<string, unknown>>;

function isTable(value: unknown): value is Table {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

/** Boolean keys whose `true` gives the command more than `false` (N18: an overlay may only set them false). */
const WIDENING_WHEN_TRUE = ['allow_local_binding', 'dangerously_allow_all_unix_sockets', 'allow_upstream_proxy', 'enable_socks5'] as const;

function widens(key: string, why: string): never {
  throw new NetworkPolicyError(`\`${key}\` would give the command more than its profile allows (${why}); \`${NETWORK_PROXY_KEY}\` may only narrow the profile's network policy: put it in the profile instead`, key);
}

/**
 * N18: `[features.network_proxy]` over the profile's `[network]` table. The overlay is checked on
 * its own first (so a mistake is named by its own key), then may only narrow: deny entries are
 * added (replacing an allow entry for the same pattern), `mode = "limited"`, the widening booleans
 * set to false; listener addresses (`proxy_url`, `socks_url`) are replaced.
 */
export function overlayNetworkTable(profile: Table, overlay: Table): Table {
  if (Object.keys(overlay).length === 0) return profile;
  compileNetworkPolicy(overlay, { key: NETWORK_PROXY_KEY });
  const merged: Record<string, unknown> = { ...profile };
  for (const [key, value] of Object.entries(overlay)) {
    const name = `${NETWORK_PROXY_KEY}.${key}`;
    if (key === 'domains' || key === 'unix_sockets') {
      const entries = value as Table;
      for (const [entry, access] of Object.entries(entries)) {
        if (access !== 'deny') widens(`${name}.${JSON.stringify(entry)}`, 'an "allow" entry');
      }
      merged[key] = { ...(isTable(profile[key]) ? profile[key] : {}), ...entries };
    } else if (key === 'mode') {
      if (value === 'full' && profile['mode'] === 'limited') widens(name, 'the profile says "limited"');
      merged[key] = value === 'full' ? (profile['mode'] ?? 'full') : value;
    } else if ((WIDENING_WHEN_TRUE as readonly string[]).includes(key)) {
      // enable_socks5 defaults to true: only an explicit `false` in the profile makes `true` widen.
      const profileValue = profile[key] ?? (key === 'enable_socks5');
      if (value === true && profileValue !== true) widens(name, `the profile has it ${String(profileValue)}`);
      merged[key] = value;
    } else {
      merged[key] = value;
    }
  }
  return merged;
}

/**
 * Pure: the managed-network plan when the run goes through the managed proxy (network on, and a
 * policy key in the table or `features.network_proxy` on); undefined for plain on/off. Throws
 * NetworkPolicyError (naming the key) for a table the proxy cannot enforce.
 */
export function planManagedNetwork(
  profileId: string,
  networkTable: Readonly<Record<string, unknown>> | undefined,
  network: 'enabled' | 'restricted',
  feature: NetworkProxyFeature = { kind: 'default' },
): ManagedNetworkPlan | undefined {
  if (!asksForManagedNetwork(networkTable, network, feature, profileId)) return undefined;
  const key = profileId.startsWith(':') ? 'network' : `permissions.${profileId}.network`;
  const table = feature.kind === 'on' ? overlayNetworkTable(networkTable ?? {}, feature.overlay) : (networkTable ?? {});
  const policy = compileNetworkPolicy(table, { key });
  const httpPort = policy.httpListen?.port ?? DEFAULT_HTTP_PORT;
  let socksPort: number | undefined;
  if (policy.enableSocks5) {
    socksPort = policy.socksListen?.port ?? DEFAULT_SOCKS_PORT;
    // Only possible with the defaults: an explicit clash is refused by compileNetworkPolicy.
    if (socksPort === httpPort) socksPort = httpPort === DEFAULT_SOCKS_PORT ? DEFAULT_SOCKS_PORT + 1 : DEFAULT_SOCKS_PORT;
  }
  return { policy, httpPort, socksPort };
}

/** What linux-bwrap gets for the Unix-socket keys (N15-N17). */
export type UnixSocketsForRun = { allowAll: false; allow: readonly string[]; deny: readonly string[] } | { allowAll: true; hiddenDirectories: readonly string[] };

/**
 * N17: with every socket allowed, the directory holding the managed proxies' sockets (this run's
 * and every other run's) is hidden, so the command reaches only its own proxy, through its routes.
 * Without that private directory (the proxy fell back to TMPDIR) allow-all is refused.
 */
export function unixSocketsForRun(plan: ManagedNetworkPlan, proxySocketsParent: string | undefined): UnixSocketsForRun {
  const sockets = plan.policy.unixSockets;
  if (!sockets.allowAll) return { allowAll: false, allow: sockets.allow, deny: sockets.deny };
  if (proxySocketsParent === undefined) {
    const key = `${plan.policy.key}.dangerously_allow_all_unix_sockets`;
    throw new NetworkPolicyError(
      `\`${key} = true\` needs the front end's private state directory for the proxy's sockets (so that they, and other runs' proxies, can be hidden from the command), and it cannot be made here (is HOME or XDG_CACHE_HOME writable?); refusing to run`,
      key,
    );
  }
  return { allowAll: true, hiddenDirectories: [proxySocketsParent] };
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
    if (endpoint.host === '127.0.0.1' && endpoint.port === plan.httpPort) return { listenPort: endpoint.port, socketPath: sockets.http, kind: 'HTTP', heldOpen: true };
    if (endpoint.host === '127.0.0.1' && endpoint.port === plan.socksPort && sockets.socks !== undefined) {
      return { listenPort: endpoint.port, socketPath: sockets.socks, kind: 'SOCKS5', heldOpen: true };
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
