// The command's environment from `shell_environment_policy` (C5). The expected results
// of the tables are what the Codex CLI 0.171 printed for `codex sandbox -- env` with the same
// config and the same input environment (see the top comment of src/command-environment.ts).
import {
  computeCommandEnvironment,
  matchesVariablePattern,
  parseConfigText,
  parseShellEnvironmentPolicy,
  shellEnvironmentPolicies,
  type ShellEnvironmentPolicy,
} from '@codex-sandbox/policy';

/** The policies a config text yields for `profileId` (validated like a real load). */
function policiesOf(toml: string, profileId = ':read-only'): ShellEnvironmentPolicy[] {
  return shellEnvironmentPolicies(parseConfigText(toml, 'config.toml', { homeDir: '/home/u' }).merged, profileId);
}

function table(body: string): ShellEnvironmentPolicy[] {
  return policiesOf(`[shell_environment_policy]\n${body}\n`);
}

const names = (env: ReturnType<typeof computeCommandEnvironment>): string[] => env.variables.map((v) => v.name);

describe('variable name patterns: `*` and `?` only, the rest literal, ASCII case ignored', () => {
  test.each([
    ['foo*', 'FOO', true],
    ['foo*', 'FOOBAR', true],
    ['foo*', 'foo_key', true],
    ['foo*', 'XFOO', false],
    ['?AR', 'BAR', true],
    ['?AR', 'AR', false],
    ['?AR', 'BBAR', false],
    ['X?Y', 'X.Y', true],
    ['*KEY*', 'KEYBOARD', true],
    ['*KEY*', 'MONKEY', true],
    ['*KEY*', 'my_api_key', true],
    ['*TOKEN*', 'tok_en', false],
    ['A*B', 'ab', true],
    ['A*B', 'A', false],
    ['*', '', true],
    ['**', 'ANY', true],
    ['', '', true],
    ['', 'A', false],
    ['[M]*', 'MONKEY', false],
    ['[M]*', '[M]X', true],
    ['{A,B}', 'A', false],
    ['{A,B}', '{a,b}', true],
    ['a*b*c', 'axxbyyc', true],
    ['a*b*c', 'axxbyy', false],
    ['*é', 'CAFÉ', false],
    ['*é', 'café', true],
  ])('%j against %j -> %s', (pattern, name, expected) => {
    expect(matchesVariablePattern(pattern, name)).toBe(expected);
  });
});

