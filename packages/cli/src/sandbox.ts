// Owns one configured sandbox: config loading, profile selection and policy resolution done once,
// then any number of plan/run calls that reuse them and the backend (launcher choice, probes). This
// is what both the CLI and the library API use. A call resolves the command and its environment
// here, then hands over one way: the host's backend plans (linux-backend.ts, macos-backend.ts; a
// dry run may render another OS's plan, backend.ts says which), the dry run explains that plan
// (dry-run.ts), a run launches it (collected-run.ts); the managed network is loaded by
// managed-network-loader.ts. Must NOT parse command lines or print anything: warnings go to the
// caller's callback; failures are thrown as typed errors.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  PolicyError,
  computeCommandEnvironment,
  createAccessQuery,
  defaultCodexHome,
  loadConfig,
  parseShellEnvironmentPolicy,
  resolveSandboxPolicy,
  resolveSpelling,
  selectPermissionProfile,
  shellEnvironmentPolicies,
  type AccessQuery,
  type CommandEnvironment,
  type EnvironmentAddition,
  type FileSystemAccessMode,
  type PermissionProfile,
  type ResolvedSandboxPolicy,
  type ShellEnvironmentPolicyToml,
} from '@codex-sandbox/policy';
import { planRenderingFor, selectBackend, targetOsOf, type BackendRequest, type SandboxBackend, type TargetOs } from './backend.js';
import { runCollecting } from './collected-run.js';
import { resolveCommand } from './command-resolution.js';
import { dryRunResult, type DryRunResult } from './dry-run.js';
import {
  BackendNotImplementedError,
  CliError,
  CommandNotExecutableError,
  CommandNotFoundError,
  UnsupportedPlatformError,
  UsageError,
} from './errors.js';
import { frontEndStatePaths, withFrontEndState } from './front-end-state.js';
import { hiddenCommandRule } from './hidden-command.js';
import { checkNetworkEnforceable } from './network-enforcement.js';
import { readNetworkProxyFeature } from './network-proxy-feature.js';
import { linuxBackendFromFeatures } from './legacy-landlock.js';
import { openLinuxBackend } from './linux-backend.js';
import { openWindowsBackend, type WindowsPlannedLaunch } from './windows-backend.js';
import { requireWellFormed } from './raw-input.js';
import { registerUserFacingErrors } from './report-error.js';
// Types only: the proxy code loads (with net and http) only for a profile that asks for it.
import type { BlockedRequestEvent, Resolver } from '@codex-sandbox/proxy-bridge';
import { managedNetworkLoader } from './managed-network-loader.js';

registerUserFacingErrors(PolicyError);

export type Env = Record<string, string | undefined>;
/** `pipe`: stdin is empty and closed; stdout and stderr are collected into the result. */
export type StdioChoice = 'inherit' | 'ignore' | 'pipe';

export interface CreateSandboxOptions {
  /** `-P`: a built-in id (`:read-only`, `:workspace`, `:danger-full-access`) or a `[permissions]` name. */
  permissionProfile?: string;
  /** `-p`: layers `$CODEX_HOME/<NAME>.config.toml` over config.toml. */
  profile?: string;
  /** `-c key=value` overrides, later wins. Values are TOML, falling back to a plain string. */
  configOverrides?: readonly string[];
  /** Directory the profile is resolved against and commands run in. Default: process.cwd(). */
  cwd?: string;
  /**
   * Config directory. Default: $CODEX_HOME, else ~/.codex. It and the config files read from it
   * are read-only inside every sandbox, also inside writable roots, so a command cannot change the
   * profile of a later run.
   */
  codexHome?: string;
  /** Environment for config lookups and, by default, the input of the command's environment. Default: process.env. */
  env?: Env;
  /**
   * Rules for the command's environment, with the keys of `[shell_environment_policy]`
   * (`inherit`, `ignore_default_excludes`, `exclude`, `set`, `include_only`). They apply after
   * those of the config (top level, then the profile's), to what those let through. Validated
   * here: a mistake throws ConfigError naming `shellEnvironmentPolicy.<key>`.
   */
  shellEnvironmentPolicy?: ShellEnvironmentPolicyToml;
  /** Receives each warning (config, bubblewrap) as plain text, without a prefix. */
  onWarning?: (message: string) => void;
  /** Path of the front-end executable (locates the bundled bwrap). Default: process.argv[1]. */
  frontEndPath?: string;
  /** Called for every request the managed network proxy blocks (profiles with `domains` etc.). */
  onBlockedRequest?: (event: BlockedRequestEvent) => void;
  /** Name resolution of the managed network proxy (default: the system's); for hosts with their own naming, and tests. */
  resolveHost?: Resolver;
  /** macOS (`--allow-unix-socket`): Unix sockets the command may bind and connect to; relative paths resolve against cwd. */
  allowUnixSockets?: readonly string[];
  /** macOS (`--log-denials`): each run reports the sandbox denials of the command's process tree. */
  logDenials?: boolean;
}

