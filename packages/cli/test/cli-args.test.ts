import { parseCommandLine, sandboxUsage } from '../src/cli-args.js';
import { UsageError } from '../src/errors.js';
import { CLI_VERSION } from '../src/version.js';

function args(argv: string[]) {
  const parsed = parseCommandLine(argv);
  if (parsed.kind !== 'run') throw new Error('expected a run');
  return parsed.args;
}

describe('parseCommandLine', () => {
  test('minimal', () => {
    expect(args(['sandbox', '--', 'true'])).toEqual({
      permissionProfile: undefined,
      profile: undefined,
      configOverrides: [],
      cd: undefined,
      dryRun: false,
      os: undefined,
      json: false,
      allowUnixSockets: [],
      logDenials: false,
      command: ['true'],
    });
  });
  test('every option, -c before and after sandbox keeps command-line order', () => {
    expect(
      args(['-c', 'a=1', 'sandbox', '-c', 'b="x y"', '-P', ':workspace', '-p', 'work', '-C', '/w', '--config=c=3', '--', 'echo', 'hi']),
    ).toEqual({
      permissionProfile: ':workspace',
      profile: 'work',
      configOverrides: ['a=1', 'b="x y"', 'c=3'],
      cd: '/w',
      dryRun: false,
      os: undefined,
      json: false,
      allowUnixSockets: [],
      logDenials: false,
      command: ['echo', 'hi'],
    });
  });
  test('long forms and the hidden alias', () => {
    expect(args(['sandbox', '--permission-profile', ':read-only', 'true']).permissionProfile).toBe(':read-only');
    expect(args(['sandbox', '--permissions-profile', ':read-only', 'true']).permissionProfile).toBe(':read-only');
    expect(args(['sandbox', '--profile', 'p', '--cd', '/x', 'true'])).toMatchObject({ profile: 'p', cd: '/x' });
  });
  test('options after the command belong to the command', () => {
    expect(args(['sandbox', 'ls', '-la', '-P', 'x', '--dry-run']).command).toEqual(['ls', '-la', '-P', 'x', '--dry-run']);
    expect(args(['sandbox', 'ls', '-la']).permissionProfile).toBeUndefined();
  });
  test('dry run, with and without a command; --explain is an alias', () => {
    expect(args(['sandbox', '--dry-run'])).toMatchObject({ dryRun: true, command: [] });
    expect(args(['sandbox', '--explain', '--', 'cat', '/x'])).toMatchObject({ dryRun: true, command: ['cat', '/x'] });
  });
  test.each([
    [['--version']],
    [['-V']],
    [['sandbox', '--version']],
  ])('%j prints the version', (argv) => {
    expect(parseCommandLine(argv)).toEqual({ kind: 'print', text: `${CLI_VERSION}\n` });
  });
  test('help', () => {
    const parsed = parseCommandLine(['sandbox', '--help']);
    expect(parsed.kind).toBe('print');
    if (parsed.kind === 'print') {
      expect(parsed.text).toContain('Usage: codex sandbox [OPTIONS] [--] COMMAND [ARGS]...');
      expect(parsed.text).toContain('--permission-profile');
      expect(parsed.text).not.toContain('--permissions-profile');
      expect(parsed.text).toContain('--dry-run');
    }
    expect(sandboxUsage()).toContain('Usage: codex sandbox');
  });
  test.each([
    [['sandbox', '-P:workspace', 'true'], { permissionProfile: ':workspace', command: ['true'] }],
    [['sandbox', '--profile=p', '--cd=/w', 'true'], { profile: 'p', cd: '/w', command: ['true'] }],
    [['sandbox', '-P', 'a', '-P', 'b', 'true'], { permissionProfile: 'b' }],
    [['sandbox', '-P', '--dry-run', 'true'], { permissionProfile: '--dry-run', dryRun: false, command: ['true'] }],
    [['sandbox', '--', '-x', '--dry-run'], { dryRun: false, command: ['-x', '--dry-run'] }],
    [['sandbox', '--dry-run', '--', '--'], { dryRun: true, command: ['--'] }],
    [['sandbox', 'sh', '-c', 'exit 3', '--', 'x'], { command: ['sh', '-c', 'exit 3', '--', 'x'] }],
    [['-c', 'a=1', '-c', 'b=2', 'sandbox', 'true'], { configOverrides: ['a=1', 'b=2'] }],
  ])('%j parses as %j', (argv, expected) => {
    expect(args(argv)).toMatchObject(expected);
  });
  test('codex --help lists the global options and the sandbox command, not the hidden ones', () => {
    for (const argv of [['--help'], ['-h'], ['-c', 'a=1', '--help']]) {
      const parsed = parseCommandLine(argv);
      expect(parsed.kind).toBe('print');
      if (parsed.kind !== 'print') continue;
      expect(parsed.text).toMatch(/^Usage: codex \[-c key=value\]\.\.\. sandbox \[OPTIONS\] \[--\] COMMAND \[ARGS\]\.\.\.\n/);
      expect(parsed.text).toContain('-c, --config <key=value>');
      expect(parsed.text).toContain('sandbox [OPTIONS] [--] COMMAND [ARGS]...');
    }
    const sandboxHelp = sandboxUsage();
    expect(sandboxHelp).not.toContain('--explain');
    expect(sandboxHelp).toContain('Exit status:');
    // Wrapped to 80 columns.
    for (const line of sandboxHelp.split('\n')) expect(line.length).toBeLessThanOrEqual(80);
  });
  test.each([
    [[], /missing subcommand/],
    [['-c'], /option '-c, --config <key=value>' argument missing/],
    [['sandbox', '-x', 'true'], /unknown option '-x'/],
    [['--bogus', 'sandbox', 'true'], /unknown option '--bogus'/],
    [['sandbox', '--dry-run=yes', 'true'], /option '--dry-run' does not take a value/],
    [['sandbox', '-P', ':workspace'], /missing COMMAND/],
    [['sandbox'], /missing COMMAND/],
    [['sandbox', '--bogus', 'true'], /unknown option '--bogus'/],
    [['sandbox', '-P'], /argument missing/],
    [['sandbox', '-c', 'novalue', 'true'], /-c\/--config expects key=value/],
    [['linux', '--', 'true'], /unknown command 'linux'/],
    [['sandbox', '-P', 'a', '--permissions-profile', 'b', 'true'], /disagree/],
  ])('%j is a usage error', (argv, message) => {
    expect(() => parseCommandLine(argv)).toThrow(UsageError);
    expect(() => parseCommandLine(argv)).toThrow(message);
  });
});

