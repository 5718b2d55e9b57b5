// Owns the sandbox object (`createLinuxSandbox`) and the one order a run goes through:
// resolve the request (run-request.ts) -> plan it: host facts gathered once (host-facts.ts), then
// deny globs, argv, seccomp and proxy-only parts (run-plan.ts) -> launch, wait and clean up
// (run-launch.ts). It holds what lives across runs: the state directory, the probe cache, the
// placeholder registry, the host facts and the netns and mask helpers. Must NOT decide bwrap arguments or
// seccomp rules, probe the host or spawn anything itself, and must never fall back to running a
// command with less confinement than the policy asks for.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { HostFactsGatherer } from './host-facts.js';
import type { BundledBwrapOpener, LauncherChoice } from './launcher.js';
import { loadLandlockHelper, probeLandlockAbi, type LandlockHelper } from './landlock-helper.js';
import { planLandlock } from './landlock-plan.js';
import { landlockHelperArgs, launchLandlock } from './landlock-run.js';
import { loadMaskHelper, type MaskHelper } from './mask-helper.js';
import type { MaskHelperAvailability } from './mask-stage.js';
import { loadNetnsHelper, type NetnsHelper } from './netns-helper.js';
import { loadProxyRelay, type ProxyRelay } from './proxy-relay.js';
import { defaultCacheDir, ProbeCache } from './probe-cache.js';
import { unnamedFileDirectories } from './descriptors.js';
import { PlaceholderHold } from './placeholder-hold.js';
import { defaultRegistryDir, PlaceholderRegistry } from './registry.js';
import { launchBwrap, launchDirect, reportCommandFailure } from './run-launch.js';
import {
  directPlan,
  frontEndFiles,
  hostCommandFailure,
  mayNeedMaskHelper,
  planBwrapRun,
  sandboxCommandFailure,
  scanDenyGlobs,
  type PreparedRun,
  type SandboxPlan,
} from './run-plan.js';
import { requestNetwork, runsUnsandboxed, validateRequest, type SandboxRunRequest, type SandboxRunResult } from './run-request.js';
import { SandboxRequestError } from './runtime-errors.js';
import { prepareStateDir, REGISTRY_DIR_NAME } from './state-dir.js';

export interface LinuxSandboxOptions {
  /** Environment used to find bwrap and rg (PATH) and the cache dir. Default process.env. */
  env?: Record<string, string | undefined>;
  /** Directory of the probe cache; `null` disables the on-disk cache. Default $XDG_CACHE_HOME/codex-sandbox. */
  cacheDir?: string | null;
  /**
   * Temp dir for the unnamed seccomp and status files, and for the placeholder registry when there
   * is no usable state directory (`cacheDir`). Default os.tmpdir().
   */
  tmpDir?: string;
  /** Always use this launcher. */
  bwrap?: LauncherChoice;
  /** Opens the bundled fallback. Default: @codex-sandbox/bundled-bwrap next to `frontEndPath`. */
  openBundled?: BundledBwrapOpener;
  /** Path of the installed front end (where the bundled codex-resources/bwrap is looked up). */
  frontEndPath?: string;
  /** Forward SIGINT/SIGTERM/SIGHUP/SIGQUIT/SIGUSR1/SIGUSR2/SIGWINCH received by this process to running commands. Default true. */
  forwardSignals?: boolean;
  /** Text of /proc/version to judge WSL1 by; default: read the file. */
  procVersion?: string;
  /**
   * Absolute host paths every run of this sandbox keeps read-only, also inside writable roots:
   * the caller's own state that a command must not rewrite for later runs (the CLI passes
   * CODEX_HOME and the config files it read). A missing one the command could create becomes a
   * read-only placeholder. See `BwrapOptions.protectedPaths`.
   */
  protectedPaths?: readonly string[];
  /**
   * Called with each warning of a run as soon as it is known, before bwrap is spawned (so a front
   * end can print it ahead of the command's output). Plain text, no prefix; called again on every
   * run the warning applies to (dedupe in the caller). Results still carry `warnings`.
   */
  onWarning?: (message: string) => void;
  /** Supplies codex-netns-helper for proxy-only runs. Default: verified from codex-resources next to `frontEndPath`. */
  netnsHelper?: () => NetnsHelper;
  /**
   * `bwrap` (default): bubblewrap with namespaces and seccomp. `landlock`: the legacy Landlock
   * backend (`features.use_legacy_landlock`), for hosts where bubblewrap cannot create namespaces;
   * it refuses every policy it cannot enforce exactly (docs/behaviour.md LL1-LL6).
   */
  backend?: 'bwrap' | 'landlock';
  /** Supplies codex-landlock-helper for Landlock runs. Default: verified from codex-resources next to `frontEndPath`. */
  landlockHelper?: () => LandlockHelper;
  /**
   * G11: supplies codex-mask-helper, which makes the deny masks of runs with many of them; `null`:
   * never use it (bubblewrap makes every mask). Default: verified from codex-resources next to
   * `frontEndPath`, and bubblewrap makes them when it is not installed there.
   */
  maskHelper?: (() => MaskHelper) | null;
}

