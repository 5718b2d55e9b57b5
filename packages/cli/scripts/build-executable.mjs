#!/usr/bin/env node
// Builds the `codex` executable: one self-contained file that is both a POSIX sh launcher and the
// bundled JS program (sh/JS polyglot). The sh part moves variables that would slow down or alter the
// front end's own Node process out of the way (see packages/cli/src/launcher-env.ts, which restores
// them for the sandboxed command), records the original $0 for arg0 dispatch, and execs node.
//
//   node packages/cli/scripts/build-executable.mjs --entry packages/cli/src/main.ts --out <path>
//        [--bwrap-sha256 <hex>] [--node-modules <abs path>] [--tsconfig <path>] [--esbuild <module path>]
//        [--code-cache yes|no]   (default yes: train and embed a V8 code cache, see below)
//
// Must NOT depend on anything but Node and esbuild. It runs the program once, only to train the code
// cache: a dry run in an empty scratch home.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const USAGE =
  'usage: build-executable.mjs --entry <main.ts> --out <path> [--bwrap-sha256 <hex>] [--node-modules <abs dir>] [--tsconfig <path>] [--esbuild <path>] [--code-cache yes|no]';

function fail(message) {
  process.stderr.write(`build-executable: ${message}\n${USAGE}\n`);
  process.exit(2);
}

function parseArgs(argv) {
  const known = new Set(['--entry', '--out', '--bwrap-sha256', '--node-modules', '--tsconfig', '--esbuild', '--code-cache']);
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
  if (values['code-cache'] !== undefined && !['yes', 'no'].includes(values['code-cache'])) {
    fail('--code-cache must be yes or no');
  }
  if (values['node-modules'] !== undefined && !isAbsolute(values['node-modules'])) {
    fail('--node-modules must be an absolute path');
  }
  return values;
}

// Node's flags for the front end, also used for the training run (a code cache records V8's flag
// hash and is rejected under other flags). One flag only: --no-opt. A run lives ~0.1 s, and
// TurboFan, when a path function gets hot (long paths, long PATH), compiles it on a worker thread
// and pages in its own code: ~4 MB of peak RSS and CPU for nothing. The price of any V8 flag is
// that V8 rejects the code cache Node ships for its built-ins; only the few loaded after Node's own
// start (vm, module, os, util's argument parser) are then compiled from source, ~2-3 ms.
// (`--opt` is V8's alias of `--turbofan`, accepted from Node 18 to current; an unknown flag would
// make Node refuse to start, which fails closed.)
const NODE_FLAGS = ['--no-opt'];

// The file is: line 1 `#!/bin/sh`; line 2 the sh launcher; from line 3 the bundled program (pure
// ASCII) inside the CommonJS wrapper function Node itself would put around it (written at build time
// so the launcher compiles one slice of the file, not a concatenation that V8 would have to copy
// and flatten); then, optionally, a V8 code cache for exactly that program
// text and a fixed-size trailer saying where the program ends and how long the cache is:
//   "\n//codex-code-cache:" + 10-digit program end + ":" + 10-digit cache length + "\n"
// The cache holds the bytecode of every function a dry run compiles, made at build time by running
// the program (see trainCodeCache), so a run skips parsing and compiling most of the program. It is
// part of the executable itself, written in the same rename: no separate file to go stale or to be
// swapped. V8 checks it against its own version and flags and the program's length and drops a
// cache that does not fit; the program then compiles from source as usual.
//
// LOADER is what `node -e` runs. It compiles the program as CommonJS, also when an enclosing
// package.json says "type": "module" (a Bazel runfiles tree), with the cache when there is one. process.argv keeps the usual layout: [node, FILE, ...args]. It must not contain
// a single quote (it sits in single quotes in line 2).
const COMMONJS_WRAPPER = ['(function (exports, require, module, __filename, __dirname) {', '\n})'];
const TRAILER_LENGTH = '\n//codex-code-cache:0000000000:0000000000\n'.length;
const TRAILER_PATTERN = String.raw`^\n\/\/codex-code-cache:(\d{10}):(\d{10})\n$`;
const COMPILE_PROGRAM = [
  'const fs = require("fs"), path = require("path"), vm = require("vm"), Module = require("module");',
  'const file = path.resolve(process.argv[1]);',
  'const bytes = fs.readFileSync(file);',
  `const trailer = new RegExp(${JSON.stringify(TRAILER_PATTERN)}).exec(bytes.toString("latin1", Math.max(0, bytes.length - ${TRAILER_LENGTH})));`,
  'const start = bytes.indexOf(10, bytes.indexOf(10) + 1) + 1, end = trailer ? Number(trailer[1]) : bytes.length;',
  'const cachedData = trailer ? bytes.subarray(end, end + Number(trailer[2])) : undefined;',
  'const script = new vm.Script(bytes.toString("latin1", start, end), { filename: file, lineOffset: 2, cachedData });',
].join(' ');
const RUN_PROGRAM =
  'const mod = { exports: {} }; script.runInThisContext().call(mod.exports, mod.exports, Module.createRequire(file), mod, file, path.dirname(file));';
