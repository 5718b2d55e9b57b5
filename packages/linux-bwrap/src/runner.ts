// Owns running one command under bubblewrap for a resolved policy: choosing the launcher (once per
// sandbox object), the host checks, expanding deny globs, building the plan, handing bwrap its
// descriptors (seccomp program, empty data, status file), forwarding signals to the command's
// process group, passing the exit status through, and the placeholder bookkeeping around the run.
// Must NOT decide bwrap arguments or seccomp rules (bwrap-args.ts / seccomp.ts do) and must never
// fall back to running a command with less confinement than the policy asks for.

import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { openBundledBwrap, writeDebugLines } from '@codex-sandbox/bundled-bwrap';
import {
  commandLookupExitCode,
  commandLookupMessage,
  encodeNetnsHelperSpec,
  lookUpCommand,
  type CommandLookupFailure,
  type ResolvedSandboxPolicy,
} from '@codex-sandbox/policy';

import { buildBwrapArgs, type BwrapNetworkMode } from './bwrap-args.js';
import { launchChild, type StdioSlot } from './child-launch.js';
import { expandDenyGlobs, findExecutableOnPath } from './deny-globs.js';
import { spawnWithoutInheritedDescriptors } from './inherited-descriptors.js';
import {
  assignDataDescriptors,
  descriptorAtOrAbove,
  FIRST_DATA_FD,
  readStatusFile,
  SECCOMP_FD,
  STATUS_FD,
  unnamedDataFile,
  unnamedFileDirectories,
  unnamedStatusFile,
} from './descriptors.js';
import { chooseLauncher, type BundledBwrapOpener, type LauncherChoice, type LauncherSelection } from './launcher.js';
import { checkUserNamespaces, decideProcMount } from './preflight.js';
import { defaultCacheDir, hostKey, identityKey, ProbeCache } from './probe-cache.js';
import { defaultRegistryDir, PlaceholderRegistry, type PlaceholderTarget } from './registry.js';
import { prepareStateDir, REGISTRY_DIR_NAME } from './state-dir.js';
import { BwrapSpawnError, SandboxRequestError, Wsl1UnsupportedError } from './runtime-errors.js';
import { buildSeccompProgram, type SeccompMode } from './seccomp.js';
import { exitStatusOf, initPidFromStatus, SandboxSignalTarget, signalForwarding } from './signals.js';
import { commandVisibility, visibilityRules } from './visibility.js';
import { USER_NAMESPACE_WARNING } from './warnings.js';
import { isWsl1 } from './wsl.js';
import { checkProxyRoutes, type ProxyRoute } from './proxy-only-args.js';
import { loadNetnsHelper, type NetnsHelper } from './netns-helper.js';
import { checkRouteSockets, NETNS_HELPER_FD, NETNS_SPEC_FD, PROXY_ONLY_FIRST_DATA_FD } from './proxy-only-run.js';

export type { BwrapNetworkMode } from './bwrap-args.js';
export { assignDataDescriptors } from './descriptors.js';

/** One of the command's standard descriptors. */
export type { StdioSlot } from './child-launch.js';

export interface SandboxRunRequest {
  policy: ResolvedSandboxPolicy;
  /** argv of the command; argv[0] is looked up on the command's PATH inside the sandbox. */
  command: string[];
  /** Absolute directory the command starts in. */
  commandCwd: string;
  /** The command's complete environment (undefined values are dropped). */
  env: Record<string, string | undefined>;
  /** Default: `full` when the policy enables network, else `isolated`. */
  network?: BwrapNetworkMode;
  /** Use this launcher instead of choosing one (tests, or a caller that chose already). */
  bwrap?: LauncherChoice;
  /** Default `inherit`. */
  stdio?: 'inherit' | 'ignore' | 'pipe' | [StdioSlot, StdioSlot, StdioSlot];
  /** Called once the process is spawned (to use piped streams). */
  onSpawn?: (child: ChildProcess) => void;
  /**
   * `false`: never mount a fresh /proc; the sandbox's /proc is an empty tmpfs (and no /proc
   * preflight runs). Default: a fresh /proc unless the host refuses it.
   */
  mountProc?: boolean;
  /**
   * Required with `network: 'proxy-only'` (refused otherwise): the only ways out of the command's
   * network namespace, each a 127.0.0.1 port bridged to a host Unix socket (the managed proxy's).
   */
  proxyRoutes?: readonly ProxyRoute[];
}

