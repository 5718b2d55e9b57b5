// Validation of `[shell_environment_policy]` and `[permissions.NAME.shell_environment_policy]`:
// every mistake is a ConfigError naming the key and what is allowed.
import { ConfigError, parseConfigText, parseShellEnvironmentPolicy, selectPermissionProfile, shellEnvironmentPolicies } from '@codex-sandbox/policy';

function load(toml: string, overrides: string[] = []) {
  return parseConfigText(toml, '/c/config.toml', { homeDir: '/home/u', overrides });
}

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('[shell_environment_policy]', () => {
  test('defaults: inherit all, default excludes ignored, no filters', () => {
    expect(shellEnvironmentPolicies(load('[shell_environment_policy]\n').merged, ':read-only')).toEqual([
      { key: 'shell_environment_policy', inherit: 'all', ignoreDefaultExcludes: true, exclude: [], set: [], includeOnly: [] },
    ]);
  });

  test('every key is read', () => {
    const toml = [
      '[shell_environment_policy]',
      'inherit = "core"',
      'ignore_default_excludes = false',
      'exclude = ["AWS_*", "?X"]',
      'include_only = ["PATH"]',
      '[shell_environment_policy.set]',
      'B = "2"',
      'A = "1"',
    ].join('\n');
    expect(shellEnvironmentPolicies(load(toml).merged, ':read-only')).toEqual([
      { key: 'shell_environment_policy', inherit: 'core', ignoreDefaultExcludes: false, exclude: ['AWS_*', '?X'], set: [['B', '2'], ['A', '1']], includeOnly: ['PATH'] },
    ]);
  });

  test('no table, no policy (everything passes)', () => {
    expect(shellEnvironmentPolicies(load('').merged, ':read-only')).toEqual([]);
  });

  test('`-c` overrides are layered over the file, key by key', () => {
    const c = load('[shell_environment_policy]\ninherit = "core"\nexclude = ["A"]\n', ['shell_environment_policy.set.FOO=bar', 'shell_environment_policy.inherit=all']);
    expect(shellEnvironmentPolicies(c.merged, ':read-only')).toEqual([
      { key: 'shell_environment_policy', inherit: 'all', ignoreDefaultExcludes: true, exclude: ['A'], set: [['FOO', 'bar']], includeOnly: [] },
    ]);
  });

  test.each([
    ['inherit = "some"', 'shell_environment_policy.inherit', '`shell_environment_policy.inherit` is `some`; allowed: `all`, `core`, `none`'],
    ['inherit = 1', 'shell_environment_policy.inherit', 'is an integer; allowed: `all`, `core`, `none`'],
    ['bogus = 1', 'shell_environment_policy.bogus', 'unknown key `bogus` in `[shell_environment_policy]`; allowed: inherit, ignore_default_excludes, exclude, set, include_only, experimental_use_profile'],
    ['ignore_default_excludes = "yes"', 'shell_environment_policy.ignore_default_excludes', 'must be true or false, not a string'],
    ['exclude = "FOO"', 'shell_environment_policy.exclude', 'must be an array of variable name patterns, e.g. ["AWS_*"], not a string'],
    ['exclude = [1]', 'shell_environment_policy.exclude[0]', 'must be a string pattern, not an integer'],
    ['exclude = ["A", ""]', 'shell_environment_policy.exclude[1]', 'is empty'],
    ['exclude = ["*_[Kk][Ee][Yy]"]', 'shell_environment_policy.exclude[0]', '`[` is not supported in variable name patterns; only `*` (any characters) and `?` (one character) are wildcards'],
    ['include_only = ["{PATH,HOME}"]', 'shell_environment_policy.include_only[0]', '`{` is not supported'],
    ['include_only = ["\\\\PATH"]', 'shell_environment_policy.include_only[0]', '`\\` is not supported'],
    ['exclude = ["!PATH"]', 'shell_environment_policy.exclude[0]', '`!` is not supported'],
    ['exclude = ["A=B"]', 'shell_environment_policy.exclude[0]', 'variable names cannot contain `=`'],
    ['set = ["A"]', 'shell_environment_policy.set', 'must be a table of NAME = "value", not an array'],
    ['set = { A = 1 }', 'shell_environment_policy.set.A', '`shell_environment_policy.set.A` must be a string, not an integer'],
    ['set = { "A=B" = "x" }', 'shell_environment_policy.set."A=B"', 'variable names cannot contain `=`'],
    ['set = { "" = "x" }', 'shell_environment_policy.set.""', 'is empty'],
    ['set = { A = "a\\u0000b" }', 'shell_environment_policy.set.A', 'contains a NUL character'],
    ['experimental_use_profile = "no"', 'shell_environment_policy.experimental_use_profile', 'must be true or false'],
  ])('%s -> error at %s', (body, key, message) => {
    const e = errorOf(() => load(`[shell_environment_policy]\n${body}\n`));
    expect(e.key).toBe(key);
    expect(e.message).toContain(message);
    expect(e.message.startsWith('/c/config.toml: ')).toBe(true);
  });

  test('not a table', () => {
    const e = errorOf(() => load('shell_environment_policy = "core"\n'));
    expect(e.message).toBe('/c/config.toml: `shell_environment_policy` must be a table (`[shell_environment_policy]`), not a string');
  });

  test('an error in a `-c` override names the override', () => {
    const e = errorOf(() => load('', ['shell_environment_policy.inherit=nothing']));
    expect(e.message).toBe('-c shell_environment_policy.inherit=nothing: `shell_environment_policy.inherit` is `nothing`; allowed: `all`, `core`, `none`');
  });

  test('experimental_use_profile = true is accepted with a warning that it does nothing here', () => {
    const c = load('[shell_environment_policy]\nexperimental_use_profile = true\n');
    expect(c.warnings).toEqual([
      '/c/config.toml: `shell_environment_policy.experimental_use_profile` has no effect on `codex sandbox` (nor on the Codex CLI\'s): the command runs directly, not through your shell\'s login profile',
    ]);
    expect(load('[shell_environment_policy]\nexperimental_use_profile = false\n').warnings).toEqual([]);
  });

  test('it is no longer an "other Codex key": no unknown-key warning, and it is validated', () => {
    expect(load('[shell_environment_policy]\ninherit = "none"\n').warnings).toEqual([]);
  });
});

