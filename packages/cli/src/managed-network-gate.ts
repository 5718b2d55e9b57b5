// Owns the one decision the CLI makes before loading any proxy code: does the selected profile ask
// for the managed network proxy (network on, and its `[network]` table has more than `enabled`)?
// Pure, and imports nothing from the proxy package (which loads net and http at start-up).

export function asksForManagedNetwork(networkTable: Readonly<Record<string, unknown>> | undefined, network: 'enabled' | 'restricted'): boolean {
  return network === 'enabled' && networkTable !== undefined && Object.keys(networkTable).some((key) => key !== 'enabled');
}