export interface SandboxRunResult {
  /** The command's exit status; 128+N when it was killed by signal N. */
  exitCode: number;
  warnings: string[];
}

export interface SandboxPlan {
  /** `bwrap`: run argv under bubblewrap; `direct`: the policy restricts nothing, argv is the command. */
  mode: 'bwrap' | 'direct';
  /**
   * The complete command line, program first. For bwrap runs the descriptor numbers (3 seccomp,
   * 4 status, 5.. empty data) are those a real run passes; a bundled bwrap is shown by its path.
   */
  argv: string[];
  launcher?: { kind: LauncherChoice['kind']; path: string };
  seccompMode: 'none' | SeccompMode;
  mountProc: boolean;
  syntheticTargets: PlaceholderTarget[];
  warnings: string[];
  /**
   * What the deny globs mask in this run: the real locations the scan found (each masked with
   * its subtree). Anything else a pattern matches (created later, deeper than the scan depth,
   * reached only through a symlinked directory, another hard link) stays readable.
   */
  denyGlobMatches: string[];
  /** proxy-only: the routes, host socket and in-sandbox socket of each. */
  proxyRoutes?: Array<ProxyRoute & { socketInSandbox: string }>;
}

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
}

export interface LinuxSandbox {
  run(req: SandboxRunRequest): Promise<SandboxRunResult>;
  plan(req: SandboxRunRequest): Promise<SandboxPlan>;
  /** Releases a held bundled-bwrap descriptor. */
  dispose(): void;
}


function defaultNetwork(policy: ResolvedSandboxPolicy): BwrapNetworkMode {
  return policy.network === 'enabled' ? 'full' : 'isolated';
}

/** Pure: the policy restricts nothing this backend enforces, so the command runs as is. */
export function runsUnsandboxed(policy: ResolvedSandboxPolicy, network: BwrapNetworkMode): boolean {
  if (network === 'proxy-only') return false;
  if (!policy.needsSandbox) return true;
  return (
    network === 'full' &&
    (policy.kind !== 'restricted' || policy.fullDiskWrite) &&
    policy.unreadableRoots.length === 0 &&
    policy.unreadableGlobs.length === 0
  );
}

function cleanEnv(env: Record<string, string | undefined>): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined) result[key] = value;
  return result;
}

function validateRequest(req: Pick<SandboxRunRequest, 'command' | 'commandCwd'>): void {
  if (req.command.length === 0 || req.command[0] === '') {
    throw new SandboxRequestError('no command to run: give the command and its arguments after the options');
  }
  if (!path.isAbsolute(req.commandCwd)) {
    throw new SandboxRequestError(`command cwd ${req.commandCwd} is relative; pass an absolute directory`);
  }
}

/** Writes a front-end message where the command's stderr would go (nowhere for ignore / pipe). */
function writeToCommandStderr(message: string, stdio: SandboxRunRequest['stdio']): void {
  const stderr = stdioSlots(stdio)[2];
  if (stderr === 'inherit') process.stderr.write(message);
  else if (typeof stderr === 'number') fs.writeSync(stderr, message);
}

/** What a shell prints and returns for a command it cannot start (127 not found or hidden, 126 not executable). */
function reportCommandFailure(program: string, failure: CommandLookupFailure, stdio: SandboxRunRequest['stdio']): number {
  writeToCommandStderr(`codex sandbox: ${commandLookupMessage(program, failure)}\n`, stdio);
  return commandLookupExitCode(failure);
}

/**
 * Where no host-side helper (bwrap, rg) is taken from: the workspace, the command's cwd, every
 * writable root, and the front end's own cwd (relative PATH entries resolve there).
 */
function writableDirs(policy: ResolvedSandboxPolicy, commandCwd: string): string[] {
  return [policy.cwd, commandCwd, ...frontEndCwd(), ...policy.writableRoots.map((root) => root.root)];
}

function frontEndCwd(): string[] {
  try {
    return [process.cwd()];
  } catch {
    return []; // Removed: relative PATH entries resolve nowhere.
  }
}

