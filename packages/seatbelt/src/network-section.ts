// Owns the network section of the policy (M9 to M12): proxy-only egress through loopback proxy
// ports, full network, or none, plus the Unix-socket rules, and the loopback ports a proxy's
// environment names. Pure: must NOT open sockets or read the process environment. Fails closed:
// proxy configuration without a parseable loopback port allows no outbound connection at all.
import { isProxyEnvKey, parseLoopbackProxyUrl } from '@codex-sandbox/proxy-bridge';
import type { ParamList } from './access-roots.js';
import { NETWORK_SUPPORT } from './fixed-sections.js';

export type UnixSocketAccess = { kind: 'none' } | { kind: 'all' } | { kind: 'paths'; paths: readonly string[] };

export interface SeatbeltNetwork {
  /** What the profile says. */
  policy: 'restricted' | 'enabled';
  /**
   * A proxy the command must go through (the managed proxy, or proxy settings the run enforces):
   * `ports` are its loopback ports. Present = proxy-only, even when `policy` is enabled (M11).
   */
  proxy?: { ports: readonly number[]; allowLocalBinding: boolean };
  unixSockets: UnixSocketAccess;
}

/**
 * M9: the loopback ports the proxy variables of `env` name (N7 parsing: `localhost`, `127.0.0.1`,
 * `[::1]`, default ports by scheme), sorted and deduplicated. Others are ignored: they are
 * unreachable from the sandbox.
 */
export function loopbackProxyPorts(env: Readonly<Record<string, string | undefined>>): number[] {
  const ports = new Set<number>();
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined || !isProxyEnvKey(key)) continue;
    const parsed = parseLoopbackProxyUrl(value);
    if (parsed.ok === true) ports.add(parsed.endpoint.port);
  }
  return [...ports].sort((a, b) => a - b);
}

/** M10: the Unix-socket rules; the paths become `UNIX_SOCKET_PATH_i`. */
function unixSocketRules(access: UnixSocketAccess, params: ParamList): string[] {
  if (access.kind === 'none' || (access.kind === 'paths' && access.paths.length === 0)) return [];
  const rules = ['(allow system-socket (socket-domain AF_UNIX))'];
  if (access.kind === 'all') {
    rules.push('(allow network-bind (local unix-socket))', '(allow network-outbound (remote unix-socket))');
    return rules;
  }
  access.paths.forEach((socketPath, i) => {
    const ref = params.define(`UNIX_SOCKET_PATH_${i}`, socketPath);
    rules.push(`(allow network-bind (local unix-socket (subpath ${ref})))`, `(allow network-outbound (remote unix-socket (subpath ${ref})))`);
  });
  return rules;
}

function hasUnixSocketAccess(access: UnixSocketAccess): boolean {
  return access.kind === 'all' || (access.kind === 'paths' && access.paths.length > 0);
}

/** M11: the network section; empty when the network is off and nothing is allowed. */
export function renderNetworkSection(network: SeatbeltNetwork, params: ParamList): string {
  const proxy = network.proxy;
  if (proxy !== undefined || (network.policy === 'restricted' && hasUnixSocketAccess(network.unixSockets))) {
    const rules: string[] = [];
    const allowLocalBinding = proxy?.allowLocalBinding === true;
    if (allowLocalBinding) {
      rules.push(
        '(allow network-bind (local ip "*:*"))',
        '(allow network-inbound (local ip "localhost:*"))',
        '(allow network-outbound (remote ip "localhost:*"))',
      );
    }
    const ports = proxy?.ports ?? [];
    if (allowLocalBinding && ports.length > 0) rules.push('(allow network-outbound (remote ip "*:53"))');
    // No port: no outbound rule at all (fail closed).
    for (const port of ports) rules.push(`(allow network-outbound (remote ip "localhost:${port}"))`);
    rules.push(...unixSocketRules(network.unixSockets, params));
    return `; network: only through the proxy\n${rules.join('\n')}\n${NETWORK_SUPPORT}`;
  }
  if (network.policy === 'enabled') {
    const rules = ['(allow network-outbound)', '(allow network-inbound)', ...unixSocketRules(network.unixSockets, params)];
    return `; network: enabled\n${rules.join('\n')}\n${NETWORK_SUPPORT}`;
  }
  return '';
}
