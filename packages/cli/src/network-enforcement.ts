// Owns the refusal of network settings this build cannot enforce (#11, fail closed). A profile's
// `[network]` table may carry managed-proxy settings (domains, mode, unix sockets, proxy URLs);
// without a managed proxy they would be ignored and the command would get the whole host network,
// which is the one failure a user cannot see. So: with network enabled, any such key refuses the
// run, naming the key; with network off they only warn (the command reaches nothing anyway).
// Must NOT read files or decide anything about the filesystem policy.
import type { NetworkSandboxPolicy } from '@codex-sandbox/policy';
import { CliError } from './errors.js';

/** The only `[network]` key that this build enforces (the on/off network bit). */
const ENFORCED_NETWORK_KEYS: ReadonlySet<string> = new Set(['enabled']);

/** A profile's network settings cannot be enforced here: exit 1, nothing runs. */
export class UnenforceableNetworkPolicyError extends CliError {
  constructor(readonly keys: readonly string[], profileId: string) {
    super(
      `permission profile \`${profileId}\` sets ${keys.map((k) => `\`${k}\``).join(', ')}, which this codex sandbox cannot enforce yet ` +
        '(it has no managed network proxy: domain, mode, unix-socket and proxy settings would be ignored and the command would ' +
        'get the whole host network); refusing to run. Remove the setting to choose between no network and full network ' +
        'with `enabled`, or set `enabled = false`',
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
  /** The merged config's `features` table, if any (`features.network_proxy`). */
  features?: unknown;
}

/** Pure: throws when the settings ask for network control this build lacks; returns warnings. */
export function checkNetworkEnforceable(settings: NetworkSettings): string[] {
  const table = settings.networkTable ?? {};
  const prefix = settings.profileId.startsWith(':') ? undefined : `permissions.${settings.profileId}.network`;
  const unenforced = Object.keys(table)
    .filter((key) => !ENFORCED_NETWORK_KEYS.has(key))
    .map((key) => (prefix === undefined ? key : `${prefix}.${key}`));
  const features = settings.features;
  const proxyFeature =
    typeof features === 'object' && features !== null && Object.hasOwn(features, 'network_proxy')
      ? (features as Record<string, unknown>)['network_proxy']
      : undefined;
  if (proxyFeature !== undefined && proxyFeature !== false) unenforced.push('features.network_proxy');
  if (unenforced.length === 0) return [];
  if (settings.network === 'enabled') throw new UnenforceableNetworkPolicyError(unenforced, settings.profileId);
  return [
    `network is disabled for permission profile \`${settings.profileId}\`, so ${unenforced.map((k) => `\`${k}\``).join(', ')} ` +
      'has no effect: the command reaches no network at all',
  ];
}
