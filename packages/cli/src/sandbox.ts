// Owns one configured sandbox: config loading, profile selection and policy resolution done once,
// then any number of plan/run calls that reuse them and the backend (launcher choice, probes). This
// is what both the CLI and the library API use. Must NOT parse command lines or print anything:
// warnings go to the caller's callback; failures are thrown as typed errors.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  PolicyError,
  createAccessQuery,
  defaultCodexHome,
  loadConfig,
  resolveSandboxPolicy,
  selectPermissionProfile,
  type AccessQuery,
  type FileSystemAccessMode,
  type PermissionProfile,
  type ResolvedSandboxPolicy,
} from '@codex-sandbox/policy';
import { selectBackend } from './backend.js';
import { resolveCommand } from './command-resolution.js';
import { BackendNotImplementedError, CliError, UnsupportedPlatformError, UsageError } from './errors.js';
import { formatExplanation } from './explain.js';
import { openLinuxBackend, type LinuxBackend } from './linux-backend.js';
import { requireWellFormed } from './raw-input.js';
import { registerUserFacingErrors } from './report-error.js';

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
  /** Config directory. Default: $CODEX_HOME, else ~/.codex. */
  codexHome?: string;
  /** Environment for config lookups and, by default, for commands. Default: process.env. */
  env?: Env;
  /** Receives each warning (config, bubblewrap) as plain text, without a prefix. */
  onWarning?: (message: string) => void;
  /** Path of the front-end executable (locates the bundled bwrap). Default: process.argv[1]. */
  frontEndPath?: string;
}

export interface RunOptions {
  /** Where the command runs; default: the sandbox's cwd. */
  cwd?: string;
  /** Environment of the command; default: the sandbox's env. */
  env?: Env;
  /** The command's stdin/stdout/stderr; default 'inherit'. */
  stdio?: StdioChoice;
  /** Data written to the command's stdin (only with stdio 'pipe'). */
  input?: string | Buffer;
}

export interface RunResult {
  /** The command's exit code; 128+N when it died from signal N. */
  exitCode: number;
  /** Collected output, with stdio 'pipe' only. */
  stdout?: Buffer;
  stderr?: Buffer;
}

export interface SandboxPlan {
  /** Absolute path the command resolves to on the sandbox's PATH. */
  commandPath: string;
  /** Exactly what would be spawned (bwrap argv, or the bare command when no sandbox applies). */
  argv: string[];
  /** One line: what runs the command (which bubblewrap, seccomp filter, /proc). */
  backend: string;
  /** Environment variables added for the command. */
  envAdditions: Record<string, string>;
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
  run(command: readonly string[], options?: RunOptions): Promise<RunResult>;
  /** Releases what the backend holds (a bundled-bwrap descriptor). The sandbox stays usable. */
  dispose(): void;
}

/** Variable set for sandboxed commands when network is restricted (reference C5). */
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

function requireLinuxBackend(): void {
  const selection = selectBackend(process.platform);
  if (selection.kind === 'unsupported') throw new UnsupportedPlatformError(selection.os);
  if (selection.kind === 'not-implemented') throw new BackendNotImplementedError(selection.displayName, selection.os);
}

export function createSandbox(options: CreateSandboxOptions = {}): Sandbox {
  requireLinuxBackend();
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
  const context = { cwd, workspaceRoots: selected.workspaceRoots, env };
  const policy = resolveSandboxPolicy(selected.profile, context);
  let access: AccessQuery | undefined;
  const accessQuery = (): AccessQuery => (access ??= createAccessQuery(selected.profile, context, policy));
  let backend: LinuxBackend | undefined;
  const linux = (): LinuxBackend =>
    (backend ??= openLinuxBackend({ env, frontEndPath: options.frontEndPath ?? process.argv[1] ?? '', onWarning: warn }));

  const isVisible = (p: string): boolean =>
    // Platform defaults (`:minimal`) are mounted by the backend and not modelled as entries: when they
    // apply, do not second-guess visibility (the sandbox itself still enforces it).
    policy.includePlatformDefaults || accessQuery().canRead(p);

  const prepare = (command: readonly string[], runOptions: RunOptions) => {
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
    const envAdditions: Record<string, string> = {};
    if (policy.needsSandbox && policy.network === 'restricted') envAdditions[NETWORK_DISABLED_VARIABLE] = '1';
    const commandEnv: Env = { ...baseEnv, ...envAdditions };
    const commandPath = resolveCommand(program, {
      searchPath: commandEnv['PATH'],
      cwd: commandCwd,
      ...(policy.needsSandbox ? { isVisibleInSandbox: isVisible } : {}),
    });
    return { command: [...command], commandCwd, commandEnv, commandPath, envAdditions };
  };

  const plan = async (command: readonly string[], runOptions: RunOptions = {}): Promise<SandboxPlan> => {
    const prepared = prepare(command, runOptions);
    const launch = await linux().plan({ policy, command: prepared.command, cwd: prepared.commandCwd, env: prepared.commandEnv });
    return { commandPath: prepared.commandPath, argv: launch.argv, backend: launch.description, envAdditions: prepared.envAdditions };
  };

  return {
    profileId: selected.id,
    profile: selected.profile,
    policy,
    warnings,
    accessFor: (p) => accessQuery().access(path.resolve(cwd, p)),
    plan,
    async explain(command, runOptions = {}) {
      const planned = command.length > 0 ? await plan(command, runOptions) : undefined;
      const notes = Object.entries(planned?.envAdditions ?? {}).map(([k, v]) => `the command gets ${k}=${v}`);
      for (const arg of command.slice(1)) {
        if (!arg.startsWith('/') && !arg.startsWith('./') && !arg.startsWith('../')) continue;
        const target = path.resolve(cwd, runOptions.cwd ?? '.', arg);
        notes.push(`${target} is ${describeAccess(accessQuery().access(target))} inside the sandbox`);
      }
      return formatExplanation({
        profileId: selected.id,
        policy,
        commandPath: planned?.commandPath,
        launchArgv: planned?.argv,
        backendDescription: planned?.backend ?? 'Linux bubblewrap',
        notes,
      });
    },
    async run(command, runOptions = {}) {
      const prepared = prepare(command, runOptions);
      const stdio = runOptions.stdio ?? 'inherit';
      const request = { policy, command: prepared.command, cwd: prepared.commandCwd, env: prepared.commandEnv, stdio };
      if (stdio !== 'pipe') return linux().run(request);
      let collected: Promise<[Buffer, Buffer]> = Promise.resolve([Buffer.alloc(0), Buffer.alloc(0)]);
      const result = await linux().run({
        ...request,
        onSpawn(child) {
          child.stdin?.end(runOptions.input ?? '');
          collected = Promise.all([collect(child.stdout), collect(child.stderr)]);
        },
      });
      const [stdout, stderr] = await collected;
      return { exitCode: result.exitCode, stdout, stderr };
    },
    dispose() {
      backend?.dispose();
      backend = undefined;
    },
  };
}

/** Reads a stream to its end; output streams close when the sandboxed process tree exits. */
function collect(stream: NodeJS.ReadableStream | null): Promise<Buffer> {
  if (stream === null) return Promise.resolve(Buffer.alloc(0));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer | string) => chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

function describeAccess(mode: FileSystemAccessMode): string {
  switch (mode) {
    case 'read':
      return 'read-only';
    case 'write':
      return 'writable';
    case 'deny':
      return 'denied';
  }
}