function stdioSlots(stdio: SandboxRunRequest['stdio']): [StdioSlot, StdioSlot, StdioSlot] {
  if (stdio === undefined || stdio === 'inherit') return ['inherit', 'inherit', 'inherit'];
  if (stdio === 'ignore') return ['ignore', 'ignore', 'ignore'];
  if (stdio === 'pipe') return ['pipe', 'pipe', 'pipe'];
  return stdio;
}

interface PreparedRun {
  plan: SandboxPlan;
  launcher: LauncherChoice;
  /** bwrap arguments (program excluded) with the status fd and per-use data descriptors filled in. */
  args: string[];
  dataDescriptorCount: number;
  seccompProgram: Buffer | undefined;
  /** Concrete paths the deny globs matched (canonical). */
  denyGlobMatches: string[];
  /** proxy-only: the encoded NetnsHelperSpec (routes + the command's seccomp program) and the host sockets. */
  proxyOnly?: { spec: Uint8Array; hostSockets: string[] };
}

class LinuxSandboxImpl implements LinuxSandbox {
  private readonly env: Record<string, string | undefined>;
  private readonly cache: ProbeCache;
  private readonly host = hostKey();
  private readonly registry: PlaceholderRegistry;
  /** Canonical state directory (probe cache + registry), bound read-only into every sandbox. */
  private readonly stateDir: string | undefined;
  private readonly launchers = new Map<string, LauncherSelection>();
  private readonly memoProc = new Map<string, boolean>();
  private readonly memoUserNamespaces = new Map<string, boolean>();
  private wsl1: boolean | undefined;
  private netnsHelper: NetnsHelper | undefined;

  constructor(private readonly options: LinuxSandboxOptions) {
    this.env = options.env ?? process.env;
    const cacheDir = options.cacheDir === undefined ? defaultCacheDir(this.env) : options.cacheDir ?? undefined;
    // Made before anything is planned, so every sandbox can bind it read-only (see state-dir.ts).
    this.stateDir = prepareStateDir(cacheDir);
    this.cache = new ProbeCache(this.stateDir);
    this.registry = new PlaceholderRegistry(
      this.stateDir === undefined ? defaultRegistryDir(options.tmpDir) : path.join(this.stateDir, REGISTRY_DIR_NAME),
    );
  }

  private readonly emitWarning = (message: string): void => {
    this.options.onWarning?.(message);
  };

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

