#!/usr/bin/env node
// Builds the `codex` executable: one self-contained file that is both a POSIX sh launcher and the
// bundled JS program (sh/JS polyglot). The sh part moves variables that would slow down or alter the
// front end's own Node process out of the way (see packages/cli/src/launcher-env.ts, which restores
// them for the sandboxed command), records the original $0 for arg0 dispatch, and execs node.
//
//   node packages/cli/scripts/build-executable.mjs --entry packages/cli/src/main.ts --out <path>
//        [--bwrap-sha256 <hex>] [--node-modules <abs path>] [--tsconfig <path>] [--esbuild <module path>]
//
// Must NOT run the program or depend on anything but Node and esbuild.
import { chmodSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const USAGE =
  'usage: build-executable.mjs --entry <main.ts> --out <path> [--bwrap-sha256 <hex>] [--node-modules <abs dir>] [--tsconfig <path>] [--esbuild <path>]';

function fail(message) {
  process.stderr.write(`build-executable: ${message}\n${USAGE}\n`);
  process.exit(2);
}

function parseArgs(argv) {
  const known = new Set(['--entry', '--out', '--bwrap-sha256', '--node-modules', '--tsconfig', '--esbuild']);
  const values = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!known.has(arg)) fail(`unknown argument ${JSON.stringify(arg)}`);
    const value = argv[++i];
    if (value === undefined) fail(`${arg} requires a value`);
    values[arg.slice(2)] = value;
  }
  if (!values.entry) fail('--entry is required');
  if (!values.out) fail('--out is required');
  if (values['bwrap-sha256'] !== undefined && !/^[0-9a-fA-F]{64}$/.test(values['bwrap-sha256'])) {
    fail('--bwrap-sha256 must be exactly 64 hex characters');
  }
  if (values['node-modules'] !== undefined && !isAbsolute(values['node-modules'])) {
    fail('--node-modules must be an absolute path');
  }
  return values;
}

// No V8 flags on the command line: any V8 flag changes V8's flag hash, and then V8 rejects the code
// cache Node embeds for its built-in modules (child_process, crypto, ... compiled from source on
// every start, ~15 ms). Tuning that is worth it is applied at run time (src/runtime-tuning.ts).


// The program is CommonJS. Started as `node FILE`, Node would treat an extensionless FILE as an ES
// module whenever an enclosing package.json says "type": "module" (as in a Bazel runfiles tree), so
// the launcher loads it through require(), which always treats it as CommonJS. process.argv keeps
// the usual layout: [node, FILE, ...args].
const CJS_ENTRY = 'require(require("path").resolve(process.argv[1]))';

// Line 2 is run by sh and seen by JS as the string ":" followed by a comment. `${V+x}` tells unset
// from empty, so an empty-but-set variable is restored as empty.
const LAUNCHER = [
  '#!/bin/sh',
  '":" //; ' +
    'if [ -n "${NODE_EXTRA_CA_CERTS+x}" ]; then CODEX_SANDBOX_STASHED_NODE_EXTRA_CA_CERTS=$NODE_EXTRA_CA_CERTS; export CODEX_SANDBOX_STASHED_NODE_EXTRA_CA_CERTS; unset NODE_EXTRA_CA_CERTS; fi; ' +
    'if [ -n "${NODE_OPTIONS+x}" ]; then CODEX_SANDBOX_STASHED_NODE_OPTIONS=$NODE_OPTIONS; export CODEX_SANDBOX_STASHED_NODE_OPTIONS; unset NODE_OPTIONS; fi; ' +
    `CODEX_SANDBOX_ARG0=$0 CODEX_SANDBOX_LAUNCHER=1 exec node -e '${CJS_ENTRY}' "$0" "$@"`,
  '',
].join('\n');

// esbuild comes from --esbuild, else the --node-modules tree (Bazel passes its node_modules there),
// else the normal resolution from this script's location.
async function loadEsbuild(explicit, nodeModules) {
  if (explicit) return import(pathToFileURL(resolve(explicit)).href);
  if (nodeModules) {
    try {
      return createRequire(join(nodeModules, 'noop.js'))('esbuild');
    } catch {
      // fall through to the script's own resolution
    }
  }
  return createRequire(import.meta.url)('esbuild');
}

