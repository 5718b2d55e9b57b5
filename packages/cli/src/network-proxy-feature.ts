// Owns `features.network_proxy` (N18): reading it from the merged config's `features` table, and
// the one decision it changes, whether a run with the network on goes through the managed proxy.
// Fail closed: `true` (or a table) puts every network-enabled run behind the proxy, `false` refuses
// a profile whose network policy needs the proxy (it would otherwise run with the host network),
// and a table may only narrow the profile's policy (managed-network.ts applies it). Pure, and
// imports nothing from the proxy package. Must NOT compile network policies.
import { ConfigError } from '@codex-sandbox/policy';
import { CliError } from './errors.js';

export const NETWORK_PROXY_KEY = 'features.network_proxy';

/** Keys a `[features.network_proxy]` table may hold (besides `enabled`): the profile's proxy keys. */
export const NETWORK_PROXY_OVERLAY_KEYS: readonly string[] = [
  'domains', 'unix_sockets', 'mode', 'allow_local_binding', 'enable_socks5', 'proxy_url', 'socks_url', 'allow_upstream_proxy',
  'dangerously_allow_all_unix_sockets', 'enable_socks5_udp', 'dangerously_allow_non_loopback_proxy', 'mitm',
];

export type NetworkProxyFeature =
  /** Not set: the proxy runs when the profile's `[network]` table has a policy key (N0). */
  | { kind: 'default' }
  /** `true` or a table: the proxy runs whenever the network is on; the table narrows the policy. */
  | { kind: 'on'; overlay: Readonly<Record<string, unknown>> }
  /** `false`: no proxy; a profile whose policy needs one is refused. */
  | { kind: 'off' };

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Date) return 'a date';
  return typeof value === 'string' ? `the string ${JSON.stringify(value)}` : `${typeof value} ${String(value)}`;
}

/** Throws ConfigError naming the key for anything but true, false or a table of known keys. */
export function readNetworkProxyFeature(features: unknown): NetworkProxyFeature {
  if (typeof features !== 'object' || features === null || Array.isArray(features) || !Object.hasOwn(features, 'network_proxy')) return { kind: 'default' };
  const value = (features as Record<string, unknown>)['network_proxy'];
  if (value === true) return { kind: 'on', overlay: {} };
  if (value === false) return { kind: 'off' };
  if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Date) {
    throw new ConfigError(`\`${NETWORK_PROXY_KEY}\` must be true, false or a table, not ${describe(value)}`, { key: NETWORK_PROXY_KEY });
  }
  const table = value as Record<string, unknown>;
  const overlay: Record<string, unknown> = {};
  for (const [key, entry] of Object.entries(table)) {
    const name = `${NETWORK_PROXY_KEY}.${key}`;
    if (key === 'enabled') {
      if (typeof entry !== 'boolean') throw new ConfigError(`\`${name}\` must be true or false, not ${describe(entry)}`, { key: name });
      continue;
    }
    if (!NETWORK_PROXY_OVERLAY_KEYS.includes(key)) {
      throw new ConfigError(`unknown key \`${name}\`; allowed in \`${NETWORK_PROXY_KEY}\`: enabled, ${NETWORK_PROXY_OVERLAY_KEYS.join(', ')}`, { key: name });
    }
    overlay[key] = entry;
  }
  if (table['enabled'] === false) {
    const extra = Object.keys(overlay);
    if (extra.length > 0) {
      const name = `${NETWORK_PROXY_KEY}.${extra[0] ?? ''}`;
      throw new ConfigError(`\`${name}\` has no effect with \`${NETWORK_PROXY_KEY}.enabled = false\`; remove one of them`, { key: name });
    }
    return { kind: 'off' };
  }
  return { kind: 'on', overlay };
}

/** The profile's `[network]` keys that ask for the proxy (every key but `enabled`). */
function policyKeys(networkTable: Readonly<Record<string, unknown>> | undefined): string[] {
  return networkTable === undefined ? [] : Object.keys(networkTable).filter((key) => key !== 'enabled');
}

/** Does the run go through the managed proxy? Throws when `false` would leave a policy unenforced. */
export function asksForManagedNetwork(
  networkTable: Readonly<Record<string, unknown>> | undefined,
  network: 'enabled' | 'restricted',
  feature: NetworkProxyFeature = { kind: 'default' },
  profileId = '',
): boolean {
  if (network !== 'enabled') return false;
  const keys = policyKeys(networkTable);
  switch (feature.kind) {
    case 'on':
      return true;
    case 'default':
      return keys.length > 0;
    case 'off':
      if (keys.length > 0) {
        const prefix = profileId.startsWith(':') || profileId === '' ? 'network' : `permissions.${profileId}.network`;
        throw new CliError(
          `\`${NETWORK_PROXY_KEY} = false\` turns the managed network proxy off, but ${keys.map((k) => `\`${prefix}.${k}\``).join(', ')} ` +
            'can only be enforced by it (without it the command would get the whole host network); refusing to run. Remove one of them',
        );
      }
      return false;
  }
}