  private selectLauncher(req: SandboxRunRequest): LauncherSelection {
    const explicit = req.bwrap ?? this.options.bwrap;
    if (explicit !== undefined) return { choice: explicit, warnings: [] };
    const excludeUnder = [...new Set(writableDirs(req.policy, req.commandCwd))].sort();
    const key = excludeUnder.join('\0');
    const known = this.launchers.get(key);
    if (known !== undefined) return known;
    const frontEndPath = this.options.frontEndPath ?? process.argv[1] ?? process.execPath;
    const selection = chooseLauncher({
      env: this.env,
      cwd: process.cwd(),
      excludeUnder,
      cache: this.cache,
      openBundled:
        this.options.openBundled ??
        (() => {
          const bundled = openBundledBwrap({ frontEndPath, env: this.env });
          // Where it was found and how it was verified: on stderr, with CODEX_SANDBOX_DEBUG=1 only.
          writeDebugLines(bundled.debug, this.env);
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
    const procKey = `${id}\0${network}`;
    let mountProc = procWanted ? this.memoProc.get(procKey) : false;
    let provedUserNamespaces = false;
    if (mountProc === undefined) {
      if (dryRun) {
        mountProc = this.cache.hostFacts(launcher.identity, this.host)?.procMount?.[network] !== 'no-proc';
      } else {
        const decision = await decideProcMount(launcher, network, this.cache, this.host);
        mountProc = decision.mountProc;
        provedUserNamespaces = decision.provedUserNamespaces;
        this.memoProc.set(procKey, mountProc);
      }
    }
    // No user-namespace warning for policies that do not confine the filesystem (full access,
    // external sandbox): those are not what the warning is about.
    if (policy.kind === 'restricted' && !dryRun) {
      let ok = this.memoUserNamespaces.get(id);
      if (ok === undefined) {
        ok = provedUserNamespaces || (await checkUserNamespaces(launcher, this.cache, this.host));
        this.memoUserNamespaces.set(id, ok);
      }
      if (!ok) warnings.push(USER_NAMESPACE_WARNING);
    }
    return { mountProc, warnings };
  }

  private async prepare(req: SandboxRunRequest, dryRun: boolean): Promise<PreparedRun | SandboxPlan> {
    validateRequest(req);
    const network = req.network ?? defaultNetwork(req.policy);
    if (runsUnsandboxed(req.policy, network)) {
      return { mode: 'direct', argv: [...req.command], seccompMode: 'none', mountProc: false, syntheticTargets: [], warnings: [], denyGlobMatches: [] };
    }
    if (this.isWsl1()) throw new Wsl1UnsupportedError();
    const selection = this.selectLauncher(req);
    const launcher = selection.choice;
    selection.warnings.forEach(this.emitWarning);
    const checks = await this.hostChecks(launcher, req.policy, network, dryRun, req.mountProc ?? true);
    checks.warnings.forEach(this.emitWarning);
    const denyGlobMatches = req.policy.unreadableGlobs.length === 0 ? [] : await this.expandDenyGlobs(req);
    const proxyRoutes = network === 'proxy-only' ? checkProxyRoutes(req.proxyRoutes) : undefined;
    if (proxyRoutes === undefined && req.proxyRoutes !== undefined) {
      throw new SandboxRequestError(`proxyRoutes were given for ${network} network; they are used only with network: 'proxy-only'`);
    }
    const firstDataFd = proxyRoutes === undefined ? FIRST_DATA_FD : PROXY_ONLY_FIRST_DATA_FD;
    const bwrapPlan = buildBwrapArgs(req.policy, {
      commandCwd: req.commandCwd,
      command: req.command,
      network,
      mountProc: checks.mountProc,
      emptyDataFd: firstDataFd,
      seccompFd: SECCOMP_FD,
      ...(proxyRoutes === undefined ? {} : { proxyOnly: { routes: proxyRoutes, helperFd: NETNS_HELPER_FD, specFd: NETNS_SPEC_FD } }),
      extraReadOnlyBinds: [...(this.stateDir === undefined ? [this.registry.root] : [this.stateDir]), ...this.frontEndFiles()],
      protectedPaths: this.options.protectedPaths ?? [],
      denyGlobMatches,
    });
    const withData = assignDataDescriptors(bwrapPlan.args, firstDataFd, firstDataFd);
    const args = ['--json-status-fd', String(STATUS_FD), ...withData.args];
    const program =
      bwrapPlan.seccompMode === 'none' ? undefined : buildSeccompProgram(bwrapPlan.seccompMode, process.arch);
    // proxy-only: the helper gets the program in its spec and installs it on the command only.
    const seccompProgram = proxyRoutes === undefined ? program : undefined;
    let proxyOnly: PreparedRun['proxyOnly'];
    if (proxyRoutes !== undefined) {
      if (program === undefined) throw new SandboxRequestError('proxy-only network always needs the proxy-routed seccomp program');
      proxyOnly = { spec: encodeNetnsHelperSpec({ routes: bwrapPlan.proxyRoutes ?? [], seccompProgram: program }), hostSockets: proxyRoutes.map((r) => r.socketPath) };
    }
    const plan: SandboxPlan = {
      mode: 'bwrap',
      // The binary's path, also for a bundled one (executed through /proc/self/fd/N at run time).
      argv: [launcher.path, ...args],
      launcher: { kind: launcher.kind, path: launcher.path },
      seccompMode: bwrapPlan.seccompMode,
      mountProc: checks.mountProc,
      syntheticTargets: bwrapPlan.syntheticTargets.map((t) => ({ path: t.path, kind: t.kind, preexisting: t.preexisting })),
      warnings: [...selection.warnings, ...checks.warnings],
      denyGlobMatches,
      ...(proxyRoutes === undefined
        ? {}
        : { proxyRoutes: proxyRoutes.map((r, i) => ({ ...r, socketInSandbox: bwrapPlan.proxyRoutes?.[i]?.socketPath ?? '' })) }),
    };
    return { plan, launcher, args, dataDescriptorCount: withData.count, seccompProgram, denyGlobMatches, ...(proxyOnly === undefined ? {} : { proxyOnly }) };
  }

  /** Deny-glob matches on the host now, scanned with rg + find when trustworthy ones are on PATH. */
  private expandDenyGlobs(req: SandboxRunRequest): Promise<string[]> {
    const excludeUnder = writableDirs(req.policy, req.commandCwd);
    const rgPath = findExecutableOnPath('rg', this.env['PATH'], excludeUnder);
    return expandDenyGlobs(req.policy.unreadableGlobs, { maxDepth: req.policy.globScanMaxDepth, rgPath, pathEnv: this.env['PATH'], excludeUnder });
  }

  /**
   * The front end's own program, its bundled resources and the Node that runs it, canonical, when
   * they exist: bound read-only wherever the command could write them (a workspace holding
   * node_modules/.bin/codex), so a command cannot rewrite what the next run executes on the host.
   */
  private frontEndFiles(): string[] {
    const frontEnd = this.options.frontEndPath ?? process.argv[1];
    const candidates = [process.execPath];
    if (frontEnd !== undefined && path.isAbsolute(frontEnd)) candidates.push(frontEnd, path.join(path.dirname(frontEnd), 'codex-resources'));
    const out: string[] = [];
    for (const candidate of candidates) {
      try {
        out.push(fs.realpathSync.native(candidate));
      } catch {
        // Not there (no bundled resources): nothing to protect.
      }
    }
    return [...new Set(out)];
  }

  /** Read and verified once per sandbox object; the same bytes serve every later run. */
  private loadHelper(): NetnsHelper {
    this.netnsHelper ??= this.options.netnsHelper?.() ?? loadNetnsHelper({ frontEndPath: this.options.frontEndPath ?? process.argv[1], env: this.env });
    return this.netnsHelper;
  }

  async plan(req: SandboxRunRequest): Promise<SandboxPlan> {
    const prepared = await this.prepare(req, true);
    return 'args' in prepared ? prepared.plan : prepared;
  }

  async run(req: SandboxRunRequest): Promise<SandboxRunResult> {
    // Placeholders of killed runs go first, so this run plans against the real state of the tree.
    const network = req.network ?? defaultNetwork(req.policy);
    if (!runsUnsandboxed(req.policy, network)) this.registry.sweep();
    validateRequest(req);
    const program = req.command[0];
    const lookupOptions = { searchPath: req.env['PATH'], cwd: req.commandCwd };
    const restricted = req.policy.kind === 'restricted';
    // On the host first: a program that is not there needs no plan. Under a restricted policy the
    // lookup with the sandbox's visibility below decides the rest (a hidden candidate counts as none).
    const onHost = program === undefined ? undefined : lookUpCommand(program, lookupOptions);
    if (program !== undefined && onHost !== undefined && (onHost.kind === 'not-found' || (!restricted && onHost.kind === 'not-executable'))) {
      return { exitCode: reportCommandFailure(program, onHost, req.stdio), warnings: [] };
    }
    const prepared = await this.prepare(req, false);
    if (!('args' in prepared)) {
      const result = await runDirect(req, this.options.forwardSignals ?? true);
      return { exitCode: result, warnings: prepared.warnings };
    }
    if (program !== undefined && restricted) {
      // Decided from the policy, before bwrap: otherwise bwrap's own execvp error and exit 1.
      const visibility = commandVisibility(visibilityRules(req.policy, prepared.denyGlobMatches));
      const lookup = lookUpCommand(program, { ...lookupOptions, visible: visibility.visible });
      if (lookup.kind !== 'found') {
        const failure = lookup.kind === 'hidden' ? { ...lookup, rule: visibility.rule(lookup.path) } : lookup;
        return { exitCode: reportCommandFailure(program, failure, req.stdio), warnings: prepared.plan.warnings };
      }
    }
    const exitCode = await this.runBwrap(req, prepared);
    return { exitCode, warnings: prepared.plan.warnings };
  }

  private async runBwrap(req: SandboxRunRequest, prepared: PreparedRun): Promise<number> {
    const targets = prepared.plan.syntheticTargets;
    const opened: number[] = [];
    let marker: string | undefined;
    let heldExec: { fd: number; close: () => void } | undefined;
    try {
      const unnamedDirs = unnamedFileDirectories(this.options.tmpDir ?? os.tmpdir());
      const seccompFd = prepared.seccompProgram === undefined ? undefined : unnamedDataFile(prepared.seccompProgram, unnamedDirs);
      if (seccompFd !== undefined) opened.push(seccompFd);
      const dataFds: number[] = [];
      for (let i = 0; i < prepared.dataDescriptorCount; i += 1) {
        const fd = fs.openSync('/dev/null', 'r');
        opened.push(fd);
        dataFds.push(fd);
      }
      const statusFd = unnamedStatusFile(unnamedDirs);
      opened.push(statusFd);
      const proxyFds: number[] = [];
      if (prepared.proxyOnly !== undefined) {
        // Checked now, right before bwrap binds them: a route to nothing refuses the run.
        checkRouteSockets(prepared.proxyOnly.hostSockets);
        const helper = this.loadHelper();
        for (const bytes of [helper.bytes, prepared.proxyOnly.spec]) {
          const fd = unnamedDataFile(Buffer.from(bytes), unnamedDirs);
          opened.push(fd);
          proxyFds.push(fd);
        }
      }
      const stdio: StdioSlot[] = [...stdioSlots(req.stdio), seccompFd ?? 'ignore', statusFd, ...proxyFds, ...dataFds];
      let file = prepared.launcher.exec.file;
      if (prepared.launcher.heldFd !== undefined) {
        heldExec = descriptorAtOrAbove(prepared.launcher.heldFd, stdio.length);
        file = `/proc/self/fd/${heldExec.fd}`;
      }
      marker = this.registry.register(targets);
      return await spawnAndWait(file, prepared, stdio, () => initPidFromStatus(readStatusFile(statusFd)), req, this.options.forwardSignals ?? true);
    } finally {
      for (const fd of opened) fs.closeSync(fd);
      heldExec?.close();
      if (marker !== undefined) this.registry.release(targets, marker);
    }
  }
}

async function spawnAndWait(
  file: string,
  prepared: PreparedRun,
  stdio: StdioSlot[],
  readInitPid: () => number | undefined,
  req: SandboxRunRequest,
  forwardSignals: boolean,
): Promise<number> {
  const child = await spawnWithoutInheritedDescriptors(() => launchChild({
    file,
    argv0: prepared.launcher.exec.argv0,
    args: prepared.args,
    cwd: req.commandCwd,
    env: cleanEnv(req.env),
    stdio,
    // Own session: a terminal's SIGINT reaches only the front end, which forwards it once.
    detached: true,
    onSpawn: req.onSpawn,
  }));
  const target = new SandboxSignalTarget(child, readInitPid);
  const stopForwarding = forwardSignals ? signalForwarding.add(target.send) : () => {};
  const end = await child.ended;
  target.finish();
  stopForwarding();
  if (end.kind === 'not-started') throw new BwrapSpawnError(`cannot start bubblewrap ${prepared.launcher.path}: ${end.message}`);
  return exitStatusOf(end.code, end.signal);
}

/** Runs the command itself, no sandbox (full access). Signals are forwarded like for sandboxed runs. */
async function runDirect(req: DirectRunRequest, forwardSignals: boolean): Promise<number> {
  const [program, ...args] = req.command;
  if (program === undefined) throw new SandboxRequestError('no command to run');
  const child = await spawnWithoutInheritedDescriptors(() => launchChild({
    file: program,
    argv0: program,
    args,
    cwd: req.commandCwd,
    env: cleanEnv(req.env),
    stdio: stdioSlots(req.stdio),
    detached: true,
    onSpawn: req.onSpawn,
  }));
  const forward = (signal: NodeJS.Signals): void => {
    if (child.pid === undefined) return;
    try {
      process.kill(-child.pid, signal);
    } catch {
      child.kill(signal);
    }
  };
  const stopForwarding = forwardSignals ? signalForwarding.add(forward) : () => {};
  const end = await child.ended;
  stopForwarding();
  if (end.kind === 'not-started') {
    // What a shell reports: 127 for a missing command, 126 when it cannot be executed.
    writeToCommandStderr(`codex sandbox: ${program}: ${end.message}\n`, req.stdio);
    return end.code === 'ENOENT' ? 127 : 126;
  }
  return exitStatusOf(end.code, end.signal);
}

/** A sandbox object that remembers its launcher choice and host checks across runs. */
export function createLinuxSandbox(options: LinuxSandboxOptions = {}): LinuxSandbox {
  return new LinuxSandboxImpl(options);
}

type DirectRunRequest = Pick<SandboxRunRequest, 'command' | 'commandCwd' | 'env' | 'stdio' | 'onSpawn'>;