const LOADER = `${COMPILE_PROGRAM} ${RUN_PROGRAM}`;
// The training run: the same compile, then the cache is taken when the program calls process.exit.
const TRAINER = (out) =>
  `${COMPILE_PROGRAM} const exit = process.exit; process.exit = (code) => { fs.writeFileSync(${JSON.stringify(out)}, script.createCachedData()); exit(code); }; ${RUN_PROGRAM}`;

// `${V+x}` tells unset from empty, so an empty-but-set variable is restored as empty.
const LAUNCHER = [
  '#!/bin/sh',
  '":" //; ' +
    'if [ -n "${NODE_EXTRA_CA_CERTS+x}" ]; then CODEX_SANDBOX_STASHED_NODE_EXTRA_CA_CERTS=$NODE_EXTRA_CA_CERTS; export CODEX_SANDBOX_STASHED_NODE_EXTRA_CA_CERTS; unset NODE_EXTRA_CA_CERTS; fi; ' +
    'if [ -n "${NODE_OPTIONS+x}" ]; then CODEX_SANDBOX_STASHED_NODE_OPTIONS=$NODE_OPTIONS; export CODEX_SANDBOX_STASHED_NODE_OPTIONS; unset NODE_OPTIONS; fi; ' +
    `CODEX_SANDBOX_ARG0=$0 CODEX_SANDBOX_LAUNCHER=1 exec node ${NODE_FLAGS.join(' ')} -e '${LOADER}' "$0" "$@"`,
  '',
].join('\n');
if (LOADER.includes("'")) throw new Error('build-executable: LOADER must not contain a single quote');

/**
 * Runs the program once, as `sandbox --dry-run -- true` in an empty home, and returns the code
 * cache V8 made of it. A dry run compiles argument parsing, config, policy and planning; it runs
 * under NODE_FLAGS, as the launcher does (a cache made under other flags would be rejected).
 */
function trainCodeCache(programFile) {
  const scratch = mkdtempSync(join(tmpdir(), 'codex-code-cache-'));
  try {
    const out = join(scratch, 'cache');
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: scratch, CODEX_HOME: scratch, XDG_CACHE_HOME: join(scratch, 'cache-home'), TMPDIR: scratch };
    spawnSync(process.execPath, [...NODE_FLAGS, '-e', TRAINER(out), programFile, 'sandbox', '--dry-run', '--', 'true'], {
      cwd: scratch,
      env,
      stdio: 'ignore',
    });
    if (!existsSync(out)) throw new Error('the training run of the program made no code cache (did the program start?)');
    return readFileSync(out);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

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
// Some built-ins are also loaded lazily, wherever they are imported or required from (a CommonJS
// dependency's top-level require included):
// - `crypto` costs several ms to load and is only needed for hashing (bundled-bwrap digests);
// - `child_process` pulls in net and stream (~5 ms) and a run does not need it: bwrap is started
//   through Node's process handle (linux-bwrap's child-launch.ts); probes and rg still use it.
// Their default export is an object of lazy getters and their function exports are wrappers that
// load the real module on first call. Export names are taken from this Node at build time.
const LAZY_BUILTINS = new Set(['crypto', 'child_process']);
const BUILTIN_NAMESPACE = 'codex-builtin';

function builtinsPlugin(require) {
  const builtins = new Set(require('node:module').builtinModules.filter((name) => !name.startsWith('_')));
  return {
    name: 'builtins-as-es-modules',
    setup(build) {
      build.onResolve({ filter: /^(node:)?[a-z_/]+$/ }, (args) => {
        const name = args.path.replace(/^node:/, '');
        if (!builtins.has(name)) return undefined;
        const lazyRequire = args.kind === 'require-call' && LAZY_BUILTINS.has(name);
        if (args.namespace === BUILTIN_NAMESPACE || (args.kind !== 'import-statement' && !lazyRequire)) {
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
  if (!/^[\x00-\x7f]*$/.test(js)) throw new Error('the bundle is not pure ASCII (the launcher decodes it as latin1)');
  const out = resolve(args.out);
  mkdirSync(dirname(out), { recursive: true });
  const temporary = `${out}.tmp-${process.pid}`;
  const program = Buffer.from(`${LAUNCHER}${COMMONJS_WRAPPER[0]}${js}${COMMONJS_WRAPPER[1]}`, 'latin1');
  try {
    writeFileSync(temporary, program, { mode: 0o755 });
    if (args['code-cache'] !== 'no') {
      const cache = trainCodeCache(temporary);
      const trailer = `\n//codex-code-cache:${String(program.length).padStart(10, '0')}:${String(cache.length).padStart(10, '0')}\n`;
      writeFileSync(temporary, Buffer.concat([program, cache, Buffer.from(trailer, 'latin1')]), { mode: 0o755 });
    }
    chmodSync(temporary, 0o755);
    renameSync(temporary, out);
  } finally {
    rmSync(temporary, { force: true });
  }
}

main().catch((error) => {
  process.stderr.write(`build-executable: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
