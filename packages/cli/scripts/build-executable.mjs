#!/usr/bin/env node
// Builds the `codex` executable: one self-contained file that is both a POSIX sh launcher and the
// bundled JS program (sh/JS polyglot). The sh part moves variables that would slow down or alter the
// front end's own Node process out of the way (see packages/cli/src/launcher-env.ts, which restores
// them for the sandboxed command), records the original $0 for arg0 dispatch, and execs node.
//
//   node packages/cli/scripts/build-executable.mjs --entry packages/cli/src/main.ts --out <path>
//        [--node <abs path>]     (default: this Node, canonical; the only Node the executable runs)
//        [--bwrap-sha256 <hex>] [--node-modules <abs path>] [--tsconfig <path>] [--esbuild <module path>]
//        [--code-cache yes|no]   (default yes: train and embed a V8 code cache, see below)
//   node packages/cli/scripts/build-executable.mjs --entry packages/cli/src/main.ts --bundle-out <path> [...]
//        writes only the plain esbuild bundle (CommonJS, built-ins only), for other wrappers of the
//        same program (release/: Node single-executable applications); no launcher, no code cache.
//        [--bundle-inputs-out <path>] also writes the bundle's input files, one a line (licences).
//
// Must NOT depend on anything but Node and esbuild. It runs the program, only to train the code
// cache: `sandbox -- true` in scratch homes (TRAINING_CONFIGS); CODEX_TRAIN_DEBUG=1 shows their output.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const USAGE =
  'usage: build-executable.mjs --entry <main.ts> (--out <path> | --bundle-out <path>) [--node <abs path>] [--bwrap-sha256 <hex>] [--netns-helper-sha256 <hex>] [--landlock-helper-sha256 <hex>] [--proxy-relay-sha256 <hex>] [--mask-helper-sha256 <hex>] [--node-modules <abs dir>] [--tsconfig <path>] [--esbuild <path>] [--code-cache yes|no]';

function fail(message) {
  process.stderr.write(`build-executable: ${message}\n${USAGE}\n`);
  process.exit(2);
}

function parseArgs(argv) {
  const known = new Set(['--entry', '--out', '--bundle-out', '--bundle-inputs-out', '--node', '--bwrap-sha256', '--netns-helper-sha256', '--landlock-helper-sha256', '--proxy-relay-sha256', '--mask-helper-sha256', '--node-modules', '--tsconfig', '--esbuild', '--code-cache']);
  const values = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!known.has(arg)) fail(`unknown argument ${JSON.stringify(arg)}`);
    const value = argv[++i];
    if (value === undefined) fail(`${arg} requires a value`);
    values[arg.slice(2)] = value;
  }
  if (!values.entry) fail('--entry is required');
  if (!values.out && !values['bundle-out']) fail('--out or --bundle-out is required');
  if (values.out && values['bundle-out']) fail('--out and --bundle-out exclude each other');
  if (values['bwrap-sha256'] !== undefined && !/^[0-9a-fA-F]{64}$/.test(values['bwrap-sha256'])) {
    fail('--bwrap-sha256 must be exactly 64 hex characters');
  }
  if (values['landlock-helper-sha256'] !== undefined && !/^[0-9a-fA-F]{64}$/.test(values['landlock-helper-sha256'])) {
    fail('--landlock-helper-sha256 must be exactly 64 hex characters');
  }
  if (values['proxy-relay-sha256'] !== undefined && !/^[0-9a-fA-F]{64}$/.test(values['proxy-relay-sha256'])) {
    fail('--proxy-relay-sha256 must be exactly 64 hex characters');
  }
  if (values['mask-helper-sha256'] !== undefined && !/^[0-9a-fA-F]{64}$/.test(values['mask-helper-sha256'])) {
    fail('--mask-helper-sha256 must be exactly 64 hex characters');
  }
  if (values['netns-helper-sha256'] !== undefined && !/^[0-9a-fA-F]{64}$/.test(values['netns-helper-sha256'])) {
    fail('--netns-helper-sha256 must be exactly 64 hex characters');
  }
  if (values['code-cache'] !== undefined && !['yes', 'no'].includes(values['code-cache'])) {
    fail('--code-cache must be yes or no');
  }
  if (values['node-modules'] !== undefined && !isAbsolute(values['node-modules'])) {
    fail('--node-modules must be an absolute path');
  }
  if (values.node !== undefined && !isAbsolute(values.node)) fail('--node must be an absolute path');
  return values;
}

