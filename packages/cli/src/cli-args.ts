// Owns the `codex [-c k=v]... sandbox [OPTIONS] [--] COMMAND [ARGS]...` command line: the option
// tables, the help text made from them, and the conversion of parsed flags into SandboxCliArgs.
// Must NOT load config, touch the OS or run anything; it only reports what was asked for (or a
// UsageError / help / version).
//
// Parsing is Node's own util.parseArgs (its tokenizer): it is part of Node, so the front end does
// not load and compile a CLI library on every run (commander was a fifth of the bundle). Options end
// at the first positional argument or `--`; everything from there is the command and its arguments.
import { parseArgs } from 'node:util';

import { TARGET_OSES, type TargetOs } from './backend.js';
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
  /** `--os`: the OS whose plan the dry run renders (only with --dry-run). */
  os: TargetOs | undefined;
  /** `--json`: the dry run as one JSON object (only with --dry-run). */
  json: boolean;
  /** `--allow-unix-socket PATH`, repeatable (macOS). */
  allowUnixSockets: string[];
  /** `--log-denials` (macOS). */
  logDenials: boolean;
  command: string[];
}

export type ParsedCommandLine =
  | { kind: 'run'; args: SandboxCliArgs }
  /** Help or version was requested; print `text` to stdout and exit 0. */
  | { kind: 'print'; text: string };

interface OptionSpec {
  long: string;
  short?: string;
  /** Placeholder of the option's value; absent for flags. */
  value?: string;
  description: string;
  multiple?: boolean;
  /** Accepted but not listed in the help. */
  hidden?: boolean;
}

const VERSION_OPTION: OptionSpec = { long: 'version', short: 'V', description: 'print the version and exit' };
const HELP_OPTION: OptionSpec = { long: 'help', short: 'h', description: 'display help for command' };
const CONFIG_OPTION: OptionSpec = {
  long: 'config',
  short: 'c',
  value: 'key=value',
  description: 'override a config value (TOML value, or a plain string); repeatable',
  multiple: true,
};

const GLOBAL_OPTIONS: readonly OptionSpec[] = [VERSION_OPTION, CONFIG_OPTION, HELP_OPTION];

const SANDBOX_OPTIONS: readonly OptionSpec[] = [
  VERSION_OPTION,
  {
    long: 'permission-profile',
    short: 'P',
    value: 'NAME',
    description: 'permission profile to use (:read-only, :workspace, :danger-full-access, or a [permissions] name)',
  },
  { long: 'permissions-profile', value: 'NAME', description: 'alias of --permission-profile', hidden: true },
  { long: 'profile', short: 'p', value: 'NAME', description: 'config profile: layer $CODEX_HOME/<NAME>.config.toml over config.toml' },
  CONFIG_OPTION,
  { long: 'cd', short: 'C', value: 'DIR', description: 'working directory for profile resolution and for the command' },
  { long: 'dry-run', description: 'print the resolved policy and the exact backend command line; run nothing' },
  { long: 'explain', description: 'same as --dry-run', hidden: true },
  { long: 'os', value: 'OS', description: "with --dry-run: render the plan of OS (linux, macos or windows) instead of this host's" },
  { long: 'json', description: 'with --dry-run: print the plan as one JSON object (schema: the cli README)' },
  {
    long: 'allow-unix-socket',
    value: 'PATH',
    description: 'macOS: allow binding and connecting to Unix sockets at or below PATH (relative to the working directory); repeatable',
    multiple: true,
  },
  { long: 'log-denials', description: "macOS: after the command, list the sandbox's denials of its process tree" },
  HELP_OPTION,
];

const SANDBOX_USAGE = '[OPTIONS] [--] COMMAND [ARGS]...';
const SANDBOX_DESCRIPTION =
  "Run COMMAND under this host's sandbox (Linux: bubblewrap + seccomp; macOS: Seatbelt), governed by a permission profile.\n" +
  'Config is read from $CODEX_HOME/config.toml (default ~/.codex).';
