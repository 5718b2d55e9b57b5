// The managed-network part of `--dry-run`: a NetworkPolicy as rows of (setting, value) for a
// person, every setting shown, nothing decided. Pure: must NOT print or read anything.
import type { NetworkPolicy } from './policy.js';

export interface PolicyRow {
  readonly setting: string;
  readonly value: string;
}

function list(items: readonly string[]): string {
  return items.length === 0 ? '(none)' : items.join(', ');
}

/** Rows for the `--dry-run` network table, in a fixed order. */
export function describeNetworkPolicy(policy: NetworkPolicy): PolicyRow[] {
  const rows: PolicyRow[] = [
    { setting: 'mode', value: policy.mode === 'limited' ? 'limited (GET, HEAD, OPTIONS over plain HTTP; no CONNECT, no SOCKS5)' : 'full' },
    { setting: 'allowed', value: policy.allow.length === 0 ? '(none: every request is blocked)' : list(policy.allow.map((p) => p.text)) },
    { setting: 'denied', value: list(policy.deny.map((p) => p.text)) },
    {
      setting: 'local binding',
      value: policy.allowLocalBinding ? 'allowed (loopback and private targets reachable when allowlisted)' : 'blocked (loopback, private and link-local targets, by name or by resolved address)',
    },
    { setting: 'SOCKS5', value: policy.enableSocks5 ? 'on' : 'off' },
    { setting: 'upstream proxy', value: policy.allowUpstreamProxy ? 'allowed (the host http_proxy / https_proxy, after the policy)' : 'not used' },
  ];
  const sockets = policy.unixSockets;
  rows.push({
    setting: 'unix sockets',
    value: sockets.allowAll ? 'all (dangerously_allow_all_unix_sockets)' : `allowed: ${list(sockets.allow)}; denied: ${list(sockets.deny)}`,
  });
  if (policy.httpListen !== undefined) rows.push({ setting: 'HTTP proxy seen at', value: `${policy.httpListen.host}:${policy.httpListen.port}` });
  if (policy.socksListen !== undefined) rows.push({ setting: 'SOCKS5 proxy seen at', value: `${policy.socksListen.host}:${policy.socksListen.port}` });
  return rows;
}
