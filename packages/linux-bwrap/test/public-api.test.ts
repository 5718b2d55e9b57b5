// Pins the package's public surface: a name added to or dropped from src/index.ts fails here, so
// the surface changes only on purpose (and the README's API section with it).
import * as api from '../src/index.js';

test('the exported runtime names', () => {
  expect(Object.keys(api).sort()).toEqual([
    'BubblewrapUnavailableError',
    'BwrapArgsError',
    'BwrapSpawnError',
    'DenyGlobError',
    'LandlockHelperError',
    'LandlockUnsupportedError',
    'LinuxSandboxError',
    'NetnsHelperError',
    'PlaceholderRegistryError',
    'ProbeCache',
    'ProxyRelayError',
    'SandboxRequestError',
    'SandboxRuntimeError',
    'SeccompError',
    'UnsupportedBwrapError',
    'Wsl1UnsupportedError',
    'bundledLauncher',
    'closeInheritedDescriptors',
    'createLinuxSandbox',
    'frontEndStateSubdir',
    'hidingRule',
    'inheritableDescriptors',
    'loadCloseOnExecControl',
    'loadLandlockHelper',
    'loadNetnsHelper',
    'loadProxyRelay',
    'splitDenyGlob',
    'systemLauncher',
    'visibilityRules',
  ]);
});