const EXIT_STATUS_NOTE =
  "Exit status: the command's own; 128+N if it died from signal N; 126 not executable; 127 not found; " +
  '1 sandbox/config error; 2 usage error.';

const HELP_WIDTH = 80;

function optionTerm(option: OptionSpec): string {
  const long = `--${option.long}${option.value !== undefined ? ` <${option.value}>` : ''}`;
  return option.short !== undefined ? `-${option.short}, ${long}` : long;
}

/** Word-wraps `text` to `width` columns. Existing line breaks are kept. */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  for (const paragraph of text.split('\n')) {
    let line = '';
    for (const word of paragraph.split(' ')) {
      if (line !== '' && line.length + 1 + word.length > width) {
        lines.push(line);
        line = word;
      } else {
        line = line === '' ? word : `${line} ${word}`;
      }
    }
    lines.push(line);
  }
  return lines;
}

/** Two columns: terms padded to the widest, descriptions wrapped beside them. */
function formatTable(rows: ReadonlyArray<readonly [string, string]>): string[] {
  const termWidth = Math.max(...rows.map(([term]) => term.length));
  const indent = 2 + termWidth + 2;
  const out: string[] = [];
  for (const [term, description] of rows) {
    const [first = '', ...rest] = wrap(description, Math.max(HELP_WIDTH - indent, 20));
    out.push(`  ${term.padEnd(termWidth)}  ${first}`, ...rest.map((line) => `${' '.repeat(indent)}${line}`));
  }
  return out;
}

function visibleOptionRows(options: readonly OptionSpec[]): Array<[string, string]> {
  return options.filter((option) => option.hidden !== true).map((option) => [optionTerm(option), option.description]);
}

/** `codex sandbox --help`. */
export function sandboxUsage(): string {
  return [
    `Usage: codex sandbox ${SANDBOX_USAGE}`,
    '',
    ...wrap(SANDBOX_DESCRIPTION, HELP_WIDTH),
    '',
    'Arguments:',
    ...formatTable([['COMMAND [ARGS]...', 'the command to run and its arguments']]),
    '',
    'Options:',
    ...formatTable(visibleOptionRows(SANDBOX_OPTIONS)),
    '',
    ...wrap(EXIT_STATUS_NOTE, HELP_WIDTH),
    '',
  ].join('\n');
}

/** `codex --help`. */
function programUsage(): string {
  return [
    `Usage: codex [-c key=value]... sandbox ${SANDBOX_USAGE}`,
    '',
    'Run commands under the host OS sandbox.',
    '',
    'Options:',
    ...formatTable(visibleOptionRows(GLOBAL_OPTIONS)),
    '',
    'Commands:',
    ...formatTable([['sandbox', SANDBOX_DESCRIPTION.split('\n')[0] ?? '']]),
    '',
    "Run 'codex sandbox --help' for the sandbox options.",
    '',
  ].join('\n');
}

type ParsedOptions = Map<string, Array<string | true>>;

/**
 * Reads options from the front of `argv` up to the first positional argument or `--`, with
 * util.parseArgs's tokenizer. Returns the option values and where the positionals start.
 */
function readOptions(argv: readonly string[], specs: readonly OptionSpec[]): { options: ParsedOptions; rest: string[] } {
  const config: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = {};
  for (const spec of specs) {
    config[spec.long] = {
      type: spec.value !== undefined ? 'string' : 'boolean',
      ...(spec.short !== undefined ? { short: spec.short } : {}),
      multiple: true,
    };
  }
  // Not strict: the tokenizer must also walk past the command's own options (`ls -la`); the tokens
  // before the first positional are checked here instead, with messages of our own.
  const { tokens } = parseArgs({ args: [...argv], options: config, strict: false, allowPositionals: true, tokens: true });
  const options: ParsedOptions = new Map();
  for (const token of tokens) {
    if (token.kind === 'positional') return { options, rest: argv.slice(token.index) };
    if (token.kind === 'option-terminator') return { options, rest: argv.slice(token.index + 1) };
    const spec = specs.find((candidate) => candidate.long === token.name);
    if (spec === undefined) throw new UsageError(`unknown option '${token.rawName}'`);
    let value: string | true;
    if (spec.value !== undefined) {
      if (token.value === undefined) throw new UsageError(`option '${optionTerm(spec)}' argument missing`);
      value = token.value;
    } else {
      if (token.inlineValue === true) throw new UsageError(`option '--${spec.long}' does not take a value`);
      value = true;
    }
    options.set(spec.long, [...(options.get(spec.long) ?? []), value]);
  }
  return { options, rest: [] };
}