describe('[permissions.NAME.shell_environment_policy]', () => {
  const profile = (body: string, topLevel = '') =>
    `default_permissions = "dev"\n${topLevel}[permissions.dev]\nextends = ":workspace"\n[permissions.dev.shell_environment_policy]\n${body}\n`;

  test('accepted as a profile key and listed after the top-level table', () => {
    const c = load(profile('exclude = ["LANG"]', '[shell_environment_policy]\ninherit = "core"\n'));
    expect(selectPermissionProfile(c, { cwd: '/w' }).id).toBe('dev');
    expect(shellEnvironmentPolicies(c.merged, 'dev').map((p) => [p.key, p.inherit, p.exclude])).toEqual([
      ['shell_environment_policy', 'core', []],
      ['permissions.dev.shell_environment_policy', 'all', ['LANG']],
    ]);
  });

  test('errors name the profile key, in every profile (selected or not)', () => {
    const e = errorOf(() => load(`${profile('inherit = "core"')}\n[permissions.other.shell_environment_policy]\nexclude = ["[A]"]\n`));
    expect(e.key).toBe('permissions.other.shell_environment_policy.exclude[0]');
    expect(errorOf(() => load(profile('include = ["PATH"]'))).message).toContain(
      'unknown key `include` in `[permissions.dev.shell_environment_policy]`; allowed: inherit, ignore_default_excludes, exclude, set, include_only, experimental_use_profile',
    );
  });

  test('the unknown-profile-key error lists it as allowed', () => {
    expect(errorOf(() => load('[permissions.dev]\nenvironment = {}\n')).message).toContain(
      'allowed: description, extends, workspace_roots, filesystem, network, shell_environment_policy',
    );
  });

  test('a `-c` override reaches a profile table', () => {
    const c = load(profile('inherit = "core"'), ['permissions.dev.shell_environment_policy.inherit=none']);
    expect(shellEnvironmentPolicies(c.merged, 'dev').map((p) => p.inherit)).toEqual(['none']);
  });
});

describe('the library form', () => {
  test('same keys as TOML; errors name the given label', () => {
    expect(parseShellEnvironmentPolicy({ inherit: 'none', set: { A: 'b' } }, ['shellEnvironmentPolicy']).policy).toEqual({
      key: 'shellEnvironmentPolicy',
      inherit: 'none',
      ignoreDefaultExcludes: true,
      exclude: [],
      set: [['A', 'b']],
      includeOnly: [],
    });
    expect(errorOf(() => parseShellEnvironmentPolicy({ inherit: 'core', excludes: [] }, ['shellEnvironmentPolicy'])).message).toContain(
      'unknown key `excludes` in `[shellEnvironmentPolicy]`',
    );
    expect(errorOf(() => parseShellEnvironmentPolicy(['core'], ['shellEnvironmentPolicy'])).message).toContain('must be a table');
  });
});