export interface RunOptions {
  /** Where the command runs; default: the sandbox's cwd. */
  cwd?: string;
  /** The environment the policy starts from (it decides what the command gets); default: the sandbox's env. */
  env?: Env;
  /** The command's stdin/stdout/stderr; default 'inherit'. */
  stdio?: StdioChoice;
  /** Data written to the command's stdin (only with stdio 'pipe'). */
  input?: string | Buffer;
}

export interface DryRunOptions extends RunOptions {
  /** Render this OS's plan instead of the host's (`--os`); default: the host's. */
  os?: TargetOs;
}

export interface RunResult {
  /** The command's exit code; 128+N when it died from signal N. */
  exitCode: number;
  /** Collected output, with stdio 'pipe' only. */
  stdout?: Buffer;
  stderr?: Buffer;
  /** With the managed network proxy: the requests it blocked during this run (host, port, reason). */
  blockedRequests?: BlockedRequestEvent[];
  /** With the managed network proxy: why its tunnels stopped working during this run (the relay died). */
  networkFailure?: string;
  /** macOS with logDenials: `=== Sandbox denials ===` and one line per unique denial, or `None found.`. */
  denialReport?: string;
}

export interface SandboxPlan {
  /** Absolute path the command resolves to on the sandbox's PATH. */
  commandPath: string;
  /** Exactly what would be spawned (bwrap argv, or the bare command when no sandbox applies). */
  argv: string[];
  /** One line: what runs the command (which bubblewrap, seccomp filter, /proc). */
  backend: string;
  /** Environment variables added for the command after the environment policy. */
  envAdditions: Record<string, string>;
  /** The command's environment (sorted as it gets it) and each variable the policy dropped, with the rule. */
  environment: CommandEnvironment;
  /**
   * What the deny globs mask in this run: the real locations found at launch (a directory with its
   * subtree, a symlink's target). A match created later, or one the scan does not reach, is not.
   */
  denyGlobMatches: string[];
}

export interface Sandbox {
  /** Selected profile id (built-in id, `[permissions]` name, or the legacy mode's built-in). */
  readonly profileId: string;
  readonly profile: PermissionProfile;
  readonly policy: ResolvedSandboxPolicy;
  /** Every warning produced so far (also delivered to onWarning). */
  readonly warnings: readonly string[];
  /** What a path may do inside this sandbox. */
  accessFor(p: string): FileSystemAccessMode;
  /** The exact launch without running it. Throws CommandNotFound/NotExecutable like run(). */
  plan(command: readonly string[], options?: RunOptions): Promise<SandboxPlan>;
  /** Human-readable policy table plus command line (the CLI's --dry-run output). */
  explain(command: readonly string[], options?: RunOptions): Promise<string>;
  /**
   * The --dry-run: the explanation, and the exit status the run would end with before the command
   * starts (127 not found or hidden, 126 not executable; else 0). A command that cannot be found
   * is explained (which rule hides it), not thrown.
   */
  dryRun(command: readonly string[], options?: DryRunOptions): Promise<DryRunResult>;
  run(command: readonly string[], options?: RunOptions): Promise<RunResult>;
  /**
   * Releases what the backend holds (a bundled-bwrap descriptor) and stops the managed network
   * proxy, if one runs (without waiting; a later run starts a new one). The sandbox stays usable.
   */
  dispose(): void;
  /** dispose(), and stops the managed network proxy (if one was started), waiting until it is gone. Later runs refuse. */
  close(): Promise<void>;
}

