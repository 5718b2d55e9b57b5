// Owns when one sandbox object's managed network comes into being: only for a profile that asks for
// it (network-proxy-feature.ts), on the first plan, dry run or run (so a mistake in the `[network]`
// table is thrown there, not by createSandbox), and at most once. The proxy code (net, http) is
// imported only then. Must NOT decide policy or start the proxy (managed-network-session.ts does).
import { asksForManagedNetwork } from './network-proxy-feature.js';
import type { ManagedNetworkSession, ManagedNetworkSessionOptions } from './managed-network-session.js';

export interface ManagedNetworkLoader {
  /** Loads the session once, when the profile asks for one; later calls wait for the same load. */
  load(): Promise<void>;
  /** The loaded session; undefined before `load`, or when the profile does not ask for one. */
  readonly session: ManagedNetworkSession | undefined;
}

export function managedNetworkLoader(options: ManagedNetworkSessionOptions): ManagedNetworkLoader {
  let session: ManagedNetworkSession | undefined;
  let loading: Promise<void> | undefined;
  return {
    load(): Promise<void> {
      if (!asksForManagedNetwork(options.networkTable, options.network, options.feature, options.profileId)) return Promise.resolve();
      loading ??= import('./managed-network-session.js').then((m) => {
        session = m.openManagedNetworkSession(options);
      });
      return loading;
    },
    get session() {
      return session;
    },
  };
}
