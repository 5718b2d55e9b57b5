// Pins the package's public surface (README "API"): a name added to or dropped from src/index.ts
// fails here, so the surface changes only on purpose.
import * as api from '../src/index.js';

test('the exported runtime names', () => {
  expect(Object.keys(api).sort()).toEqual([
    'BUBBLEWRAP_INSTALL_HINT',
    'BundledBwrapDigestMismatchError',
    'BundledBwrapError',
    'BundledBwrapNotFoundError',
    'BundledBwrapOpenError',
    'InvalidBwrapDigestError',
    'OpenedBundledBwrap',
    'bundledBwrapCandidates',
    'embeddedBwrapDigest',
    'frontEndDirectory',
    'locateBundledBwrap',
    'openBundledBwrap',
    'openVerifiedBwrap',
    'parseBwrapDigest',
    'sha256OfDescriptor',
    'writeDebugLines',
  ]);
});
