// Owns what a user reads when a config file is not valid TOML: file, line and column (from the
// parser's position), the key being written there (the table header in effect plus the key on that
// line, as written), what was found and what was expected, and the offending line with a caret.
// Pure over the text and the parser's error. Must NOT parse TOML itself or validate values.
import { TomlError } from 'smol-toml';
import { ConfigError } from './errors.js';

interface Position {
  line: number;
  column: number;
}

/** The parser's message without its "Invalid TOML document:" prefix and code block. */
function parserReason(error: Error): string {
  const first = error.message.split('\n')[0] ?? error.message;
  return first.replace(/^Invalid TOML document:\s*/, '');
}

/** The text from `column` to the end of the word (for "found `...`"). */
function tokenAt(lineText: string, column: number): string {
  const rest = lineText.slice(column - 1);
  const match = /^[^\s=,\]}]+/.exec(rest);
  return match?.[0] ?? '';
}

/** The header of the table the line belongs to, e.g. `permissions.dev.filesystem`. */
function tableHeaderBefore(lines: readonly string[], line: number): string | undefined {
  for (let i = line - 2; i >= 0; i -= 1) {
    const match = /^\s*\[\[?\s*([^\]]*?)\s*\]\]?\s*(?:#.*)?$/.exec(lines[i] ?? '');
    if (match?.[1] !== undefined) return match[1];
  }
  return undefined;
}

/** The key the error line writes (`key = ...` as written), if the line has one before the error. */
function keyOnLine(lineText: string, column: number): string | undefined {
  const eq = lineText.indexOf('=');
  if (eq < 0 || eq + 1 >= column) return undefined;
  const key = lineText.slice(0, eq).trim();
  return key.length > 0 && !key.startsWith('[') ? key : undefined;
}

function describeKey(lines: readonly string[], at: Position): string | undefined {
  const lineText = lines[at.line - 1] ?? '';
  if (/^\s*\[/.test(lineText)) return undefined;
  const header = tableHeaderBefore(lines, at.line);
  const key = keyOnLine(lineText, at.column);
  if (key === undefined) return header === undefined ? undefined : `[${header}]`;
  return header === undefined ? key : `${header}.${key}`;
}

const VALUE_FORMS = 'a value: a "quoted string", a number, true or false, an [array] or an { inline = table }';
const BARE_KEY = 'a bare key (letters, digits, `_` and `-` only) or a quoted one';

/** What was expected, in the user's terms, for the parser's reason at this spot. */
function expectation(reason: string, lineText: string, at: Position): string {
  const found = tokenAt(lineText, at.column);
  const atEnd = at.column > lineText.replace(/\s+$/, '').length;
  const isHeader = /^\s*\[/.test(lineText);
  switch (reason) {
    case 'illegal character in key':
      if (isHeader) return 'expected `]` to close the table header';
      if (atEnd) return 'expected `=` and a value after the key';
      return `found \`${found.slice(0, 1)}\`; expected ${BARE_KEY}: write \`"${found}"\``;
    case 'incomplete key-value: cannot find end of key':
      return 'expected `=` and a value after the key';
    case 'unexpected end of key':
    case 'illegal empty bare key':
      return 'expected a key before `=`';
    case 'invalid value':
      if (atEnd) return `found nothing after \`=\`; expected ${VALUE_FORMS}`;
      if (/^[A-Za-z_:./~-]/.test(found)) return `found \`${found}\`; expected ${VALUE_FORMS}; strings must be quoted: \`"${found}"\``;
      return `found \`${found}\`; expected ${VALUE_FORMS}`;
    case 'control characters are not allowed in strings':
      return atEnd ? 'expected the closing quote before the end of the line' : 'expected no control characters inside a string (write them as escapes such as `\\t`)';
    case 'unfinished string':
      return 'expected the closing quotes of the multi-line string';
    case 'expected comma or end of structure':
      return 'expected `,` between items, or `]` / `}` to close the array or inline table';
    case 'unfinished array':
      return 'expected `]` to close the array';
    case 'unfinished table':
      return 'expected `]` to close the table header, or `}` to close the inline table';
    case 'expected end of table array declaration':
      return 'expected `]]` to close the array-of-tables header';
    case 'each key-value declaration must be followed by an end-of-line':
      return 'expected a line break after the value (one `key = value` per line)';
    case 'trying to redefine an already defined table or value':
    case 'trying to redefine an already defined value':
      return 'expected each key and each table to be defined only once; it is already defined above';
    case 'unrecognised escape sequence':
      return 'expected one of the escapes \\" \\\\ \\b \\f \\n \\r \\t \\uXXXX \\UXXXXXXXX, or a \'literal string\' in single quotes';
    case 'illegal leading zero':
      return 'expected a number without leading zeros (or a quoted string)';
    default:
      return '';
  }
}

/** A caret under the column, after the line as written. */
function pointer(lineText: string, at: Position): string[] {
  const number = String(at.line);
  const gutter = ' '.repeat(number.length);
  const visible = lineText.replace(/\t/g, ' ');
  return [`${number} | ${visible}`, `${gutter} | ${' '.repeat(Math.max(at.column - 1, 0))}^`];
}

/** The ConfigError for a TOML syntax error in `text` (read from `source`). */
export function tomlSyntaxError(error: unknown, text: string, source: string): ConfigError {
  if (!(error instanceof TomlError)) {
    const message = error instanceof Error ? error.message : String(error);
    return new ConfigError(`invalid TOML: ${message.split('\n')[0] ?? message}`, { path: source });
  }
  const at: Position = { line: error.line, column: error.column };
  const lines = text.split(/\r?\n/);
  const lineText = lines[at.line - 1] ?? '';
  const reason = parserReason(error);
  const key = describeKey(lines, at);
  const expected = expectation(reason, lineText, at);
  const head = `invalid TOML${key !== undefined ? ` at \`${key}\`` : ''}: ${reason}${expected !== '' ? `; ${expected}` : ''}`;
  return new ConfigError([head, ...pointer(lineText, at)].join('\n'), { path: source, line: at.line, column: at.column });
}
