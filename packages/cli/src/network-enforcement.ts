// Owns the refusal of network settings this build cannot enforce (#11, fail closed). A profile's
// `[network]` table may carry managed-proxy settings (domains, mode, unix sockets, proxy URLs).
// The managed proxy (managed-network.ts) and the proxy-only run's connect supervisor enforce the
// keys in PROXY_ENFORCED_NETWORK_KEYS; any other would be ignored, which is the one failure a
// user cannot see. So: with network enabled, any other key refuses the run, naming the key; with
// network off they only warn (the command reaches nothing, no Unix socket either). The
// `features.network_proxy` switch is network-proxy-feature.ts's.
// Must NOT read files or decide anything about the filesystem policy.
import type { NetworkSandboxPolicy } from '@codex-sandbox/policy';
import { CliError } from './errors.js';

/** The only `[network]` key that this build enforces (the on/off network bit). */
const ENFORCED_NETWORK_KEYS: ReadonlySet<string> = new Set(['enabled']);

/**
 * Enforced by the managed proxy when the network is on (compileNetworkPolicy refuses the values it
 * cannot honour: `mitm`, `enable_socks5_udp = true`, `dangerously_allow_non_loopback_proxy = true`);
 * the Unix-socket keys by the proxy-only run (N15-N17). Anything else (an unknown key) is refused.
 */
const PROXY_ENFORCED_NETWORK_KEYS: ReadonlySet<string> = new Set([
  'domains', 'mode', 'allow_local_binding', 'enable_socks5', 'proxy_url', 'socks_url', 'allow_upstream_proxy',
  'enable_socks5_udp', 'dangerously_allow_non_loopback_proxy', 'mitm', 'unix_sockets', 'dangerously_allow_all_unix_sockets',
]);

/** A profile's network settings cannot be enforced here: exit 1, nothing runs. */
export class UnenforceableNetworkPolicyError extends CliError {
  constructor(readonly keys: readonly string[], profileId: string) {
    super(
      `permission profile \`${profileId}\` sets ${keys.map((k) => `\`${k}\``).join(', ')}, which this codex sandbox cannot enforce yet ` +
        '(its managed network proxy enforces domains, mode, allow_local_binding, enable_socks5, proxy_url, socks_url, ' +
        'allow_upstream_proxy, unix_sockets and dangerously_allow_all_unix_sockets: anything else would be ignored); refusing to run. ' +
        'Remove the setting, or set `enabled = false`',
      1,
    );
  }
}

export interface NetworkSettings {
  profileId: string;
  /** The selected profile's `[network]` table as written. */
  networkTable?: Readonly<Record<string, unknown>> | undefined;
  /** The resolved network bit. */
  network: NetworkSandboxPolicy;
}

/** Pure: throws when the settings ask for network control this build lacks; returns warnings. */
export function checkNetworkEnforceable(settings: NetworkSettings): string[] {
  const table = settings.networkTable ?? {};
  const prefix = settings.profileId.startsWith(':') ? undefined : `permissions.${settings.profileId}.network`;
  const enforcedWhenOn = (key: string): boolean => settings.network === 'enabled' && PROXY_ENFORCED_NETWORK_KEYS.has(key);
  const unenforced = Object.keys(table)
    .filter((key) => !ENFORCED_NETWORK_KEYS.has(key) && !enforcedWhenOn(key))
    .map((key) => (prefix === undefined ? key : `${prefix}.${key}`));
  if (unenforced.length === 0) return [];
  if (settings.network === 'enabled') throw new UnenforceableNetworkPolicyError(unenforced, settings.profileId);
  return [
    `network is disabled for permission profile \`${settings.profileId}\`, so ${unenforced.map((k) => `\`${k}\``).join(', ')} ` +
      'has no effect: the command reaches no network at all (and no Unix socket outside the sandbox)',
  ];
}
