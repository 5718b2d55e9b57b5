// Malformed config files: the error says file, line, column, the key being written and what was
// expected, and shows the line with a caret.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig, parseConfigText, parseRequirementsText } from '@codex-sandbox/policy';

function errorOf(text: string): ConfigError {
  try {
    parseConfigText(text, '/home/u/.codex/config.toml', { homeDir: '/home/u' });
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('TOML syntax errors', () => {
  test('an unquoted special path key: where, which table, and how to write it', () => {
    const e = errorOf('default_permissions = "dev"\n[permissions.dev.filesystem]\n:root = "read"\n');
    expect([e.path, e.line, e.column]).toEqual(['/home/u/.codex/config.toml', 3, 1]);
    expect(e.message).toBe(
      [
        '/home/u/.codex/config.toml:3:1: invalid TOML at `[permissions.dev.filesystem]`: illegal character in key; found `:`; expected a bare key (letters, digits, `_` and `-` only) or a quoted one: write `":root"`',
        '3 | :root = "read"',
        '  | ^',
      ].join('\n'),
    );
  });

  test('an unquoted string value names the key it belongs to', () => {
    const e = errorOf('[shell_environment_policy]\ninherit = core\n');
    expect(e.message.split('\n')).toEqual([
      '/home/u/.codex/config.toml:2:11: invalid TOML at `shell_environment_policy.inherit`: invalid value; found `core`; expected a value: a "quoted string", a number, true or false, an [array] or an { inline = table }; strings must be quoted: `"core"`',
      '2 | inherit = core',
      '  |           ^',
    ]);
  });

  test.each([
    ['a = "x\n', 1, 7, '`a`', 'expected the closing quote before the end of the line'],
    ['a = [1, 2\n', 2, 1, undefined, 'expected `,` between items, or `]` / `}` to close the array or inline table'],
    ['[permissions.dev\nb = 1\n', 1, 17, undefined, 'expected `]` to close the table header'],
    ['sandbox_mode = "read-only"\nsandbox_mode = "workspace-write"\n', 2, 1, undefined, 'expected each key and each table to be defined only once'],
    ['a = 1 b = 2\n', 1, 7, '`a`', 'expected a line break after the value (one `key = value` per line)'],
    ['[x]\nkey\n', 2, 4, '`[x]`', 'expected `=` and a value after the key'],
    ['= 1\n', 1, 1, undefined, 'expected a key before `=`'],
    ['a = "\\q"\n', 1, 7, '`a`', 'expected one of the escapes'],
    ['a =\n', 1, 4, '`a`', 'found nothing after `=`'],
    ['[[a]\n', 1, 5, undefined, 'expected `]]` to close the array-of-tables header'],
  ])('%j -> line %d, column %d, key %s: %s', (text, line, column, key, expected) => {
    const e = errorOf(text);
    expect([e.line, e.column]).toEqual([line, column]);
    const head = e.message.split('\n')[0] ?? '';
    expect(head.startsWith(`/home/u/.codex/config.toml:${line}:${column}: invalid TOML${key === undefined ? ':' : ` at ${key}:`}`)).toBe(true);
    expect(head).toContain(expected);
    // The offending line, then a caret under the column.
    const [, shown, caret] = e.message.split('\n');
    expect(shown).toBe(`${line} | ${text.split('\n')[line - 1]}`);
    expect(caret).toBe(`${' '.repeat(String(line).length)} | ${' '.repeat(column - 1)}^`);
  });

  test('CRLF files count lines the same way', () => {
    const e = errorOf('a = 1\r\n[b\r\n');
    expect([e.line, e.column]).toEqual([2, 3]);
  });

  test('loadConfig reports the real file', () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'toml-err-'));
    try {
      fs.writeFileSync(path.join(home, 'config.toml'), 'ok = 1\n\n[permissions.x.filesystem]\n"/a" = read\n');
      expect(() => loadConfig({ codexHome: home, overrides: [], cwd: '/', homeDir: '/', env: {} })).toThrow(
        `${path.join(home, 'config.toml')}:4:8: invalid TOML at \`permissions.x.filesystem."/a"\`: invalid value; found \`read\``,
      );
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  });

  test('requirements.toml gets the same treatment', () => {
    expect(() => parseRequirementsText('allowed_permission_profiles = { ":read-only" = yes }\n', '/etc/codex/requirements.toml')).toThrow(
      /^\/etc\/codex\/requirements\.toml:1:48: invalid TOML at `allowed_permission_profiles`: invalid value; found `yes`/,
    );
  });
});
