// Shared jest configuration. A package's tests run with rootDir = that package.
'use strict';
const path = require('node:path');

// Under Bazel the runfiles tree is the repository (CODEX_REPO_ROOT); __dirname would be the
// symlink-resolved source tree, which is not what the test declared as its inputs.
const repoRoot = process.env.CODEX_REPO_ROOT || path.resolve(__dirname, '..', '..');

module.exports = {
  testEnvironment: 'node',
  // A hang guard, not a performance assertion: end-to-end tests share two cores with the rest of
  // the suite under Bazel, and a slow run must not read as a failure.
  testTimeout: 120000,
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  transform: { '\\.ts$': path.join(__dirname, 'esbuild-transform.cjs') },
  moduleFileExtensions: ['ts', 'js', 'cjs', 'json'],
  moduleNameMapper: {
    '^@codex-sandbox/([a-z-]+)$': path.join(repoRoot, 'packages/$1/src/index.ts'),
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  haste: { enableSymlinks: true },
  watchman: false,
  cacheDirectory: path.join(require('node:os').tmpdir(), 'codex-sandbox-jest-cache'),
};