/** Variable set for sandboxed commands when network is restricted (C5.3). */
export const NETWORK_DISABLED_VARIABLE = 'CODEX_SANDBOX_NETWORK_DISABLED';

function requireDirectory(dir: string): string {
  let stats: fs.Stats;
  try {
    stats = fs.statSync(dir);
  } catch {
    throw new CliError(`working directory ${dir} does not exist`);
  }
  if (!stats.isDirectory()) throw new CliError(`working directory ${dir} is not a directory`);
  return dir;
}

/** C1: the host's backend, or a refusal (never a run without one). */
function requireHostBackend(platform: NodeJS.Platform | string): TargetOs {
  const selection = selectBackend(platform);
  if (selection.kind === 'unsupported') throw new UnsupportedPlatformError(selection.os);
  if (selection.kind === 'not-implemented') throw new BackendNotImplementedError(selection.displayName, selection.os);
  return selection.os;
}

/** Variable set for commands under Seatbelt (M1). */
const SEATBELT_VARIABLE = 'CODEX_SANDBOX';

export function createSandbox(options: CreateSandboxOptions = {}): Sandbox {
  return createSandboxOn(process.platform, options);
}

/**
 * createSandbox for the backend of `hostPlatform`. Not exported by the package: the dispatch's
 * tests plan with another platform's backend here; nothing else may pick a backend the host lacks.
 */
