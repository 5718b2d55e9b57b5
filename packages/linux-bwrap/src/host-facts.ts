// Owns the facts about this host that one run depends on, each gathered once per sandbox object
// (and, where they hold for a boot, once per boot through the probe cache): WSL1, which bubblewrap
// runs the sandbox (launcher.ts decides, this remembers it per set of writable places), whether a
// fresh /proc may be mounted, whether user namespaces work and whether codex-mask-helper works
// (G11) (preflight.ts probes, this asks the cache first and records what the probes showed). It is
// the only module that reads or writes host facts in the cache. Must NOT build the run's argv,
// open descriptors for it or run the command.

import * as fs from 'node:fs';

import { openBundledBwrap, writeDebugLines } from '@codex-sandbox/bundled-bwrap';
import type { ResolvedSandboxPolicy } from '@codex-sandbox/policy';

import type { BwrapNetworkMode } from './bwrap-args.js';
import { chooseLauncher, type BundledBwrapOpener, type LauncherChoice, type LauncherSelection } from './launcher.js';
import type { MaskHelper } from './mask-helper.js';
import type { MaskHelperAvailability } from './mask-stage.js';
import { probeMaskHelper, probeProcMount, probeUserNamespaces } from './preflight.js';
import { hostKey, identityKey, identityOfStat, type ProbeCache } from './probe-cache.js';
import { Wsl1UnsupportedError } from './runtime-errors.js';
import { USER_NAMESPACE_WARNING } from './warnings.js';
import { isWsl1 } from './wsl.js';

export interface HostFactsOptions {
  /** Environment bwrap is found in (PATH). */
  env: Record<string, string | undefined>;
  /** Always use this launcher. */
  bwrap?: LauncherChoice | undefined;
  /** Opens the bundled fallback. Default: @codex-sandbox/bundled-bwrap next to `frontEndPath`. */
  openBundled?: BundledBwrapOpener | undefined;
  frontEndPath?: string | undefined;
  /** Text of /proc/version to judge WSL1 by; default: read the file. */
  procVersion?: string | undefined;
  /** Each warning as soon as it is known. */
  onWarning: (message: string) => void;
}

/** What one run needs to know about the host. */
export interface RunHostFacts {
  launcher: LauncherChoice;
  mountProc: boolean;
  /** The launcher's warnings, then the host checks' (each also passed to `onWarning` when found). */
  warnings: string[];
}

/** The parts of a request the host facts depend on. */
export interface HostFactsRequest {
  policy: ResolvedSandboxPolicy;
  commandCwd: string;
  network: BwrapNetworkMode;
  /** A launcher the caller chose for this run. */
  bwrap?: LauncherChoice | undefined;
  /** `false`: no fresh /proc wanted (and no /proc preflight). */
  mountProc: boolean;
}

/**
 * Where no host-side helper (bwrap, rg) is taken from: the workspace, the command's cwd, every
 * writable root, and the front end's own cwd (relative PATH entries resolve there).
 */
export function writableDirs(policy: ResolvedSandboxPolicy, commandCwd: string): string[] {
  return [policy.cwd, commandCwd, ...frontEndCwd(), ...policy.writableRoots.map((root) => root.root)];
}

function frontEndCwd(): string[] {
  try {
    return [process.cwd()];
  } catch {
    return []; // Removed: relative PATH entries resolve nowhere.
  }
}

/** How the kernel's Landlock ABI is learnt when the cache does not know it (asks the helper). */
export type LandlockAbiProbe = () => { abi: number; reason?: string };

export class HostFactsGatherer {
  private readonly host = hostKey();
  private readonly launchers = new Map<string, LauncherSelection>();
  private readonly memoProc = new Map<string, boolean>();
  private readonly memoUserNamespaces = new Map<string, boolean>();
  private readonly memoMaskHelper = new Map<string, MaskHelperAvailability>();
  private wsl1: boolean | undefined;

  constructor(
    private readonly cache: ProbeCache,
    private readonly options: HostFactsOptions,
  ) {}

