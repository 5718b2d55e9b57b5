// Jest transform: strips TypeScript with esbuild and emits CommonJS for jest's module system.
// Type checking is not its job: each package's :typecheck test and :types build step run tsc
// (tools/bazel/ts_package.bzl); this must stay a pure syntax pass.
'use strict';
const { createHash } = require('node:crypto');
const { transformSync } = require('esbuild');

const OPTIONS = {
  format: 'cjs',
  target: 'node20',
  // Jest's CommonJS runtime cannot run `import()` (it would need --experimental-vm-modules):
  // lower it to a require, as the release bundle does for lazily loaded modules.
  supported: { 'dynamic-import': false },
  sourcemap: 'external',
};

module.exports = {
  process(source, filename) {
    const { code, map } = transformSync(source, { ...OPTIONS, loader: filename.endsWith('.ts') ? 'ts' : 'js', sourcefile: filename });
    return { code, map };
  },
  // Jest's own key ignores the transformer: include its options, so a change here is not served stale.
  getCacheKey(source, filename) {
    return createHash('sha256').update(JSON.stringify(OPTIONS)).update('\0').update(filename).update('\0').update(source).digest('hex');
  },
};
