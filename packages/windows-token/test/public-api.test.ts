// Pins the package's public surface: a name added to or dropped from src/index.ts fails here, so
// the surface changes only on purpose (and the README with it).
import * as api from '../src/index.js';

test('the exported runtime names', () => {
  expect(Object.keys(api).sort()).toEqual([
    'BEST_EFFORT_NETWORK_WARNING',
    'CapabilitySidFileError',
    'CommandLineError',
    'PLACEHOLDER_IDENTITY',
    'WINDOWS_REFUSAL_SUFFIX',
    'WindowsRefusalError',
    'WindowsRunError',
    'WindowsSandboxError',
    'hostIdentity',
    'legacyWritableRoots',
    'offHostFacts',
    'placeholderSidAllocator',
    'planWindowsSandbox',
    'randomCapabilitySid',
    'readCapabilitySids',
    'renderWindowsDryRun',
    'runWindowsPlan',
  ]);
});