  /**
   * The host facts for a sandboxed run. A dry run (`dryRun`) spawns no probe: it answers from what
   * this object or the cache already knows, else assumes a fresh /proc.
   */
  async gather(req: HostFactsRequest, dryRun: boolean): Promise<RunHostFacts> {
    if (this.isWsl1()) throw new Wsl1UnsupportedError();
    const selection = this.selectLauncher(req);
    selection.warnings.forEach(this.options.onWarning);
    const checks = await this.hostChecks(selection.choice, req.policy, req.network, dryRun, req.mountProc);
    checks.warnings.forEach(this.options.onWarning);
    return { launcher: selection.choice, mountProc: checks.mountProc, warnings: [...selection.warnings, ...checks.warnings] };
  }

  /** Releases held bundled-bwrap descriptors; a later run chooses again. */
  dispose(): void {
    for (const selection of this.launchers.values()) selection.choice.release();
    this.launchers.clear();
  }

  private isWsl1(): boolean {
    if (this.wsl1 === undefined && this.options.procVersion !== undefined) this.wsl1 = isWsl1(this.options.procVersion);
    if (this.wsl1 === undefined) {
      try {
        this.wsl1 = isWsl1(fs.readFileSync('/proc/version', 'utf8'));
      } catch {
        this.wsl1 = false;
      }
    }
    return this.wsl1;
  }

  private selectLauncher(req: HostFactsRequest): LauncherSelection {
    const explicit = req.bwrap ?? this.options.bwrap;
    if (explicit !== undefined) return { choice: explicit, warnings: [] };
    const excludeUnder = [...new Set(writableDirs(req.policy, req.commandCwd))].sort();
    const key = excludeUnder.join('\0');
    const known = this.launchers.get(key);
    if (known !== undefined) return known;
    const env = this.options.env;
    const frontEndPath = this.options.frontEndPath ?? process.argv[1] ?? process.execPath;
    const selection = chooseLauncher({
      env,
      cwd: process.cwd(),
      excludeUnder,
      cache: this.cache,
      openBundled:
        this.options.openBundled ??
        (() => {
          const bundled = openBundledBwrap({ frontEndPath, env });
          // Where it was found and how it was verified: on stderr, with CODEX_SANDBOX_DEBUG=1 only.
          writeDebugLines(bundled.debug, env);
          return bundled.opened;
        }),
    });
    this.launchers.set(key, selection);
    return selection;
  }

  private async hostChecks(
    launcher: LauncherChoice,
    policy: ResolvedSandboxPolicy,
    network: BwrapNetworkMode,
    dryRun: boolean,
    procWanted: boolean,
  ): Promise<{ mountProc: boolean; warnings: string[] }> {
    const id = identityKey(launcher.identity);
    const warnings: string[] = [];
    const proc = procWanted ? await this.procMount(launcher, id, network, dryRun) : { mountProc: false, provedUserNamespaces: false };
    // No user-namespace warning for policies that do not confine the filesystem (full access,
    // external sandbox): those are not what the warning is about.
    if (policy.kind === 'restricted' && !dryRun) {
      let ok = this.memoUserNamespaces.get(id);
      if (ok === undefined) {
        ok = proc.provedUserNamespaces || (await this.userNamespacesOk(launcher));
        this.memoUserNamespaces.set(id, ok);
      }
      if (!ok) warnings.push(USER_NAMESPACE_WARNING);
    }
    return { mountProc: proc.mountProc, warnings };
  }

  /**
   * L24: a fresh /proc unless a preflight showed the host refuses it. The outcome is cached per
   * bwrap identity, boot, uid and network mode; an inconclusive preflight is not cached and keeps
   * /proc on, so the real run reports the real problem.
   */
  private async procMount(
    launcher: LauncherChoice,
    id: string,
    network: BwrapNetworkMode,
    dryRun: boolean,
  ): Promise<{ mountProc: boolean; provedUserNamespaces: boolean }> {
    const procKey = `${id}\0${network}`;
    const known = this.memoProc.get(procKey);
    if (known !== undefined) return { mountProc: known, provedUserNamespaces: false };
    const cached = this.cache.hostFacts(launcher.identity, this.host)?.procMount?.[network];
    if (dryRun) return { mountProc: cached !== 'no-proc', provedUserNamespaces: false };
    if (cached !== undefined) {
      this.memoProc.set(procKey, cached === 'mount-proc');
      return { mountProc: cached === 'mount-proc', provedUserNamespaces: false };
    }
    const outcome = await probeProcMount(launcher, network);
    // The preflight unshares the network in every mode but `full`: exiting 0 there proves user namespaces.
    const provedUserNamespaces = outcome === 'mount-proc' && network !== 'full';
    if (outcome !== undefined) {
      this.cache.updateHost(launcher.identity, this.host, (facts) => {
        facts.procMount = { ...facts.procMount, [network]: outcome };
        if (provedUserNamespaces) facts.userNamespacesOk = true;
      });
    }
    this.memoProc.set(procKey, outcome !== 'no-proc');
    return { mountProc: outcome !== 'no-proc', provedUserNamespaces };
  }