describe('the Codex CLI tables (same input, same config, same result)', () => {
  const input = {
    HOME: '/h',
    CODEX_HOME: '/h',
    TMPDIR: '/t',
    PATH: '/usr/bin:/bin',
    LANG: 'C.UTF-8',
    LC_ALL: 'C',
    LC_CTYPE: 'C',
    LC_MESSAGES: 'C',
    LOGNAME: 'root',
    USER: 'root',
    USERNAME: 'root',
    SHELL: '/bin/bash',
    TERM: 'xterm',
    PWD: '/w',
    OLDPWD: '/',
    TZ: 'UTC',
    DISPLAY: ':0',
    HOSTNAME: 'h',
    TMP: '/tmp',
    TEMP: '/tmp',
    XDG_RUNTIME_DIR: '/run/user/0',
    MY_API_KEY: '1',
    AWS_SECRET_ACCESS_KEY: '2',
    GITHUB_TOKEN: '3',
    FOO: '4',
    foo_key: '5',
  };

  test('no policy: every variable, sorted by name in byte order', () => {
    const env = computeCommandEnvironment(input, []);
    expect(names(env)).toEqual(Object.keys(input).sort());
    expect(env.dropped).toEqual([]);
  });

  test('inherit = "core": the core names only', () => {
    const env = computeCommandEnvironment(input, table('inherit = "core"'));
    expect(names(env)).toEqual(['HOME', 'LANG', 'LC_ALL', 'LC_CTYPE', 'LOGNAME', 'PATH', 'SHELL', 'TEMP', 'TMP', 'TMPDIR', 'USER']);
    expect(env.dropped.find((d) => d.name === 'GITHUB_TOKEN')).toEqual({ name: 'GITHUB_TOKEN', rule: 'shell_environment_policy.inherit = "core"' });
    expect(env.dropped.map((d) => d.name)).toEqual(
      ['AWS_SECRET_ACCESS_KEY', 'CODEX_HOME', 'DISPLAY', 'FOO', 'GITHUB_TOKEN', 'HOSTNAME', 'LC_MESSAGES', 'MY_API_KEY', 'OLDPWD', 'PWD', 'TERM', 'TZ', 'USERNAME', 'XDG_RUNTIME_DIR', 'foo_key'],
    );
  });

  test('core names match case-insensitively; Windows names are not core', () => {
    const env = computeCommandEnvironment(
      { home: 'l', Path: 'm', path: 'l', Shell: 'x', user: 'x', lang: 'x', Lc_all: 'x', LC_all: 'x', LC_NUMERIC: 'x', LANGUAGE: 'x', USERPROFILE: 'x', SYSTEMROOT: 'x', COMSPEC: 'x', TERM: 'x' },
      table('inherit = "core"'),
    );
    expect(names(env)).toEqual(['LC_all', 'Lc_all', 'Path', 'Shell', 'home', 'lang', 'path', 'user']);
  });

  test('inherit = "none": nothing but `set`', () => {
    const env = computeCommandEnvironment(input, table('inherit = "none"\nset = { A = "b" }'));
    expect(env.variables).toEqual([{ name: 'A', value: 'b', origin: { kind: 'set', rule: 'shell_environment_policy.set.A' } }]);
  });

  test('ignore_default_excludes = false drops *KEY*, *SECRET*, *TOKEN* (any case, anywhere in the name)', () => {
    const env = computeCommandEnvironment(
      { MY_API_KEY: '1', AWS_SECRET_ACCESS_KEY: '2', GITHUB_TOKEN: '3', FOO: '4', foo_key: '5', MONKEY: '6', KEYBOARD: '7', secretary: '8', TOKENS: '9', tok_en: '10', BAR: '12' },
      table('ignore_default_excludes = false'),
    );
    expect(names(env)).toEqual(['BAR', 'FOO', 'tok_en']);
    expect(env.dropped).toContainEqual({ name: 'secretary', rule: 'shell_environment_policy.ignore_default_excludes = false (default exclude "*SECRET*")' });
    // The first default exclude that matches is the one named.
    expect(env.dropped).toContainEqual({ name: 'AWS_SECRET_ACCESS_KEY', rule: 'shell_environment_policy.ignore_default_excludes = false (default exclude "*KEY*")' });
  });

  test('ignore_default_excludes = true (the default) drops nothing', () => {
    expect(names(computeCommandEnvironment({ GITHUB_TOKEN: '1' }, table('ignore_default_excludes = true')))).toEqual(['GITHUB_TOKEN']);
  });

  test('exclude patterns, case-insensitive; `[...]` in a name is literal (refused in config, see below)', () => {
    const env = computeCommandEnvironment({ FOO: '1', FOOBAR: '2', foo_key: '3', BAR: '4', MONKEY: '5', KEEP: '6' }, table('exclude = ["foo*", "?AR"]'));
    expect(names(env)).toEqual(['KEEP', 'MONKEY']);
    expect(env.dropped).toEqual([
      { name: 'BAR', rule: 'shell_environment_policy.exclude "?AR"' },
      { name: 'FOO', rule: 'shell_environment_policy.exclude "foo*"' },
      { name: 'FOOBAR', rule: 'shell_environment_policy.exclude "foo*"' },
      { name: 'foo_key', rule: 'shell_environment_policy.exclude "foo*"' },
    ]);
  });

  test('`set` comes after the excludes: a set variable survives them and replaces an inherited value', () => {
    const env = computeCommandEnvironment(
      { MY_API_KEY: '1', FOO: '4', foo_key: '5', BAR: '12' },
      table('ignore_default_excludes = false\nexclude = ["FOO"]\nset = { FOO = "set", NEW_TOKEN = "t", bar = "lower" }'),
    );
    expect(env.env).toEqual({ BAR: '12', FOO: 'set', NEW_TOKEN: 't', bar: 'lower' });
    expect(Object.keys(env.env)).toEqual(['BAR', 'FOO', 'NEW_TOKEN', 'bar']);
    expect(env.dropped.map((d) => d.name)).toEqual(['MY_API_KEY', 'foo_key']);
  });

  test('`include_only` comes after `set` and drops set variables too; `[]` filters nothing', () => {
    const env = computeCommandEnvironment(
      { FOO: '4', foo_key: '5', PATH: '/bin', HOME: '/h' },
      table('set = { FOO = "set", NEW = "n", ZED = "z" }\ninclude_only = ["f*", "PATH", "z?d"]'),
    );
    expect(env.env).toEqual({ FOO: 'set', PATH: '/bin', ZED: 'z', foo_key: '5' });
    expect(env.dropped).toEqual([
      { name: 'HOME', rule: 'shell_environment_policy.include_only (matches none of "f*", "PATH", "z?d")' },
      { name: 'NEW', rule: 'shell_environment_policy.include_only (matches none of "f*", "PATH", "z?d")' },
    ]);
    expect(names(computeCommandEnvironment({ A: '1' }, table('include_only = []')))).toEqual(['A']);
  });

  test('inherit = "none" with include_only: `set` values it does not match are dropped', () => {
    expect(computeCommandEnvironment(input, table('inherit = "none"\nset = { A = "1" }\ninclude_only = ["B"]')).variables).toEqual([]);
  });

  test('exclude = ["*"] leaves nothing, not even PATH', () => {
    expect(computeCommandEnvironment(input, table('exclude = ["*"]')).variables).toEqual([]);
  });

  test('additions come last: they replace inherited and set values and no filter removes them', () => {
    const env = computeCommandEnvironment(
      { CODEX_SANDBOX_NETWORK_DISABLED: '0', FOO: '1' },
      table('set = { CODEX_SANDBOX_NETWORK_DISABLED = "7" }\ninclude_only = ["FOO"]'),
      [{ name: 'CODEX_SANDBOX_NETWORK_DISABLED', value: '1', reason: 'network restricted' }],
    );
    expect(env.variables).toEqual([
      { name: 'CODEX_SANDBOX_NETWORK_DISABLED', value: '1', origin: { kind: 'added', reason: 'network restricted' } },
      { name: 'FOO', value: '1', origin: { kind: 'inherited' } },
    ]);
    expect(env.dropped).toEqual([]);
  });
});