// How the bundle reaches Node's built-in modules. By default esbuild turns `import fs from
// 'node:fs'` into `__toESM(require('node:fs'))`, which copies every property of the module into a
// fresh object, once per importing module: dozens of copies of `fs`, `path`, ... at start, hot
// enough that V8 spends ~9 ms optimizing the copy loop. Instead, ES imports of a built-in resolve to
// a small ES module that re-exports it: the default export is the module object itself and each
// named export is read through a pure call, so unused ones are dropped and nothing is copied.
// (`require()` calls in CommonJS dependencies stay plain external requires.)
//
// Some built-ins are also loaded lazily: `crypto` costs several ms to load and is only needed for
// hashing (bundled-bwrap digests, placeholder names). Their default export is an object of lazy
// getters and their function exports are wrappers that load the real module on first call.
// Export names are taken from this Node at build time.
const LAZY_BUILTINS = new Set(['crypto']);
const BUILTIN_NAMESPACE = 'codex-builtin';

function builtinsPlugin(require) {
  const builtins = new Set(require('node:module').builtinModules.filter((name) => !name.startsWith('_')));
  return {
    name: 'builtins-as-es-modules',
    setup(build) {
      build.onResolve({ filter: /^(node:)?[a-z_/]+$/ }, (args) => {
        const name = args.path.replace(/^node:/, '');
        if (!builtins.has(name)) return undefined;
        if (args.namespace === BUILTIN_NAMESPACE || args.kind !== 'import-statement') {
          return { path: `node:${name}`, external: true };
        }
        return { path: name, namespace: BUILTIN_NAMESPACE };
      });
      build.onLoad({ filter: /.*/, namespace: BUILTIN_NAMESPACE }, (args) => {
        const specifier = JSON.stringify(`node:${args.path}`);
        const real = require(`node:${args.path}`);
        const names = Object.keys(real).filter((n) => n !== 'default' && /^[A-Za-z_$][\w$]*$/.test(n));
        const lines = [];
        if (LAZY_BUILTINS.has(args.path)) {
          lines.push(`let real;`, `const load = () => (real ??= require(${specifier}));`);
          lines.push(`const lazy = {};`);
          lines.push(`for (const name of ${JSON.stringify(names)}) Object.defineProperty(lazy, name, { enumerable: true, get: () => load()[name] });`);
          lines.push(`export default lazy;`);
          for (const name of names) {
            lines.push(
              typeof real[name] === 'function'
                ? `export function ${name}(...args) { const f = load().${name}; return new.target ? Reflect.construct(f, args) : f.apply(real, args); }`
                : `export const ${name} = /* @__PURE__ */ (() => load().${name})();`,
            );
          }
        } else {
          lines.push(`const real = require(${specifier});`, `export default real;`);
          for (const name of names) lines.push(`export const ${name} = /* @__PURE__ */ (() => real.${name})();`);
        }
        return { loader: 'js', contents: lines.join('\n') + '\n' };
      });
    },
  };
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const scriptDir = dirname(fileURLToPath(import.meta.url));
  const repoRoot = resolve(scriptDir, '..', '..', '..');
  const tsconfig = resolve(args.tsconfig ?? join(repoRoot, 'tsconfig.base.json'));
  const esbuild = await loadEsbuild(args.esbuild, args['node-modules']);
  const result = await esbuild.build({
    entryPoints: [resolve(args.entry)],
    bundle: true,
    write: false,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    minify: true,
    legalComments: 'none',
    tsconfig,
    nodePaths: args['node-modules'] ? [args['node-modules']] : [],
    define: {
      __CODEX_BWRAP_SHA256__: args['bwrap-sha256'] ? JSON.stringify(args['bwrap-sha256'].toLowerCase()) : 'undefined',
    },
    plugins: [builtinsPlugin(createRequire(import.meta.url))],
    logLevel: 'warning',
  });
  const js = result.outputFiles[0].text.replace(/^#!.*\n/, '');
  const out = resolve(args.out);
  mkdirSync(dirname(out), { recursive: true });
  const temporary = `${out}.tmp-${process.pid}`;
  writeFileSync(temporary, LAUNCHER + js, { mode: 0o755 });
  chmodSync(temporary, 0o755);
  renameSync(temporary, out);
}

main().catch((error) => {
  process.stderr.write(`build-executable: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