  /** The SHA-256 memo of our helper binaries, kept in the probe cache (state directory). */
  readonly digests = {
    known: (file: string, stat: fs.Stats): string | undefined => {
      const remembered = this.cache.binaryFacts(identityOfStat(file, stat))?.sha256;
      return remembered !== undefined && remembered.ctimeMs === stat.ctimeMs ? remembered.hex : undefined;
    },
    remember: (file: string, stat: fs.Stats, hex: string): void => {
      this.cache.update(identityOfStat(file, stat), (facts) => {
        facts.sha256 = { hex, ctimeMs: stat.ctimeMs };
      });
    },
  };

  /**
   * LL3: the kernel's Landlock ABI, which holds for a boot: from the cache (keyed by the helper
   * binary and the boot) or from `probe`, whose answer is cached.
   */
  landlockAbi(helper: { path: string; fd: number }, probe: LandlockAbiProbe): { abi: number; reason?: string } {
    const identity = identityOfStat(helper.path, fs.fstatSync(helper.fd));
    const cached = this.cache.hostFacts(identity, this.host)?.landlockAbi;
    if (cached !== undefined) return { abi: cached };
    const found = probe();
    this.cache.updateHost(identity, this.host, (facts) => {
      facts.landlockAbi = found.abi;
    });
    return found;
  }

  /**
   * G11: whether codex-mask-helper works in this launcher on this boot: from this object, the
   * cache (keyed by the helper's fingerprint) or a probe, whose answer is cached; an inconclusive
   * probe (timeout) is not cached and means bubblewrap makes the masks. A dry run never probes: it
   * answers from what is known, else assumes the helper works (and says it was not probed).
   */
  async maskHelper(launcher: LauncherChoice, helper: MaskHelper, mountProc: boolean, dryRun: boolean, tmpDirs: readonly string[]): Promise<MaskHelperAvailability> {
    const key = `${identityKey(launcher.identity)}\0${helper.fingerprint}`;
    const known = this.memoMaskHelper.get(key);
    if (known !== undefined) return known;
    const cached = this.cache.hostFacts(launcher.identity, this.host)?.maskHelper;
    if (cached !== undefined && cached.helper === helper.fingerprint) {
      const found: MaskHelperAvailability = cached.ok ? { usable: true, probed: true } : { usable: false, reason: cached.reason ?? 'its probe failed' };
      this.memoMaskHelper.set(key, found);
      return found;
    }
    if (dryRun) return { usable: true, probed: false };
    const outcome = await probeMaskHelper(launcher, helper.bytes, mountProc, tmpDirs);
    if (outcome === undefined) return { usable: false, reason: 'its probe did not finish' };
    this.cache.updateHost(launcher.identity, this.host, (facts) => {
      facts.maskHelper = { helper: helper.fingerprint, ok: outcome.ok, ...(outcome.ok ? {} : { reason: outcome.reason }) };
    });
    const found: MaskHelperAvailability = outcome.ok ? { usable: true, probed: true } : { usable: false, reason: outcome.reason };
    this.memoMaskHelper.set(key, found);
    return found;
  }

  /**
   * B7.3: whether bwrap can create the namespaces it needs (cached on success only). True when it
   * can, or when the probe could not tell (timeout, spawn error, unrelated failure).
   */
  private async userNamespacesOk(launcher: LauncherChoice): Promise<boolean> {
    if (this.cache.hostFacts(launcher.identity, this.host)?.userNamespacesOk === true) return true;
    const outcome = await probeUserNamespaces(launcher);
    if (outcome === 'ok') {
      this.cache.updateHost(launcher.identity, this.host, (facts) => {
        facts.userNamespacesOk = true;
      });
    }
    return outcome !== 'failed';
  }
}