/**
 * The one Node the executable runs: an absolute, canonical path fixed at build time (by default the
 * Node running this build). The launcher never looks `node` up on PATH: a PATH entry can lie in a
 * directory a sandboxed command writes (`node_modules/.bin`), and a `node` planted there would run
 * on the host, unsandboxed, on the next call. The path sits in single quotes in the sh launcher.
 */
function chooseNode(given) {
  let real;
  try {
    real = realpathSync(given ?? process.execPath);
  } catch (error) {
    fail(`--node ${given}: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!statSync(real).isFile()) fail(`--node ${real} is not a file`);
  if (!/^\/[A-Za-z0-9._+@\/-]*$/.test(real)) {
    fail(`the Node path ${JSON.stringify(real)} has characters the sh launcher does not quote; allowed: letters, digits and ._+@/-`);
  }
  return real;
}

// Node's options for the front end, also used for the training run. No V8 flag: any V8 flag
// changes V8's flag hash, so V8 would reject the code cache Node ships for its built-ins and
// compile every built-in the run loads after Node's own start from source (about 15 M instructions
// of a read-only run, 12 ms of a proxy-mode run's start, which loads net, http and dns). The
// launcher had `--no-opt` until the paths a long PATH or environment walked stopped running through
// JS hot enough to start TurboFan (policy resolveEntry, the native UTF-8 check); TurboFan now starts
// only for work that is hot in earnest (a 300-entry PATH, a deny-glob scan of a large tree), where it
// pays for its ~4 MB.
//
// `--inspect-port` (a Node option, not a V8 flag: the cache does not mind it) covers the few ms
// between Node's start and the loader's first statement, when a SIGUSR1 still reaches Node's own
// handler: the inspector would then try 0.0.0.1, an address no host has, fail with "address not
// available" and listen nowhere. (Even bound under net.ipv4.ip_nonlocal_bind, 0.0.0.1 is not
// reachable.) The launcher's SIGUSR1 listener is the defence for the rest of the run.
const NODE_FLAGS = ['--inspect-port=0.0.0.1:9229'];

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
// The loader's first statement: a SIGUSR1 listener that stays for the life of the process. Node's
// own SIGUSR1 handler opens the inspector (an unauthenticated debugger on 127.0.0.1:9229, which a
// sandboxed command with network access could connect to and run code in the front end); a JS
// listener replaces that handler (libuv installs its own), so from here on SIGUSR1 only reaches
// listeners: ignored, or forwarded to the command during a run (linux-bwrap's signals.ts). Node 20
// has no --disable-sigusr1.
const KEEP_SIGUSR1 = 'process.on("SIGUSR1", () => {});';
const LOADER = `${KEEP_SIGUSR1} ${COMPILE_PROGRAM} ${RUN_PROGRAM}`;
// The training run: the same compile, then the program is run once per round (each a fresh
// evaluation of the same script, so what one round compiled stays compiled for the next) with the
// round's CODEX_HOME, and the cache is taken when the last round calls process.exit; the earlier
// rounds' calls only start the next round. (The rounds differ by configuration, not by arguments:
// the program checks process.argv against /proc/self/cmdline.)
const TRAINER = (out, homes) =>
  `${KEEP_SIGUSR1} ${COMPILE_PROGRAM} const homes = ${JSON.stringify(homes)}; let round = 0; const exit = process.exit;` +
  ` const runRound = () => { process.env.CODEX_HOME = homes[round]; ${RUN_PROGRAM} };` +
  ` process.exit = (code) => { round += 1; if (round < homes.length) { setImmediate(runRound); return; } fs.writeFileSync(${JSON.stringify(out)}, script.createCachedData()); exit(code); };` +
  ' runRound();';

// Variables Node acts on at start that would slow down or alter the front end's own process: the
// launcher moves each into CODEX_SANDBOX_STASHED_<NAME> and packages/cli/src/launcher-env.ts puts it
// back for the command (keep the two lists equal; a test compares them). NODE_OPTIONS can carry
// --inspect, --require and any flag; NODE_V8_COVERAGE opens an inspector session; NODE_CHANNEL_FD
// (and its companions) make Node open an IPC channel on an inherited descriptor; OPENSSL_CONF and
// friends make OpenSSL, initialised at Node's start, load engine or provider modules; NODE_PATH,
// NODE_ICU_DATA, NODE_REPL_EXTERNAL_MODULE, NODE_REDIRECT_WARNINGS and NODE_TEST_CONTEXT name files
// or modes the front end has no use for; NODE_EXTRA_CA_CERTS makes Node parse a CA bundle (tens of ms).
const STASHED_VARIABLES = [
  'NODE_OPTIONS',
  'NODE_EXTRA_CA_CERTS',
  'NODE_V8_COVERAGE',
  'NODE_CHANNEL_FD',
  'NODE_CHANNEL_SERIALIZATION_MODE',
  'NODE_UNIQUE_ID',
  'NODE_PATH',
  'NODE_ICU_DATA',
  'NODE_REPL_EXTERNAL_MODULE',
  'NODE_REDIRECT_WARNINGS',
  'NODE_TEST_CONTEXT',
  'OPENSSL_CONF',
  'OPENSSL_CONF_INCLUDE',
  'OPENSSL_ENGINES',
  'OPENSSL_MODULES',
];

// `${V+x}` tells unset from empty, so an empty-but-set variable is restored as empty. One statement
// per variable (no loop variable that could clobber one of the caller's).
function launcherLine(node) {
  const stash = STASHED_VARIABLES.map(
    (name) => `if [ -n "\${${name}+x}" ]; then CODEX_SANDBOX_STASHED_${name}=$${name}; export CODEX_SANDBOX_STASHED_${name}; unset ${name}; fi; `,
  ).join('');
  const missing = `[ -x '${node}' ] || { echo "codex: cannot run ${node}, the Node.js this executable was built for (rebuild it with build-executable.mjs --node PATH)" >&2; exit 1; }; `;
  return [
    '#!/bin/sh',
    `":" //; ${stash}${missing}CODEX_SANDBOX_ARG0=$0 CODEX_SANDBOX_LAUNCHER=1 exec '${node}' ${NODE_FLAGS.join(' ')} -e '${LOADER}' "$0" "$@"`,
    '',
  ].join('\n');
}
if (LOADER.includes("'")) throw new Error('build-executable: LOADER must not contain a single quote');

// What the training runs, `sandbox -- true` in one process, once per configuration: the default
// read-only run, a workspace-write run (its placeholders and their registry) and a run behind the
// managed proxy (config, the proxy, the netns helper's plan). Each path's functions are then in the
// cache; without the last, a proxy-mode start compiled ~18 M instructions' worth of them from
// source, and adding them made the read-only run no slower (callgrind: the same count within
// run-to-run noise).
const TRAINING_CONFIGS = {
  'home-read-only': '',
  'home-workspace': 'default_permissions = ":workspace"\n',
  'home-proxy': 'default_permissions = "proxy"\n[permissions.proxy]\nextends = ":read-only"\n[permissions.proxy.network]\nenabled = true\ndomains = { "example.com" = "allow" }\n',
};

/**
 * Runs the program once per TRAINING_CONFIGS home and returns the code cache V8 made
 * of them: argument parsing, config, policy, planning and the launch of bwrap, the functions runs
 * need (a dry run, the earlier training, left the launch out: about 6 M instructions of lazy
 * compiling per run). Where bwrap cannot run (a build sandbox), each run fails after planning and
 * the cache holds what it reached. It runs under NODE_FLAGS, as the launcher does (a cache made
 * under other flags would be rejected).
 */
function trainCodeCache(programFile, node) {
  const scratch = mkdtempSync(join(tmpdir(), 'codex-code-cache-'));
  try {
    const out = join(scratch, 'cache');
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: scratch, XDG_CACHE_HOME: join(scratch, 'cache-home'), TMPDIR: scratch };
    const homes = Object.entries(TRAINING_CONFIGS).map(([name, config]) => {
      const home = join(scratch, name);
      mkdirSync(home);
      writeFileSync(join(home, 'config.toml'), config);
      return home;
    });
    const workspace = join(scratch, 'workspace');
    mkdirSync(workspace);
    const trained = spawnSync(node, [...NODE_FLAGS, '-e', TRAINER(out, homes), programFile, 'sandbox', '--', 'true'], {
      cwd: workspace,
      env,
      stdio: process.env.CODEX_TRAIN_DEBUG ? 'inherit' : 'ignore',
      timeout: 120_000,
    });
    if (trained.error !== undefined) throw new Error(`the training run of the program failed: ${trained.error.message}`);
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
//   through Node's process handle (linux-bwrap's child-launch.ts); probes and rg still use it;
// - `http` (~1 ms) and `dns/promises` (~0.5 ms): the managed proxy needs them only once the command
//   sends a request through it (proxy-bridge http-proxy.ts makes its HTTP front on the first
//   connection, dial.ts resolves names per request);
// - `net` (~1.5 ms with stream): the managed proxy listens on its Unix sockets through the pipe
//   handle and makes its servers on the first connection (proxy-bridge unix-listener.ts).
// Their default export is a proxy of the real module and their function exports are wrappers that
// load the real module on first call. Export names are taken from this Node at build time. A class
// must be reached through the default export (`http.Agent` after `import http from 'node:http'`):
// a wrapper can be called and constructed but not extended, and is no `instanceof` target.
const LAZY_BUILTINS = new Set(['crypto', 'child_process', 'http', 'dns/promises', 'net']);
const BUILTIN_NAMESPACE = 'codex-builtin';

// The same for bundled CommonJS packages that only a rare path calls, so that importing them costs
// nothing until then: `tldts-icann` (the public-suffix list, ~2 ms and a garbage collection to
// evaluate) is only asked about wildcard `network.domains` patterns (proxy-bridge patterns.ts);
// `picomatch` (~0.15 ms: its constants, utils, scanner and parser) only compiles deny globs, which
// most profiles do not have. Only ES imports are deferred; the wrapper's own `require` resolves to
// the bundled package as usual.
const LAZY_PACKAGES = new Set(['tldts-icann', 'picomatch']);
const LAZY_PACKAGE_NAMESPACE = 'codex-lazy-package';

/**
 * An ES module that loads `specifier` on first use: the default export is a proxy of the real
 * module (made at once; its getters would be one defineProperty per export at every start), and
 * each function export a wrapper. A module that is itself a function (`module.exports = picomatch`)
 * gets a callable proxy: its target is an arrow function, which has no non-configurable own
 * property (a `prototype`) that the descriptor trap's `configurable: true` would contradict.
 */
function lazyModuleSource(specifier, real) {
  const names = Object.keys(real).filter((n) => n !== 'default' && /^[A-Za-z_$][\w$]*$/.test(n));
  const lines = [`let real;`, `const load = () => (real ??= require(${JSON.stringify(specifier)}));`];
  const callable = typeof real === 'function';
  lines.push(
    `const lazy = new Proxy(${callable ? '() => {}' : '{}'}, { get: (_, key) => load()[key], has: (_, key) => key in load(), ownKeys: () => Reflect.ownKeys(load()),` +
      ' getOwnPropertyDescriptor: (_, key) => { const d = Reflect.getOwnPropertyDescriptor(load(), key); return d === undefined ? undefined : { ...d, configurable: true }; }' +
      `${callable ? ', apply: (_, self, args) => Reflect.apply(load(), self, args)' : ''} });`,
  );
  lines.push(`export default lazy;`);
  for (const name of names) {
    lines.push(
      typeof real[name] === 'function'
        ? `export function ${name}(...args) { const f = load().${name}; return new.target ? Reflect.construct(f, args) : f.apply(real, args); }`
        : `export const ${name} = /* @__PURE__ */ (() => load().${name})();`,
    );
  }
  return lines.join('\n') + '\n';
}

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
        const specifier = `node:${args.path}`;
        const real = require(specifier);
        if (LAZY_BUILTINS.has(args.path)) return { loader: 'js', contents: lazyModuleSource(specifier, real) };
        const names = Object.keys(real).filter((n) => n !== 'default' && /^[A-Za-z_$][\w$]*$/.test(n));
        const lines = [`const real = require(${JSON.stringify(specifier)});`, `export default real;`];
        for (const name of names) lines.push(`export const ${name} = /* @__PURE__ */ (() => real.${name})();`);
        return { loader: 'js', contents: lines.join('\n') + '\n' };
      });
    },
  };
}

