// Pins the package's public library surface (README "Library API"): a name added to or dropped from
// src/index.ts fails here, so the surface changes only on purpose.
import * as api from '../src/index.js';

test('the exported runtime names', () => {
  expect(Object.keys(api).sort()).toEqual([
    'BackendNotImplementedError',
    'CLI_VERSION',
    'CliError',
    'CommandNotExecutableError',
    'CommandNotFoundError',
    'NETWORK_DISABLED_VARIABLE',
    'NetworkPolicyError',
    'ProxyRouteError',
    'ProxyStartError',
    'UnenforceableNetworkPolicyError',
    'UnsupportedPlatformError',
    'UsageError',
    'WindowsRefusalError',
    'WindowsSandboxError',
    'createSandbox',
    'runCli',
    'runLinuxHelper',
    'selectBackend',
  ]);
});
