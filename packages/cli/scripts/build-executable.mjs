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

// Flags for the front end's own short-lived Node process (measured with bench/run.sh; see
// bench/README.md): no V8 worker threads; --lite-mode skips the optimizing tiers, whose compiler
// zones otherwise add ~4 MB of peak RSS to a workspace-write run for no speed gain in a run this
// short; --no-expose-wasm because lite mode turns Wasm off anyway (and warns unless told).
const NODE_FLAGS = ['--v8-pool-size=0', '--lite-mode', '--no-expose-wasm'];

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
    `CODEX_SANDBOX_ARG0=$0 CODEX_SANDBOX_LAUNCHER=1 exec node ${NODE_FLAGS.join(' ')} -e '${CJS_ENTRY}' "$0" "$@"`,
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

// Built-in modules the bundle imports at load time but a common run never uses: `crypto` costs
// several ms to load and is only needed for hashing (bundled-bwrap digests, placeholder names).
// Each is replaced by a shim whose properties load the real module on first access. The property
// list is taken from this Node at build time, so every export stays reachable.
const LAZY_BUILTINS = ['crypto'];
const LAZY_NAMESPACE = 'codex-lazy-builtin';

function lazyBuiltinsPlugin(require) {
  const filter = new RegExp(`^(node:)?(${LAZY_BUILTINS.join('|')})$`);
  return {
    name: 'lazy-builtins',
    setup(build) {
      build.onResolve({ filter }, (args) => {
        const name = args.path.replace(/^node:/, '');
        // The shim's own require of the real module stays external.
        if (args.namespace === LAZY_NAMESPACE) return { path: `node:${name}`, external: true };
        return { path: name, namespace: LAZY_NAMESPACE };
      });
      build.onLoad({ filter: /.*/, namespace: LAZY_NAMESPACE }, (args) => {
        const names = Object.getOwnPropertyNames(require(`node:${args.path}`)).filter((n) => n !== 'default');
        return {
          loader: 'js',
          contents:
            `let real;\nconst load = () => (real ??= require(${JSON.stringify(`node:${args.path}`)}));\n` +
            `for (const name of ${JSON.stringify(names)}) {\n` +
            `  Object.defineProperty(module.exports, name, { enumerable: true, get: () => load()[name] });\n}\n`,
        };
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
    plugins: [lazyBuiltinsPlugin(createRequire(import.meta.url))],
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
