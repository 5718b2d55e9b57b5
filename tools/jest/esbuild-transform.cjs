// Jest transform: strips TypeScript with esbuild and emits CommonJS for jest's module system.
// Type checking is not its job: each package's :typecheck test and :types build step run tsc
// (tools/bazel/ts_package.bzl); this must stay a pure syntax pass.
'use strict';
const { transformSync } = require('esbuild');

module.exports = {
  process(source, filename) {
    const { code, map } = transformSync(source, {
      loader: filename.endsWith('.ts') ? 'ts' : 'js',
      format: 'cjs',
      target: 'node20',
      sourcemap: 'external',
      sourcefile: filename,
    });
    return { code, map };
  },
};