function lazyPackagesPlugin(require) {
  return {
    name: 'lazy-packages',
    setup(build) {
      build.onResolve({ filter: /^[a-z@][\w./@-]*$/ }, async (args) => {
        if (!LAZY_PACKAGES.has(args.path) || args.kind !== 'import-statement' || args.namespace === LAZY_PACKAGE_NAMESPACE) return undefined;
        // The real file, to list its exports at build time; the wrapper requires it by name from the same place.
        const resolved = await build.resolve(args.path, { kind: 'require-call', resolveDir: args.resolveDir, namespace: 'file' });
        if (resolved.errors.length > 0) return { errors: resolved.errors };
        return { path: args.path, namespace: LAZY_PACKAGE_NAMESPACE, pluginData: { file: resolved.path, resolveDir: args.resolveDir } };
      });
      build.onLoad({ filter: /.*/, namespace: LAZY_PACKAGE_NAMESPACE }, (args) => ({
        loader: 'js',
        contents: lazyModuleSource(args.path, require(args.pluginData.file)),
        resolveDir: args.pluginData.resolveDir,
      }));
    },
  };
}

// The executable loads no package from disk at run time: a `require` of anything but a built-in
// would search node_modules directories up from the executable and NODE_PATH, places a sandboxed
// command may write. koffi (the FFI linux-bwrap loads only when a host program holds inheritable
// descriptors, see linux-bwrap's inherited-descriptors.ts) has a native part and is never needed
// by the executable, which closes such descriptors at start: it is replaced by a module that fails.
const NO_FFI_NAMESPACE = 'codex-no-ffi';
function noFfiPlugin() {
  return {
    name: 'no-ffi-in-the-executable',
    setup(build) {
      build.onResolve({ filter: /^koffi$/ }, () => ({ path: 'koffi', namespace: NO_FFI_NAMESPACE }));
      build.onLoad({ filter: /.*/, namespace: NO_FFI_NAMESPACE }, () => ({
        loader: 'js',
        contents: 'throw new Error("the codex executable has no FFI library (koffi); it closes inherited descriptors at start instead");\n',
      }));
    },
  };
}

