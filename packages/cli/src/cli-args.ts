// Owns the `codex [-c k=v]... sandbox [OPTIONS] [--] COMMAND [ARGS]...` command line: the commander
// definition, help text, and the conversion of parsed flags into SandboxCliArgs. Must NOT load config,
// touch the OS or run anything; it only reports what was asked for (or a UsageError / help / version).
import { Command, CommanderError, Option } from 'commander';
import { UsageError } from './errors.js';
import { CLI_VERSION } from './version.js';

export interface SandboxCliArgs {
  /** `-P/--permission-profile` (or hidden `--permissions-profile`). */
  permissionProfile: string | undefined;
  /** `-p/--profile`: layers `$CODEX_HOME/<NAME>.config.toml`. */
  profile: string | undefined;
  /** `-c key=value`, global ones (before `sandbox`) first, in command-line order. */
  configOverrides: string[];
  /** `-C/--cd`. */
  cd: string | undefined;
  /** `--dry-run`/`--explain`: print the resolved policy and backend command line, run nothing. */
  dryRun: boolean;
  command: string[];
}

export type ParsedCommandLine =
  | { kind: 'run'; args: SandboxCliArgs }
  /** Help or version was requested; print `text` to stdout and exit 0. */
  | { kind: 'print'; text: string };

const SANDBOX_USAGE = '[OPTIONS] [--] COMMAND [ARGS]...';

function collect(value: string, previous: string[] | undefined): string[] {
  if (!value.includes('=')) {
    throw new UsageError(`-c/--config expects key=value, got ${JSON.stringify(value)}`);
  }
  return [...(previous ?? []), value];
}

function buildProgram(out: { text: string }): { program: Command; sandbox: Command; result: { args?: SandboxCliArgs } } {
  const result: { args?: SandboxCliArgs } = {};
  const output = {
    writeOut: (s: string) => {
      out.text += s;
    },
    writeErr: (s: string) => {
      out.text += s;
    },
    outputError: () => {
      // Errors are rethrown as UsageError and printed once by the caller.
    },
  };
  const program = new Command('codex')
    .usage('[-c key=value]... sandbox ' + SANDBOX_USAGE)
    .description('Run commands under the host OS sandbox.')
    .enablePositionalOptions()
    .exitOverride()
    .configureOutput(output)
    .helpCommand(false)
    .version(CLI_VERSION, '-V, --version', 'print the version and exit')
    .option('-c, --config <key=value>', 'override a config value (TOML value, or a plain string); repeatable', collect);

  const sandbox = new Command('sandbox')
    .usage(SANDBOX_USAGE)
    .description(
      "Run COMMAND under this host's sandbox (Linux: bubblewrap + seccomp), governed by a permission profile.\n" +
        'Config is read from $CODEX_HOME/config.toml (default ~/.codex).',
    )
    .exitOverride()
    .configureOutput(output)
    .passThroughOptions()
    .version(CLI_VERSION, '-V, --version', 'print the version and exit')
    .option('-P, --permission-profile <NAME>', 'permission profile to use (:read-only, :workspace, :danger-full-access, or a [permissions] name)')
    .addOption(new Option('--permissions-profile <NAME>').hideHelp())
    .option('-p, --profile <NAME>', 'config profile: layer $CODEX_HOME/<NAME>.config.toml over config.toml')
    .option('-c, --config <key=value>', 'override a config value (TOML value, or a plain string); repeatable', collect)
    .option('-C, --cd <DIR>', 'working directory for profile resolution and for the command')
    .option('--dry-run', 'print the resolved policy and the exact backend command line; run nothing')
    .addOption(new Option('--explain', 'same as --dry-run').hideHelp())
    .argument('[command...]', 'the command to run and its arguments')
    .addHelpText(
      'after',
      '\nExit status: the command\'s own; 128+N if it died from signal N; 126 not executable; 127 not found;\n' +
        '1 sandbox/config error; 2 usage error.',
    )
    .action((command: string[], options: Record<string, unknown>) => {
      const profileFlag = options['permissionProfile'] as string | undefined;
      const aliasFlag = options['permissionsProfile'] as string | undefined;
      if (profileFlag !== undefined && aliasFlag !== undefined && profileFlag !== aliasFlag) {
        throw new UsageError('--permission-profile and --permissions-profile disagree; give only one');
      }
      const globalOverrides = (program.opts()['config'] as string[] | undefined) ?? [];
      const dryRun = options['dryRun'] === true || options['explain'] === true;
      if (command.length === 0 && !dryRun) throw new UsageError('missing COMMAND to run');
      result.args = {
        permissionProfile: profileFlag ?? aliasFlag,
        profile: options['profile'] as string | undefined,
        configOverrides: [...globalOverrides, ...((options['config'] as string[] | undefined) ?? [])],
        cd: options['cd'] as string | undefined,
        dryRun,
        command,
      };
    });
  program.addCommand(sandbox);
  return { program, sandbox, result };
}

/** Usage text shown after a usage error. */
export function sandboxUsage(): string {
  const out = { text: '' };
  const { sandbox } = buildProgram(out);
  return sandbox.helpInformation();
}

/** Parses argv (without node and script path). Throws UsageError for anything malformed. */
export function parseCommandLine(argv: readonly string[]): ParsedCommandLine {
  const out = { text: '' };
  const { program, result } = buildProgram(out);
  if (argv.length === 0) throw new UsageError('missing subcommand; expected `sandbox`');
  try {
    program.parse([...argv], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') {
        return { kind: 'print', text: out.text };
      }
      throw new UsageError(error.message.replace(/^error: /, ''));
    }
    throw error;
  }
  if (result.args === undefined) {
    throw new UsageError(`unknown command ${JSON.stringify(argv.find((a) => !a.startsWith('-')) ?? argv[0])}; expected \`sandbox\``);
  }
  return { kind: 'run', args: result.args };
}
