// Validates a profile's `[permissions.<name>].network` table (every key the user wrote: unknown keys
// and wrong types are ConfigErrors) and reads the one bit this sandbox enforces from it: `enabled`.
// The rest (proxy, domains, sockets, MITM) is checked and passed on as the table, for the network
// enforcement decision. Pure: must NOT decide whether the table can be enforced.
import { ConfigError } from './errors.js';
import type { NetworkSandboxPolicy } from './types.js';
import { describeType, dottedKey, getOwn, isTable, type TomlTable } from './toml.js';

type NetworkValueKind = 'bool' | 'string' | 'mode' | 'allow-deny-table' | 'mitm';
const NETWORK_KEYS: Record<string, NetworkValueKind> = {
  enabled: 'bool',
  proxy_url: 'string',
  enable_socks5: 'bool',
  socks_url: 'string',
  enable_socks5_udp: 'bool',
  allow_upstream_proxy: 'bool',
  dangerously_allow_non_loopback_proxy: 'bool',
  dangerously_allow_all_unix_sockets: 'bool',
  mode: 'mode',
  domains: 'allow-deny-table',
  unix_sockets: 'allow-deny-table',
  allow_local_binding: 'bool',
  mitm: 'mitm',
};
const MITM_KEYS = ['hooks', 'actions'];

function checkAllowDeny(v: unknown, key: string): void {
  if (!isTable(v)) throw new ConfigError(`\`${key}\` must be a table of pattern = "allow" | "deny", not ${describeType(v)}`, { key });
  for (const k of Object.keys(v)) {
    const val = v[k];
    if (val !== 'allow' && val !== 'deny') {
      const entryKey = `${key}.${dottedKey([k])}`;
      throw new ConfigError(`\`${entryKey}\` must be "allow" or "deny", not ${typeof val === 'string' ? `\`${val}\`` : describeType(val)}`, {
        key: entryKey,
      });
    }
  }
}

export function compileNetwork(net: unknown, profile: string): { network: NetworkSandboxPolicy; table?: TomlTable } {
  if (net === undefined) return { network: 'restricted' };
  const netKey = dottedKey(['permissions', profile, 'network']);
  if (!isTable(net)) throw new ConfigError(`\`${netKey}\` must be a table, not ${describeType(net)}`, { key: netKey });
  for (const k of Object.keys(net)) {
    const key = dottedKey(['permissions', profile, 'network', k]);
    const kind = Object.hasOwn(NETWORK_KEYS, k) ? NETWORK_KEYS[k] : undefined;
    const v = net[k];
    switch (kind) {
      case undefined:
        throw new ConfigError(`unknown key \`${k}\` in \`${netKey}\`; allowed: ${Object.keys(NETWORK_KEYS).join(', ')}`, { key });
      case 'bool':
        if (typeof v !== 'boolean') throw new ConfigError(`\`${key}\` must be a boolean, not ${describeType(v)}`, { key });
        break;
      case 'string':
        if (typeof v !== 'string') throw new ConfigError(`\`${key}\` must be a string, not ${describeType(v)}`, { key });
        break;
      case 'mode':
        if (v !== 'limited' && v !== 'full') throw new ConfigError(`\`${key}\` must be "limited" or "full"`, { key });
        break;
      case 'allow-deny-table':
        checkAllowDeny(v, key);
        break;
      case 'mitm':
        if (!isTable(v)) throw new ConfigError(`\`${key}\` must be a table, not ${describeType(v)}`, { key });
        for (const mk of Object.keys(v)) {
          if (!MITM_KEYS.includes(mk)) {
            throw new ConfigError(`unknown key \`${mk}\` in \`${key}\`; allowed: ${MITM_KEYS.join(', ')}`, { key: `${key}.${dottedKey([mk])}` });
          }
        }
        break;
    }
  }
  return { network: getOwn(net, 'enabled') === true ? 'enabled' : 'restricted', table: net };
}