/** Throws when the bundle would load anything but Node's built-in modules. */
function checkOnlyBuiltinRequires(js) {
  const outside = [...js.matchAll(/\brequire\(\s*(["'`])([^"'`]*)\1\s*\)/g)].map((m) => m[2]).filter((name) => !name.startsWith('node:'));
  if (outside.length > 0) throw new Error(`the bundle would load modules from disk at run time: ${[...new Set(outside)].join(', ')}`);
}

/** The program as one esbuild bundle: CommonJS, pure ASCII, requiring only Node's built-ins. */
async function bundleProgram(args) {
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
      __CODEX_NETNS_HELPER_SHA256__: args['netns-helper-sha256'] ? JSON.stringify(args['netns-helper-sha256'].toLowerCase()) : 'undefined',
      __CODEX_LANDLOCK_HELPER_SHA256__: args['landlock-helper-sha256'] ? JSON.stringify(args['landlock-helper-sha256'].toLowerCase()) : 'undefined',
      __CODEX_PROXY_RELAY_SHA256__: args['proxy-relay-sha256'] ? JSON.stringify(args['proxy-relay-sha256'].toLowerCase()) : 'undefined',
      __CODEX_MASK_HELPER_SHA256__: args['mask-helper-sha256'] ? JSON.stringify(args['mask-helper-sha256'].toLowerCase()) : 'undefined',
    },
    plugins: [noFfiPlugin(), lazyPackagesPlugin(createRequire(import.meta.url)), builtinsPlugin(createRequire(import.meta.url))],
    logLevel: 'warning',
    metafile: args['bundle-inputs-out'] !== undefined,
  });
  if (args['bundle-inputs-out'] !== undefined) {
    writeFileSync(resolve(args['bundle-inputs-out']), Object.keys(result.metafile.inputs).sort().map((input) => `${input}\n`).join(''));
  }
  const js = result.outputFiles[0].text.replace(/^#!.*\n/, '');
  if (!/^[\x00-\x7f]*$/.test(js)) throw new Error('the bundle is not pure ASCII (the launcher decodes it as latin1)');
  checkOnlyBuiltinRequires(js);
  return js;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  if (args['bundle-out']) {
    const out = resolve(args['bundle-out']);
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, await bundleProgram(args));
    return;
  }
  const node = chooseNode(args.node);
  const js = await bundleProgram(args);
  const out = resolve(args.out);
  mkdirSync(dirname(out), { recursive: true });
  const temporary = `${out}.tmp-${process.pid}`;
  const program = Buffer.from(`${launcherLine(node)}${COMMONJS_WRAPPER[0]}${js}${COMMONJS_WRAPPER[1]}`, 'latin1');
  try {
    writeFileSync(temporary, program, { mode: 0o755 });
    if (args['code-cache'] !== 'no') {
      const cache = trainCodeCache(temporary, node);
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