export interface LinuxSandbox {
  run(req: SandboxRunRequest): Promise<SandboxRunResult>;
  plan(req: SandboxRunRequest): Promise<SandboxPlan>;
  /**
   * What to execute for the managed proxy's native tunnel relay: /proc/self/fd/N of the verified
   * codex-proxy-relay (loaded on first use, held until dispose). Throws ProxyRelayError.
   */
  proxyRelayFile(): string;
  /** Releases a held bundled-bwrap descriptor, the relay's, and the placeholders this object's runs claimed (L32.1). */
  dispose(): void;
}

class LinuxSandboxImpl implements LinuxSandbox {
  private readonly env: Record<string, string | undefined>;
  private readonly registry: PlaceholderRegistry;
  /** L32.1: this object's placeholders, kept across its runs and released by dispose(). */
  private readonly placeholders: PlaceholderHold;
  /** Canonical state directory (probe cache + registry), bound read-only into every sandbox. */
  private readonly stateDir: string | undefined;
  private readonly hostFacts: HostFactsGatherer;
  private netnsHelper: NetnsHelper | undefined;
  private proxyRelay: ProxyRelay | undefined;
  private maskHelper: { helper: MaskHelper } | { absent: string } | undefined;
  private landlock: { helper: LandlockHelper; abi: number; reason?: string } | undefined;

  constructor(private readonly options: LinuxSandboxOptions) {
    this.env = options.env ?? process.env;
    const cacheDir = options.cacheDir === undefined ? defaultCacheDir(this.env) : options.cacheDir ?? undefined;
    // Made before anything is planned, so every sandbox can bind it read-only (see state-dir.ts).
    this.stateDir = prepareStateDir(cacheDir);
    this.registry = new PlaceholderRegistry(
      this.stateDir === undefined ? defaultRegistryDir(options.tmpDir) : path.join(this.stateDir, REGISTRY_DIR_NAME),
    );
    this.placeholders = new PlaceholderHold(this.registry);
    this.hostFacts = new HostFactsGatherer(new ProbeCache(this.stateDir), {
      env: this.env,
      bwrap: options.bwrap,
      openBundled: options.openBundled,
      frontEndPath: options.frontEndPath,
      procVersion: options.procVersion,
      onWarning: (message) => this.options.onWarning?.(message),
    });
  }

  proxyRelayFile(): string {
    this.proxyRelay ??= loadProxyRelay({ frontEndPath: this.options.frontEndPath ?? process.argv[1], env: this.env, memo: this.hostFacts.digests });
    return `/proc/self/fd/${this.proxyRelay.fd}`;
  }

  dispose(): void {
    this.placeholders.release();
    if (this.proxyRelay !== undefined) fs.closeSync(this.proxyRelay.fd);
    this.proxyRelay = undefined;
    this.hostFacts.dispose();
    if (this.landlock !== undefined && this.options.landlockHelper === undefined) fs.closeSync(this.landlock.helper.fd);
    this.landlock = undefined;
  }

  /** What every run of this sandbox must keep read-only: the caller's paths, the state, the front end. */
  private keptReadOnly(): string[] {
    return [...(this.stateDir === undefined ? [this.registry.root] : [this.stateDir]), ...frontEndFiles(this.options.frontEndPath)];
  }

  /** Resolve and plan; a dry run (`dryRun`) spawns no probe. */
  private async prepare(req: SandboxRunRequest, dryRun: boolean): Promise<PreparedRun | SandboxPlan> {
    validateRequest(req);
    const network = requestNetwork(req);
    if (runsUnsandboxed(req.policy, network)) return directPlan(req);
    if (this.options.backend === 'landlock') return this.landlockPlan(req, network);
    const facts = await this.hostFacts.gather(
      { policy: req.policy, commandCwd: req.commandCwd, network, bwrap: req.bwrap, mountProc: req.mountProc ?? true },
      dryRun,
    );
    const denyGlobMatches = await scanDenyGlobs(req);
    const maskHelper = mayNeedMaskHelper(req, denyGlobMatches) ? await this.maskHelperAvailability(facts.launcher, facts.mountProc, dryRun) : undefined;
    return planBwrapRun(req, network, facts, denyGlobMatches, {
      extraReadOnlyBinds: this.keptReadOnly(),
      protectedPaths: this.options.protectedPaths ?? [],
      ...(maskHelper === undefined ? {} : { maskHelper }),
    });
  }