describe('order: byte order of the names, as the Codex CLI passes them', () => {
  test('upper case before `_` before lower case; code points, not UTF-16 units', () => {
    const input = { b: '1', _X: '1', A: '1', Path: '1', TMP: '1', home: '1', '\u{1F600}': '1', '\uFB01': '1', a: '1' };
    expect(names(computeCommandEnvironment(input, []))).toEqual(['A', 'Path', 'TMP', '_X', 'a', 'b', 'home', '\uFB01', '\u{1F600}']);
  });

  test('undefined values are absent; a variable named __proto__ is an ordinary variable', () => {
    const input: Record<string, string | undefined> = { GONE: undefined };
    Object.defineProperty(input, '__proto__', { value: 'p', enumerable: true });
    const env = computeCommandEnvironment(input, []);
    expect(Object.keys(env.env)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(env.env)).toBe(Object.prototype);
  });
});

describe('several tables: each works on what the one before let through', () => {
  const toml = [
    '[shell_environment_policy]',
    'exclude = ["AWS_*"]',
    'set = { GLOBAL = "g" }',
    '[permissions.base]',
    'extends = ":workspace"',
    '[permissions.base.shell_environment_policy]',
    'inherit = "core"',
    'set = { FROM_BASE = "b" }',
    '[permissions.ci]',
    'extends = "base"',
    '[permissions.ci.shell_environment_policy]',
    'inherit = "all"',
    'exclude = ["FROM_*"]',
    'set = { CI = "1" }',
  ].join('\n');
  const input = { HOME: '/h', PATH: '/bin', AWS_PROFILE: 'x', EDITOR: 'vi' };

  test('the order: top level, then the extends chain from its root down to the selected profile', () => {
    expect(policiesOf(toml, 'ci').map((p) => p.key)).toEqual([
      'shell_environment_policy',
      'permissions.base.shell_environment_policy',
      'permissions.ci.shell_environment_policy',
    ]);
    expect(policiesOf(toml, 'base').map((p) => p.key)).toEqual(['shell_environment_policy', 'permissions.base.shell_environment_policy']);
    expect(policiesOf(toml, ':workspace').map((p) => p.key)).toEqual(['shell_environment_policy']);
  });

  test('a later inherit = "all" keeps what came through; it never brings back a dropped variable', () => {
    const env = computeCommandEnvironment(input, policiesOf(toml, 'ci'));
    expect(env.env).toEqual({ CI: '1', HOME: '/h', PATH: '/bin' });
    expect(env.dropped).toEqual([
      { name: 'AWS_PROFILE', rule: 'shell_environment_policy.exclude "AWS_*"' },
      { name: 'EDITOR', rule: 'permissions.base.shell_environment_policy.inherit = "core"' },
      { name: 'FROM_BASE', rule: 'permissions.ci.shell_environment_policy.exclude "FROM_*"' },
      { name: 'GLOBAL', rule: 'permissions.base.shell_environment_policy.inherit = "core"' },
    ]);
  });

  test('a `set` in a later table brings a variable back, with its own value', () => {
    const env = computeCommandEnvironment({ AWS_PROFILE: 'x' }, [
      ...table('exclude = ["AWS_*"]'),
      parseShellEnvironmentPolicy({ set: { AWS_PROFILE: 'sandbox' } }, ['shellEnvironmentPolicy']).policy,
    ]);
    expect(env.variables).toEqual([{ name: 'AWS_PROFILE', value: 'sandbox', origin: { kind: 'set', rule: 'shellEnvironmentPolicy.set.AWS_PROFILE' } }]);
    expect(env.dropped).toEqual([]);
  });
});