/** The last value given for a string option (a repeated option overrides earlier ones). */
function lastValue(options: ParsedOptions, name: string): string | undefined {
  const value = options.get(name)?.at(-1);
  return typeof value === 'string' ? value : undefined;
}

function configOverrides(options: ParsedOptions): string[] {
  const values = (options.get('config') ?? []).filter((value): value is string => typeof value === 'string');
  for (const value of values) {
    if (!value.includes('=')) throw new UsageError(`-c/--config expects key=value, got ${JSON.stringify(value)}`);
  }
  return values;
}

/** Parses argv (without node and script path). Throws UsageError for anything malformed. */
export function parseCommandLine(argv: readonly string[]): ParsedCommandLine {
  const global = readOptions(argv, GLOBAL_OPTIONS);
  if (global.options.has('help')) return { kind: 'print', text: programUsage() };
  if (global.options.has('version')) return { kind: 'print', text: `${CLI_VERSION}\n` };
  const globalOverrides = configOverrides(global.options);
  const [subcommand, ...sandboxArgv] = global.rest;
  if (subcommand === undefined) throw new UsageError('missing subcommand; expected `sandbox`');
  if (subcommand !== 'sandbox') throw new UsageError(`unknown command '${subcommand}'; expected \`sandbox\``);

  const { options, rest: command } = readOptions(sandboxArgv, SANDBOX_OPTIONS);
  if (options.has('help')) return { kind: 'print', text: sandboxUsage() };
  if (options.has('version')) return { kind: 'print', text: `${CLI_VERSION}\n` };
  const profileFlag = lastValue(options, 'permission-profile');
  const aliasFlag = lastValue(options, 'permissions-profile');
  if (profileFlag !== undefined && aliasFlag !== undefined && profileFlag !== aliasFlag) {
    throw new UsageError('--permission-profile and --permissions-profile disagree; give only one');
  }
  const dryRun = options.has('dry-run') || options.has('explain');
  const os = lastValue(options, 'os');
  if (os !== undefined && !dryRun) throw new UsageError('--os renders another OS\'s plan and needs --dry-run');
  if (os !== undefined && !(TARGET_OSES as readonly string[]).includes(os)) {
    throw new UsageError(`--os expects one of ${TARGET_OSES.join(', ')}, got ${JSON.stringify(os)}`);
  }
  const json = options.has('json');
  if (json && !dryRun) throw new UsageError('--json prints the dry run as JSON and needs --dry-run');
  const allowUnixSockets = (options.get('allow-unix-socket') ?? []).filter((value): value is string => typeof value === 'string');
  for (const socket of allowUnixSockets) if (socket === '') throw new UsageError('--allow-unix-socket expects a path, got an empty string');
  const overrides = [...globalOverrides, ...configOverrides(options)];
  if (command.length === 0 && !dryRun) throw new UsageError('missing COMMAND to run');
  return {
    kind: 'run',
    args: {
      permissionProfile: profileFlag ?? aliasFlag,
      profile: lastValue(options, 'profile'),
      configOverrides: overrides,
      cd: lastValue(options, 'cd'),
      dryRun,
      os: os as TargetOs | undefined,
      json,
      allowUnixSockets,
      logDenials: options.has('log-denials'),
      command,
    },
  };
}
