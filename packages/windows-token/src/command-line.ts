// Owns what CreateProcess receives as text (W6): the command line, quoted so the program's C runtime
// (CommandLineToArgvW rules) splits it back into exactly the argv we were given, and the UTF-16
// environment block. Pure: must NOT spawn anything. A `.bat`/`.cmd` runs through cmd.exe, which
// parses the line by other rules; arguments it would re-interpret are refused, never "escaped".
import { CommandLineError } from './errors.js';

/** One argument as CommandLineToArgvW reads it back. */
export function quoteWindowsArgument(arg: string): string {
  if (arg.includes('\0')) throw new CommandLineError('an argument contains a NUL character, which a Windows command line cannot carry');
  if (arg !== '' && !/[\s"]/.test(arg)) return arg;
  let out = '"';
  let backslashes = 0;
  for (const ch of arg) {
    if (ch === '\\') {
      backslashes += 1;
      continue;
    }
    // Backslashes are literal unless they precede a quote: then each is doubled, and the quote escaped.
    out += ch === '"' ? '\\'.repeat(backslashes * 2 + 1) + '"' : '\\'.repeat(backslashes) + ch;
    backslashes = 0;
  }
  // Before the closing quote, trailing backslashes are doubled so they stay literal.
  return `${out}${'\\'.repeat(backslashes * 2)}"`;
}

/** Characters cmd.exe treats specially on a batch file's command line. */
const CMD_SPECIAL = /[%!^&|<>()"\r\n]/;

/**
 * The whole command line. argv[0] is the program path (also passed as lpApplicationName). For a
 * batch file, an argument with a cmd.exe metacharacter is refused: cmd.exe would expand or split it.
 */
export function windowsCommandLine(argv: readonly string[]): string {
  const [program] = argv;
  if (program === undefined) throw new CommandLineError('missing COMMAND to run');
  if (/\.(bat|cmd)$/i.test(program)) {
    const bad = argv.slice(1).find((a) => CMD_SPECIAL.test(a));
    if (bad !== undefined) {
      throw new CommandLineError(
        `argument ${JSON.stringify(bad)} of batch file ${program} contains a character cmd.exe interprets (% ! ^ & | < > ( ) " or a line break); refusing to pass it`,
      );
    }
  }
  return argv.map(quoteWindowsArgument).join(' ');
}

/**
 * The CREATE_UNICODE_ENVIRONMENT block: `NAME=value` strings sorted case-insensitively (as Windows
 * keeps them), each NUL-terminated, then one more NUL. Names with `=` or NUL are refused.
 */
export function environmentBlock(env: Readonly<Record<string, string>>): Buffer {
  const entries = Object.entries(env).sort(([a], [b]) => {
    const x = a.toUpperCase();
    const y = b.toUpperCase();
    return x < y ? -1 : x > y ? 1 : 0;
  });
  let text = '';
  for (const [name, value] of entries) {
    if (name === '' || name.includes('=') || name.includes('\0') || value.includes('\0')) {
      throw new CommandLineError(`environment variable ${JSON.stringify(name)} cannot be passed to a Windows process (empty name, '=' or NUL)`);
    }
    text += `${name}=${value}\0`;
  }
  return Buffer.from(`${text === '' ? '\0' : text}\0`, 'utf16le');
}
