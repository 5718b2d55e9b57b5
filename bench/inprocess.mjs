// In-process per-command cost: N sequential `sandbox.run(['true'])` calls through the library API
// (one Node process, config and probes paid once) versus N sequential spawns of bare bwrap from the
// same process, and versus N spawns of bwrap with the very arguments the sandbox's plan gives it
// (what bwrap itself costs for that policy: the front end's share is the difference). Prints JSON.
// Used by bench/run.sh.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, rmdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((pairs, value, i, all) => (i % 2 === 0 ? [...pairs, [value.replace(/^--/, ''), all[i + 1]]] : pairs), []),
);
const count = Number(process.env.INPROCESS_RUNS ?? 100);
const warmup = 5;

const require = createRequire(import.meta.url);
const esbuild = require(join(args.repo, 'node_modules', 'esbuild'));
const bundle = join(args.cache, 'lib', 'cli-lib.cjs');
mkdirSync(join(args.cache, 'lib'), { recursive: true });
await esbuild.build({
  // --src: the copy of the sources bench/prepare-sources.sh made (generated wire schema included).
  entryPoints: [join(args.src, 'packages/cli/src/index.ts')],
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  tsconfig: join(args.src, 'tsconfig.base.json'),
  nodePaths: [join(args.repo, 'node_modules')],
  outfile: bundle,
  // koffi is a native module (loaded only when the host holds inheritable descriptors): it must be
  // required from the repository's node_modules, not bundled (run.sh sets NODE_PATH for that).
  external: ['koffi'],
  logLevel: 'warning',
});
const { createSandbox } = require(bundle);

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** `after` (untimed) runs after every call: the plan-argv runs remove the mount points bwrap made. */
async function time(label, once, after = () => {}) {
  for (let i = 0; i < warmup; i++) {
    await once();
    after();
  }
  const samples = [];
  for (let i = 0; i < count; i++) {
    const start = performance.now();
    const code = await once();
    samples.push(performance.now() - start);
    after();
    if (code !== 0) throw new Error(`${label}: exit ${code}`);
  }
  return { median: median(samples), mean: samples.reduce((a, b) => a + b, 0) / samples.length };
}

const spawnBwrap = (argv) => () =>
  new Promise((resolve, reject) => {
    const child = spawn(args.bwrap, argv, { stdio: 'ignore' });
    child.on('error', reject);
    child.on('exit', (code) => resolve(code));
  });
const bare = spawnBwrap(['--ro-bind', '/', '/', '--unshare-all', '--', 'true']);

/**
 * The plan's bwrap arguments without the two descriptors only a real run opens (the seccomp
 * program and the JSON status file); undefined when the plan needs other descriptors.
 */
async function planArgv(sandbox) {
  const plan = await sandbox.plan(['true'], {});
  const argv = plan.argv.slice(1);
  const out = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--seccomp' || argv[i] === '--json-status-fd') i++;
    else if (/^--.*-(fd|data)$/.test(argv[i]) || argv[i] === '--file') return undefined;
    else out.push(argv[i]);
  }
  return out;
}

/**
 * bwrap run on its own creates the missing mount points (`--tmpfs X` over a path that is not there)
 * on the host and, unlike the sandbox, leaves them: they are removed after each run, so neither the
 * next run nor the sandbox's own runs find them.
 */
function removeCreatedMountPoints(argv) {
  const created = [];
  for (let i = 0; i < argv.length; i++) if (argv[i] === '--tmpfs' && !existsSync(argv[i + 1])) created.push(argv[i + 1]);
  return () => {
    for (const dir of created) {
      try {
        rmdirSync(dir);
      } catch {
        // Not empty or gone: not ours to touch.
      }
    }
  };
}

const env = { ...process.env, CODEX_HOME: join(args.cache, 'home-ours') };
const readOnly = createSandbox({ permissionProfile: ':read-only', cwd: args.work, env });
const workspace = createSandbox({ permissionProfile: ':workspace', cwd: args.work, env });
const planned = { readOnly: await planArgv(readOnly), workspace: await planArgv(workspace) };
const result = {
  runs: count,
  bareBwrap: await time('bare bwrap', bare),
  readOnly: await time('read-only', async () => (await readOnly.run(['true'], { stdio: 'ignore' })).exitCode),
  workspace: await time('workspace', async () => (await workspace.run(['true'], { stdio: 'ignore' })).exitCode),
  planBwrap: {
    readOnly: planned.readOnly && (await time('read-only plan argv', spawnBwrap(planned.readOnly), removeCreatedMountPoints(planned.readOnly))),
    workspace: planned.workspace && (await time('workspace plan argv', spawnBwrap(planned.workspace), removeCreatedMountPoints(planned.workspace))),
  },
};
readOnly.dispose();
workspace.dispose();
process.stdout.write(JSON.stringify(result) + '\n');