  /** G11: codex-mask-helper, read and verified once per sandbox object, and whether it works here. */
  private async maskHelperAvailability(launcher: LauncherChoice, mountProc: boolean, dryRun: boolean): Promise<MaskHelperAvailability> {
    if (this.options.maskHelper === null) return { usable: false, reason: 'the sandbox was created without it' };
    this.maskHelper ??= this.options.maskHelper !== undefined
      ? { helper: this.options.maskHelper() }
      : loadMaskHelper({ frontEndPath: this.options.frontEndPath ?? process.argv[1], env: this.env, memo: this.hostFacts.digests });
    if (!('helper' in this.maskHelper)) return { usable: false, reason: this.maskHelper.absent };
    return this.hostFacts.maskHelper(launcher, this.maskHelper.helper, mountProc, dryRun, unnamedFileDirectories(this.options.tmpDir ?? os.tmpdir()));
  }

  /** LL1-LL6: the Landlock plan; the ABI is asked of the verified helper once per sandbox object. */
  private landlockPlan(req: SandboxRunRequest, network: ReturnType<typeof requestNetwork>): SandboxPlan {
    if (this.landlock === undefined) {
      const helper = this.options.landlockHelper?.() ?? loadLandlockHelper({ frontEndPath: this.options.frontEndPath ?? process.argv[1], env: this.env, memo: this.hostFacts.digests });
      this.landlock = { helper, ...this.hostFacts.landlockAbi(helper, () => probeLandlockAbi(helper)) };
    }
    const { helper, abi, reason } = this.landlock;
    const landlock = planLandlock({
      policy: req.policy,
      network,
      abi,
      ...(reason === undefined ? {} : { abiUnavailableReason: reason }),
      protectedPaths: [...(this.options.protectedPaths ?? []), ...this.keptReadOnly()],
    });
    for (const warning of landlock.warnings) this.options.onWarning?.(warning);
    return {
      mode: 'landlock',
      argv: [helper.path, ...landlockHelperArgs(req.command)],
      seccompMode: landlock.seccompMode,
      mountProc: false,
      syntheticTargets: [],
      warnings: landlock.warnings,
      denyGlobMatches: [],
      landlock,
    };
  }

  async plan(req: SandboxRunRequest): Promise<SandboxPlan> {
    const prepared = await this.prepare(req, true);
    return 'args' in prepared ? prepared.plan : prepared;
  }

  async run(req: SandboxRunRequest): Promise<SandboxRunResult> {
    // Placeholders of killed runs go first, so this run plans against the real state of the tree.
    if (!runsUnsandboxed(req.policy, requestNetwork(req))) this.registry.sweep();
    validateRequest(req);
    const program = req.command[0] ?? '';
    // On the host first: a program that is not there needs no plan.
    const onHost = hostCommandFailure(req);
    if (onHost !== undefined) return { exitCode: reportCommandFailure(program, onHost, req.stdio), warnings: [] };
    const prepared = await this.prepare(req, false);
    const forwardSignals = this.options.forwardSignals ?? true;
    if (!('args' in prepared)) {
      if (prepared.mode === 'landlock') {
        if (prepared.landlock === undefined || this.landlock === undefined) throw new SandboxRequestError('a Landlock plan without its ruleset or helper cannot run');
        const exitCode = await launchLandlock(req, prepared.landlock, this.landlock.helper, { tmpDir: this.options.tmpDir, forwardSignals });
        return { exitCode, warnings: prepared.warnings };
      }
      if (prepared.mode !== 'direct') throw new SandboxRequestError(`a ${prepared.mode} plan without bwrap arguments cannot run`);
      return { exitCode: await launchDirect(req, forwardSignals), warnings: prepared.warnings };
    }
    const inSandbox = sandboxCommandFailure(req, prepared.denyGlobMatches);
    if (inSandbox !== undefined) return { exitCode: reportCommandFailure(program, inSandbox, req.stdio), warnings: prepared.plan.warnings };
    const exitCode = await launchBwrap(req, prepared, {
      tmpDir: this.options.tmpDir,
      placeholders: this.placeholders,
      netnsHelper: () => this.loadHelper(),
      maskHelper: () => {
        if (this.maskHelper === undefined || !('helper' in this.maskHelper)) throw new SandboxRequestError('a plan that has codex-mask-helper make the masks needs the helper it was planned with');
        return this.maskHelper.helper;
      },
      forwardSignals,
    });
    return { exitCode, warnings: prepared.plan.warnings };
  }

  /** Read and verified once per sandbox object; the same bytes serve every later run. */
  private loadHelper(): NetnsHelper {
    this.netnsHelper ??= this.options.netnsHelper?.() ?? loadNetnsHelper({ frontEndPath: this.options.frontEndPath ?? process.argv[1], env: this.env, memo: this.hostFacts.digests });
    return this.netnsHelper;
  }
}

/** A sandbox object that remembers its launcher choice and host checks across runs. */
export function createLinuxSandbox(options: LinuxSandboxOptions = {}): LinuxSandbox {
  return new LinuxSandboxImpl(options);
}
