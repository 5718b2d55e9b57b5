// Public surface of @codex-sandbox/proxy-bridge: the host-side building blocks of domain-filtered
// network (issue 11). The policy compiled from a profile's `[network]` table, the managed proxy
// that enforces it for one run (HTTP + SOCKS5 on a private Unix socket and/or credential-guarded
// loopback ports), and the proxy-variable routing of the command's environment. This package must
// never open a route to a non-loopback endpoint on the command's behalf except through the policy.
export { ProxyBridgeError, NetworkPolicyError, ProxyRouteError, ProxyStartError } from './errors.js';
export {
  compileNetworkPolicy,
  blockedHeaderValue,
  type NetworkPolicy,
  type NetworkMode,
  type UnixSocketPolicy,
  type CompileNetworkPolicyOptions,
  type BlockReason,
  type ProxyProtocol,
} from './policy.js';
export type { HostPattern, HostPatternKind } from './patterns.js';
export { describeNetworkPolicy, type PolicyRow } from './describe.js';
export {
  startManagedProxy,
  sweepStaleSocketDirs,
  type ManagedProxy,
  type ManagedProxyOptions,
  type ProxyEndpoint,
  type ProxyTransport,
} from './server.js';
export { systemResolver, type Resolver } from './dial.js';
export type { TunnelRelayFile } from './tunnel-relay.js';
export type { ProxyCredential } from './credential.js';
export type { BlockedRequestEvent, BlockedListener, ProxyEvents } from './events.js';
export {
  PROXY_ENV_KEYS,
  NO_PROXY_ENV_KEYS,
  LOCAL_NO_PROXY,
  MANAGED_ENV_KEYS,
  isProxyEnvKey,
  parseLoopbackProxyUrl,
  planProxyRoutes,
  rewriteProxyUrl,
  managedProxyEnv,
  applyManagedProxyEnv,
  endpointAuthority,
  type Env,
  type ProxyEnvKey,
  type LoopbackEndpoint,
  type EndpointParse,
  type ProxyRoute,
  type ProxyRoutePlan,
  type SkippedProxyVariable,
  type ManagedProxyEnvOptions,
} from './routes.js';