export function createSandboxOn(hostPlatform: NodeJS.Platform | string, options: CreateSandboxOptions = {}): Sandbox {
  const hostOs = requireHostBackend(hostPlatform);
  const env: Env = options.env ?? process.env;
  const warnings: string[] = [];
  const warn = (message: string): void => {
    if (warnings.includes(message)) return;
    warnings.push(message);
    options.onWarning?.(message);
  };
  if (options.cwd !== undefined) requireWellFormed('the cwd', options.cwd);
  const cwd = requireDirectory(path.resolve(options.cwd ?? process.cwd()));
  // `~` in config expands against the HOME of the environment we were given, like a shell would.
  const givenHome = env['HOME'];
  const homeDir = givenHome !== undefined && path.isAbsolute(givenHome) ? givenHome : os.homedir();
  const codexHome = options.codexHome ?? defaultCodexHome(env, homeDir);
  const statePaths = frontEndStatePaths(codexHome, options.profile, process.cwd());
  const config = loadConfig({
    codexHome,
    ...(options.profile !== undefined ? { profileName: options.profile } : {}),
    overrides: [...(options.configOverrides ?? [])],
    cwd,
    homeDir,
    env,
  });
  config.warnings.forEach(warn);
  const selected = selectPermissionProfile(config, {
    ...(options.permissionProfile !== undefined ? { permissionProfile: options.permissionProfile } : {}),
    cwd,
  });
  selected.warnings.forEach(warn);
  // C5, C5.1: the command's environment comes from these tables, in this order.
  const environmentPolicies = shellEnvironmentPolicies(config.merged, selected.id);
  if (options.shellEnvironmentPolicy !== undefined) {
    const own = parseShellEnvironmentPolicy(options.shellEnvironmentPolicy, ['shellEnvironmentPolicy']);
    own.warnings.forEach(warn);
    environmentPolicies.push(own.policy);
  }
  const context = { cwd, workspaceRoots: selected.workspaceRoots, env };
  const policy = resolveSandboxPolicy(selected.profile, context);
  checkNetworkEnforceable({ profileId: selected.id, networkTable: selected.networkTable, network: policy.network }).forEach(warn);
  // N18: `features.network_proxy` (a mistake in it is named here, whatever the network bit).
  const proxyFeature = readNetworkProxyFeature(config.merged['features']);
  // Issue 11: a profile with domains (etc.) runs behind the managed proxy, in proxy-only mode.
  const managedNetwork = managedNetworkLoader({
    profileId: selected.id,
    networkTable: selected.networkTable,
    network: policy.network,
    feature: proxyFeature,
    upstreamEnv: env,
    onBlocked: options.onBlockedRequest,
    resolve: options.resolveHost,
    // Linux: decided tunnels go to codex-proxy-relay (splice), verified like our other helpers.
    ...(process.platform === 'linux' ? { tunnelRelay: () => linuxTunnelRelay() } : {}),
    warn,
  });
  const loadManaged = (): Promise<void> => managedNetwork.load();
  // LL1: features.use_legacy_landlock (config or -c) picks the Landlock backend.
  const linuxBackendKind = linuxBackendFromFeatures(config.merged['features']);
  let access: AccessQuery | undefined;
  const accessQuery = (): AccessQuery => (access ??= createAccessQuery(selected.profile, context, policy));
  const unixSocketPaths = (options.allowUnixSockets ?? []).map((p) => {
    requireWellFormed('an --allow-unix-socket path', p);
    return path.resolve(cwd, p);
  });
  const backends = new Map<TargetOs, SandboxBackend>();
  /** The backend that plans (and on its own OS runs) for `os`; macOS options are refused elsewhere. */
  const backendFor = async (os: TargetOs): Promise<SandboxBackend> => {
    if (os !== 'macos' && unixSocketPaths.length > 0) {
      throw new CliError('--allow-unix-socket is a macOS (Seatbelt) option; elsewhere allow Unix sockets in the profile (`unix_sockets` in `[permissions.NAME.network]`, enforced with the network on), refusing');
    }
    if (os !== 'macos' && options.logDenials === true) throw new CliError('--log-denials is a macOS (Seatbelt) option; refusing rather than ignoring it');
    const open = backends.get(os);
    if (open !== undefined) return open;
    let created: SandboxBackend;
    if (os === 'linux') {
      created = openLinuxBackend({
        env,
        frontEndPath: options.frontEndPath ?? process.argv[1] ?? '',
        onWarning: warn,
        protectedPaths: statePaths,
        backend: linuxBackendKind,
      });
    } else if (os === 'macos') {
      // LL1's switch picks between Linux backends; Seatbelt has no legacy mode to fall back to.
      if (linuxBackendKind === 'landlock') warn('features.use_legacy_landlock selects a Linux backend; the macOS plan uses Seatbelt');
      // Loaded only here: a Linux run never parses the Seatbelt generator.
      const { openMacosBackend } = await import('./macos-backend.js');
      created = openMacosBackend({ protectedPaths: statePaths });
    } else {
      // W1: planned from any host (host facts shown as placeholders); runs refuse off Windows.
      created = openWindowsBackend({ hostPlatform: process.platform, profile: selected.profile, context, codexHome, windowsConfig: config.merged['windows'], onWarning: warn });
    }
    backends.set(os, created);
    return created;
  };
  const linuxTunnelRelay = async (): Promise<string> => {
    const backend = await backendFor('linux');
    if (backend.tunnelRelayFile === undefined) throw new CliError('this backend has no native tunnel relay');
    return backend.tunnelRelayFile();
  };
  const macosRequest = (os: TargetOs): Pick<BackendRequest, 'unixSocketPaths' | 'logDenials'> =>
    os !== 'macos' ? {} : { ...(unixSocketPaths.length > 0 ? { unixSocketPaths } : {}), ...(options.logDenials === true ? { logDenials: true } : {}) };
  // What a path may do in the sandbox: the policy's answer, with the front end's state read-only.
  const protectState = (query: AccessQuery): AccessQuery => {
    if (!policy.needsSandbox) return query;
    const absolute = (p: string): string => resolveSpelling(path.isAbsolute(p) ? p : `${cwd}/${p}`);
    const access = (p: string): FileSystemAccessMode => withFrontEndState(absolute(p), query.access(p), statePaths);
    return { ...query, access, canWrite: (p) => access(p) === 'write' };
  };

  const isVisible = (p: string): boolean =>
    // Platform defaults (`:minimal`) are mounted by the backend and not modelled as entries: when they
    // apply, do not second-guess visibility (the sandbox itself still enforces it).
    policy.includePlatformDefaults || accessQuery().canRead(p);

  /** `lenient`: a command that cannot be found or executed is returned as `commandProblem`, not thrown. */
  const prepare = (command: readonly string[], runOptions: RunOptions, lenient = false, os: TargetOs = hostOs) => {
    const [program] = command;
    if (program === undefined) throw new UsageError('missing COMMAND to run');
    command.forEach((word, index) => requireWellFormed(index === 0 ? 'the command' : `argument ${index} of the command`, word));
    if (runOptions.cwd !== undefined) requireWellFormed('the run cwd', runOptions.cwd);
    const commandCwd = requireDirectory(path.resolve(cwd, runOptions.cwd ?? '.'));
    const baseEnv = runOptions.env ?? env;
    for (const [name, value] of Object.entries(baseEnv)) {
      requireWellFormed('the name of an environment variable', name);
      if (value !== undefined) requireWellFormed(`the value of environment variable ${name}`, value, { showValue: false });
    }
    const additions: EnvironmentAddition[] =
      policy.needsSandbox && policy.network === 'restricted' ? [{ name: NETWORK_DISABLED_VARIABLE, value: '1', reason: 'the network is restricted' }] : [];
    if (policy.needsSandbox && os === 'macos') additions.push({ name: SEATBELT_VARIABLE, value: 'seatbelt', reason: 'the command runs under Seatbelt' });
    const managed = managedNetwork.session;
    if (managed !== undefined) additions.push(...managed.additions());
    const environment = computeCommandEnvironment(baseEnv, environmentPolicies, additions);
    const envAdditions = Object.fromEntries(additions.map((a) => [a.name, a.value]));
    const commandEnv: Env = managed === undefined ? environment.env : managed.applyEnv(environment.env);
    let commandPath: string | undefined;
    let commandProblem: CommandNotFoundError | CommandNotExecutableError | undefined;
    try {
      commandPath = resolveCommand(program, {
        searchPath: commandEnv['PATH'],
        cwd: commandCwd,
        ...(policy.needsSandbox ? { isVisibleInSandbox: isVisible, hidingRule: (p: string) => hiddenCommandRule(policy, p) } : {}),
      });
    } catch (error) {
      if (!lenient || !(error instanceof CommandNotFoundError || error instanceof CommandNotExecutableError)) throw error;
      commandProblem = error;
    }
    return { command: [...command], commandCwd, commandEnv, commandPath, commandProblem, envAdditions, environment };
  };

  /** The backend's plan for a prepared command, and what the dry run needs to explain it. */
  const planPrepared = async (prepared: ReturnType<typeof prepare>, os: TargetOs = hostOs) => {
    const managed = managedNetwork.session;
    const launch: WindowsPlannedLaunch = await (await backendFor(os)).plan({
      policy,
      command: prepared.command,
      cwd: prepared.commandCwd,
      env: prepared.commandEnv,
      ...macosRequest(os),
      // The proxy's sockets exist only once a run starts it; the plan shows where they will be.
      ...(managed === undefined
        ? {}
        : { network: 'proxy-only' as const, proxyRoutes: managed.plannedRoutes(prepared.commandEnv), unixSockets: managed.unixSockets() }),
    });
    const planned: SandboxPlan = {
      commandPath: prepared.commandPath as string,
      argv: launch.argv,
      backend: launch.description,
      envAdditions: prepared.envAdditions,
      environment: prepared.environment,
      denyGlobMatches: launch.denyGlobMatches,
    };
    const sections = [...(launch.sections ?? []), ...(launch.windows === undefined ? [] : [{ title: 'windows', rows: launch.windows.lines }])];
    return { planned, placeholders: launch.placeholders, sections, seatbelt: launch.seatbelt, windows: launch.windows, network: launch.network, unixSockets: launch.unixSockets };
  };
  const plan = async (command: readonly string[], runOptions: RunOptions = {}): Promise<SandboxPlan> => {
    await loadManaged();
    return (await planPrepared(prepare(command, runOptions))).planned;
  };

  const dryRun = async (command: readonly string[], runOptions: DryRunOptions = {}): Promise<DryRunResult> => {
    const rendering = planRenderingFor(runOptions.os ?? hostOs, hostPlatform);
    if (rendering.kind === 'refuse') throw new CliError(`--os ${runOptions.os ?? hostOs}: ${rendering.reason}`);
    const os = rendering.os;
    await loadManaged();
    const prepared = command.length > 0 ? prepare(command, runOptions, true, os) : undefined;
    const launch = prepared === undefined ? undefined : await planPrepared(prepared, os);
    const result = dryRunResult({
      os,
      hostOs: targetOsOf(hostPlatform) ?? hostOs,
      warnings,
      profileId: selected.id,
      policy,
      codexHome: statePaths[0] ?? codexHome,
      command,
      ...(prepared === undefined ? {} : { prepared }),
      ...(launch === undefined
        ? {}
        : {
            launch: {
              ...launch.planned,
              placeholders: launch.placeholders,
              sections: launch.sections,
              ...(launch.seatbelt !== undefined ? { seatbelt: launch.seatbelt } : {}),
              ...(launch.unixSockets !== undefined ? { unixSockets: launch.unixSockets } : {}),
              ...(launch.network !== undefined ? { network: launch.network } : {}),
            },
          }),
      // macOS checks deny globs by regex at every access; Linux masks what its scan found at launch.
      enforcedAccess: (denyGlobMatches) => protectState(os === 'macos' ? accessQuery() : createAccessQuery(selected.profile, context, policy, { denyGlobMatches })),
      managed: managedNetwork.session,
    });
    if (launch?.windows === undefined) return result;
    return { ...result, windows: launch.windows.json, json: { ...result.json, windows: launch.windows.json } };
  };

  return {
    profileId: selected.id,
    profile: selected.profile,
    policy,
    warnings,
    // Relative to cwd, `..` resolved as the kernel walks it (not as text).
    accessFor: (p) => protectState(accessQuery()).access(p),
    plan,
    async explain(command, runOptions = {}) {
      return (await dryRun(command, runOptions)).text;
    },
    dryRun,
    async run(command, runOptions = {}) {
      await loadManaged();
      const prepared = prepare(command, runOptions);
      const session = managedNetwork.session;
      if (session !== undefined) {
        const routes = await session.runRoutes(prepared.commandEnv);
        const unixSockets = session.unixSockets();
        const { value, blocked, failure } = await session.track(() => runPrepared(prepared, runOptions, { network: 'proxy-only', proxyRoutes: routes, unixSockets }));
        return { ...value, blockedRequests: blocked, ...(failure !== undefined ? { networkFailure: failure } : {}) };
      }
      return runPrepared(prepared, runOptions, {});
    },
    dispose() {
      for (const backend of backends.values()) backend.dispose();
      backends.clear();
      void managedNetwork.session?.stop();
    },
    async close() {
      for (const backend of backends.values()) backend.dispose();
      backends.clear();
      await managedNetwork.session?.close();
    },
  };

  async function runPrepared(
    prepared: ReturnType<typeof prepare>,
    runOptions: RunOptions,
    network: Pick<BackendRequest, 'network' | 'proxyRoutes' | 'unixSockets'>,
  ): Promise<RunResult> {
    const request = { policy, command: prepared.command, cwd: prepared.commandCwd, env: prepared.commandEnv, ...network, ...macosRequest(hostOs) };
    return runCollecting(await backendFor(hostOs), request, runOptions.stdio ?? 'inherit', runOptions.input);
  }
}
