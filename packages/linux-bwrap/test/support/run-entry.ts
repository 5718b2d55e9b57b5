// Test support: a minimal front end around the OS layer, bundled by the e2e tests and run as a real
// child process (as root or as an unprivileged user). argv[2] is a JSON spec file; the process
// prints warnings as `WARNING: ...` on stderr and exits with the command's exit status.

import * as fs from 'node:fs';

import { openVerifiedBwrap } from '@codex-sandbox/bundled-bwrap';
import type { ResolvedSandboxPolicy } from '@codex-sandbox/policy';

import { bundledLauncher, systemLauncher, type LauncherChoice } from '../../src/launcher.js';
import type { BwrapNetworkMode } from '../../src/bwrap-args.js';
import { ProbeCache } from '../../src/probe-cache.js';
import { defaultRegistryDir } from '../../src/registry.js';
import { createLinuxSandbox, type LinuxSandboxOptions } from '../../src/runner.js';
import { loadLandlockHelper } from '../../src/landlock-helper.js';
import { loadMaskHelper } from '../../src/mask-helper.js';
import { loadNetnsHelper } from '../../src/netns-helper.js';
import type { ProxyRoute } from '../../src/proxy-only-args.js';
import type { UnixSocketRequest } from '../../src/unix-socket-plan.js';

export interface RunSpec {
  policy: ResolvedSandboxPolicy;
  command: string[];
  commandCwd: string;
  network?: BwrapNetworkMode;
  launcher: { kind: 'system'; path: string } | { kind: 'bundled'; path: string; sha256: string } | { kind: 'choose' };
  /** null disables the probe cache. */
  cacheDir: string | null;
  tmpDir: string;
  /** Print the plan as JSON instead of running. */
  planOnly?: boolean;
  /** Extra environment for the command (merged over this process's). */
  env?: Record<string, string>;
  /** PATH the sandbox looks helpers (rg, find) up on; default this process's. */
  lookupPath?: string;
  /** LinuxSandboxOptions.protectedPaths (front-end state kept read-only). */
  protectedPaths?: string[];
  /** SandboxRunRequest.proxyRoutes (proxy-only runs). */
  proxyRoutes?: ProxyRoute[];
  /** SandboxRunRequest.unixSockets (proxy-only runs). */
  unixSockets?: UnixSocketRequest;
  /** codex-netns-helper to use (development mode: not verified). */
  netnsHelperPath?: string;
  /** Use the legacy Landlock backend with this codex-landlock-helper (development mode: not verified). */
  landlockHelperPath?: string;
  /** Run the command this many times on one sandbox object (default 1). */
  runs?: number;
  /** Between runs, print `between: <entries of this host directory>` and `run files: <n>` on stdout. */
  listBetweenRuns?: string;
  /** false: exit without sandbox.dispose() (the process-exit release must still clean up). */
  dispose?: boolean;
  /** codex-mask-helper to use (development mode: not verified); null: never (bubblewrap makes every mask). Default: none installed. */
  maskHelperPath?: string | null;
}

function maskHelperOption(spec: RunSpec): Pick<LinuxSandboxOptions, 'maskHelper'> {
  const chosen = spec.maskHelperPath;
  if (chosen === undefined || chosen === null) return { maskHelper: null };
  return {
    maskHelper: () => {
      const found = loadMaskHelper({ frontEndPath: undefined, env: { CODEX_MASK_HELPER_TEST_BINARY: chosen }, digest: undefined });
      if (!('helper' in found)) throw new Error(found.absent);
      return found.helper;
    },
  };
}

function launcherFor(spec: RunSpec, cache: ProbeCache): LauncherChoice | undefined {
  switch (spec.launcher.kind) {
    case 'system':
      return systemLauncher(spec.launcher.path, cache);
    case 'bundled':
      return bundledLauncher(openVerifiedBwrap(spec.launcher.path, { mode: 'release', sha256: spec.launcher.sha256 }), cache);
    case 'choose':
      return undefined;
  }
}

async function main(): Promise<number> {
  const specPath = process.argv[2];
  if (specPath === undefined) throw new Error('usage: run-entry SPEC.json');
  const spec = JSON.parse(fs.readFileSync(specPath, 'utf8')) as RunSpec;
  const cache = new ProbeCache(spec.cacheDir ?? undefined);
  const bwrap = launcherFor(spec, cache);
  const sandbox = createLinuxSandbox({
    cacheDir: spec.cacheDir,
    tmpDir: spec.tmpDir,
    bwrap,
    ...(spec.protectedPaths === undefined ? {} : { protectedPaths: spec.protectedPaths }),
    ...(spec.lookupPath === undefined ? {} : { env: { ...process.env, PATH: spec.lookupPath } }),
    ...(spec.netnsHelperPath === undefined
      ? {}
      : { netnsHelper: () => loadNetnsHelper({ frontEndPath: undefined, env: { CODEX_NETNS_HELPER_TEST_BINARY: spec.netnsHelperPath }, digest: undefined }) }),
    ...maskHelperOption(spec),
    ...(spec.landlockHelperPath === undefined
      ? {}
      : {
          backend: 'landlock' as const,
          landlockHelper: () => loadLandlockHelper({ frontEndPath: undefined, env: { CODEX_LANDLOCK_HELPER_TEST_BINARY: spec.landlockHelperPath }, digest: undefined }),
        }),
  });
  const req = {
    policy: spec.policy,
    command: spec.command,
    commandCwd: spec.commandCwd,
    env: { ...process.env, ...spec.env },
    network: spec.network,
    ...(spec.proxyRoutes === undefined ? {} : { proxyRoutes: spec.proxyRoutes }),
    ...(spec.unixSockets === undefined ? {} : { unixSockets: spec.unixSockets }),
  };
  try {
    if (spec.planOnly === true) {
      process.stdout.write(`${JSON.stringify(await sandbox.plan(req))}\n`);
      return 0;
    }
    let exitCode = 0;
    for (let run = 0; run < (spec.runs ?? 1); run += 1) {
      if (run > 0 && spec.listBetweenRuns !== undefined) {
        const runFiles = fs.readdirSync(defaultRegistryDir(spec.tmpDir)).filter((name) => name.startsWith('run-'));
        process.stdout.write(`between: ${fs.readdirSync(spec.listBetweenRuns).sort().join(',')}\nrun files: ${runFiles.length}\n`);
      }
      const result = await sandbox.run(req);
      for (const warning of result.warnings) process.stderr.write(`WARNING: ${warning}\n`);
      exitCode = result.exitCode;
    }
    return exitCode;
  } finally {
    if (spec.dispose !== false) sandbox.dispose();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const named = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    process.stderr.write(`ERROR: ${named}\n`);
    process.exitCode = 1;
  },
);