describe('--os, --json, --allow-unix-socket, --log-denials', () => {
  test('--os and --json with --dry-run', () => {
    expect(args(['sandbox', '--dry-run', '--os', 'macos', '--json', '--', 'true'])).toMatchObject({ dryRun: true, os: 'macos', json: true });
    expect(args(['sandbox', '--dry-run', '--os=windows'])).toMatchObject({ os: 'windows' });
  });
  test.each([
    [['sandbox', '--os', 'macos', 'true'], '--os renders another OS\'s plan and needs --dry-run'],
    [['sandbox', '--dry-run', '--os', 'darwin', 'true'], '--os expects one of linux, macos, windows, got "darwin"'],
    [['sandbox', '--json', 'true'], '--json prints the dry run as JSON and needs --dry-run'],
    [['sandbox', '--allow-unix-socket=', 'true'], '--allow-unix-socket expects a path, got an empty string'],
  ])('%j is a usage error: %s', (argv, message) => {
    expect(() => parseCommandLine(argv)).toThrow(new UsageError(message));
  });
  test('--allow-unix-socket repeats in order; --log-denials is a flag', () => {
    expect(args(['sandbox', '--allow-unix-socket', '/a.sock', '--allow-unix-socket', 'rel/b', '--log-denials', 'true'])).toMatchObject({
      allowUnixSockets: ['/a.sock', 'rel/b'],
      logDenials: true,
      command: ['true'],
    });
  });
});
