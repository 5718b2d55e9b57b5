// Profile selection and config layering: P9-P14, P16, with the seed's overrides,
// `-c` overrides, `-p` layers and loadConfig against real files in temp dirs.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  BUILTIN_DANGER_FULL_ACCESS,
  BUILTIN_READ_ONLY,
  BUILTIN_WORKSPACE,
  ConfigError,
  PolicyError,
  ProfileError,
  builtinProfile,
  loadConfig,
  parseConfigText,
  parseOverride,
  readOnlyProfile,
  selectPermissionProfile,
  workspaceWriteProfile,
  type FileSystemSandboxEntry,
  type PermissionProfile,
  type ProfileSelection,
} from '@codex-sandbox/policy';

const HOME = '/home/u';

function cfg(toml: string, overrides: string[] = []) {
  return parseConfigText(toml, 'config.toml', { homeDir: HOME, overrides });
}

function select(toml: string, opts: { overrides?: string[] } & Partial<ProfileSelection> = {}) {
  const { overrides, ...sel } = opts;
  return selectPermissionProfile(cfg(toml, overrides), { cwd: '/w', ...sel });
}

function entriesOf(p: PermissionProfile): FileSystemSandboxEntry[] {
  if (p.type !== 'managed' || p.fileSystem.type !== 'restricted') throw new Error(`not restricted: ${JSON.stringify(p)}`);
  return p.fileSystem.entries;
}

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error');
}

describe('1.2 built-in profiles', () => {
  test(':read-only is [:root = read], network restricted', () => {
    expect(builtinProfile(BUILTIN_READ_ONLY)).toEqual({
      type: 'managed',
      fileSystem: { type: 'restricted', entries: [{ path: { type: 'special', value: { kind: 'root' } }, access: 'read' }] },
      network: 'restricted',
    });
  });

  test(':workspace has the exact workspace-write entry order', () => {
    expect(entriesOf(builtinProfile(BUILTIN_WORKSPACE))).toEqual([
      { path: { type: 'special', value: { kind: 'root' } }, access: 'read' },
      { path: { type: 'special', value: { kind: 'workspace_roots' } }, access: 'write' },
      { path: { type: 'special', value: { kind: 'slash_tmp' } }, access: 'write' },
      { path: { type: 'special', value: { kind: 'tmpdir' } }, access: 'write' },
      { path: { type: 'special', value: { kind: 'workspace_roots', subpath: '.git' } }, access: 'read', missingPathBehavior: 'skip' },
      { path: { type: 'special', value: { kind: 'workspace_roots', subpath: '.agents' } }, access: 'read', missingPathBehavior: 'skip' },
      { path: { type: 'special', value: { kind: 'workspace_roots', subpath: '.codex' } }, access: 'read', missingPathBehavior: 'skip' },
      { path: { type: 'special', value: { kind: 'workspace_roots', subpath: '.aws' } }, access: 'read', missingPathBehavior: 'skip' },
    ]);
  });

  test('workspace-write options: excludes and extra roots', () => {
    const entries = entriesOf(workspaceWriteProfile({ extraWritableRoots: ['/x/'], excludeSlashTmp: true, excludeTmpdirEnvVar: true, network: 'enabled' }));
    expect(entries.slice(0, 3)).toEqual([
      { path: { type: 'special', value: { kind: 'root' } }, access: 'read' },
      { path: { type: 'special', value: { kind: 'workspace_roots' } }, access: 'write' },
      { path: { type: 'path', path: '/x' }, access: 'write' },
    ]);
  });

  test(':danger-full-access is disabled', () => {
    expect(builtinProfile(BUILTIN_DANGER_FULL_ACCESS)).toEqual({ type: 'disabled' });
    expect(select('', { permissionProfile: ':danger-full-access' }).profile).toEqual({ type: 'disabled' });
  });

  test(':danger-no-sandbox is rejected naming :danger-full-access (not an alias)', () => {
    for (const run of [
      () => select('', { permissionProfile: ':danger-no-sandbox' }),
      () => select('default_permissions = ":danger-no-sandbox"'),
      () => select('', { overrides: ['default_permissions=":danger-no-sandbox"'] }),
    ]) {
      const e = thrown(run);
      expect(e).toBeInstanceOf(ProfileError);
      expect(e.message).toContain('`:danger-full-access`');
    }
    const e = thrown(() => select('default_permissions = "p"\n[permissions.p]\nextends = ":danger-no-sandbox"\n'));
    expect(e).toBeInstanceOf(ConfigError);
    expect(e.message).toContain('`:danger-full-access`');
  });

  test('there is no :workspace-write id', () => {
    expect(() => select('', { permissionProfile: ':workspace-write' })).toThrow('refers to unknown built-in profile `:workspace-write`');
  });
});

describe('P9: extends', () => {
  test('child keys win in a deep merge; parents extend built-ins', () => {
    const s = select(`default_permissions = "child"
[permissions.base]
extends = ":workspace"
[permissions.base.filesystem]
"/opt" = "read"
"/secret" = "none"
[permissions.child]
extends = "base"
[permissions.child.filesystem]
"/secret" = "read"
[permissions.child.network]
enabled = true
`);
    expect(s.id).toBe('child');
    expect(s.profile).toMatchObject({ network: 'enabled' });
    expect(entriesOf(s.profile)).toEqual([
      { path: { type: 'path', path: '/opt' }, access: 'read' },
      { path: { type: 'path', path: '/secret' }, access: 'read' },
      { path: { type: 'special', value: { kind: 'root' } }, access: 'read' },
      { path: { type: 'special', value: { kind: 'slash_tmp' } }, access: 'write' },
      { path: { type: 'special', value: { kind: 'tmpdir' } }, access: 'write' },
      { path: { type: 'special', value: { kind: 'workspace_roots' } }, access: 'write' },
    ]);
  });

  test('extends :read-only gives :root = read; skip-missing metadata entries are not materialised', () => {
    const s = select('default_permissions = "p"\n[permissions.p]\nextends = ":read-only"\n');
    expect(entriesOf(s.profile)).toEqual([{ path: { type: 'special', value: { kind: 'root' } }, access: 'read' }]);
    const w = select('default_permissions = "p"\n[permissions.p]\nextends = ":workspace"\n');
    expect(entriesOf(w.profile).some((e) => e.missingPathBehavior === 'skip')).toBe(false);
  });

  test.each([
    ['permissions profile `p` extends undefined profile `q`', '[permissions.p]\nextends = "q"'],
    ['permissions profile `p` cannot extend unsupported built-in profile `:danger-full-access`', '[permissions.p]\nextends = ":danger-full-access"'],
    ['permissions profile `p` cannot extend unsupported built-in profile `:other`', '[permissions.p]\nextends = ":other"'],
    ['permissions profile inheritance cycle detected: p -> q -> p', '[permissions.p]\nextends = "q"\n[permissions.q]\nextends = "p"'],
    ['permissions profile inheritance cycle detected: p -> p', '[permissions.p]\nextends = "p"'],
  ])('%s', (msg, toml) => {
    const e = thrown(() => select(`default_permissions = "p"\n${toml}\n`));
    expect(e).toBeInstanceOf(ConfigError);
    expect(e.message).toContain(msg);
  });
});

describe('P10: names and required selection', () => {
  test('user profile names must not start with `:`', () => {
    expect(() => select('default_permissions = ":read-only"\n[permissions.":mine"]\n')).toThrow(
      'permissions profile `:mine` uses a reserved built-in profile prefix',
    );
  });

  test('unknown built-in', () => {
    expect(() => select('default_permissions = ":other"')).toThrow('default_permissions refers to unknown built-in profile `:other`');
  });

  test('non-built-in selection without [permissions]', () => {
    expect(() => select('default_permissions = "dev"')).toThrow('`[permissions]` table');
  });

  test('undefined profile', () => {
    const e = thrown(() => select('default_permissions = "dev"\n[permissions.other.filesystem]\n":root" = "read"\n'));
    expect(e).toBeInstanceOf(ProfileError);
    expect(e.message).toContain('default_permissions refers to undefined profile `dev`');
    expect(e.message).toContain('`other`');
  });

  test('-P to an undefined profile names -P', () => {
    expect(() => select('', { permissionProfile: 'nope' })).toThrow(/permission profile \(-P\) `nope`/);
  });

  test('[permissions] without default_permissions is an error', () => {
    expect(() => select('[permissions.p.filesystem]\n":root" = "read"\n')).toThrow(
      'config defines `[permissions]` profiles but does not set `default_permissions`',
    );
  });

  test('... unless -P selects or sandbox_mode is legacy syntax', () => {
    const t = '[permissions.p.filesystem]\n":root" = "write"\n';
    expect(select(t, { permissionProfile: 'p' }).id).toBe('p');
    const legacy = select(`sandbox_mode = "read-only"\n${t}`);
    expect(legacy.id).toBe(BUILTIN_READ_ONLY);
    expect(legacy.warnings.some((w) => w.includes('`[permissions]` profiles are not used'))).toBe(true);
  });
});

describe('P11: syntax detection across layers (seed: sandbox_mode in config.toml is honoured)', () => {
  test('no selection at all: :read-only (implicit)', () => {
    const s = select('');
    expect(s).toMatchObject({ id: BUILTIN_READ_ONLY, origin: 'implicit' });
    expect(s.profile).toEqual(readOnlyProfile());
  });

  test('sandbox_mode in config.toml is honoured', () => {
    const s = select('sandbox_mode = "workspace-write"');
    expect(s.origin).toBe('sandbox_mode');
    expect(s.profile).toEqual(workspaceWriteProfile());
    expect(select('sandbox_mode = "danger-full-access"').profile).toEqual({ type: 'disabled' });
  });

  test('default_permissions beats sandbox_mode in the same layer', () => {
    expect(select('sandbox_mode = "danger-full-access"\ndefault_permissions = ":read-only"').id).toBe(BUILTIN_READ_ONLY);
  });

  test('the last layer that says anything decides', () => {
    const a = select('default_permissions = ":workspace"', { overrides: ['sandbox_mode=read-only'] });
    expect(a.origin).toBe('sandbox_mode');
    const b = select('sandbox_mode = "danger-full-access"', { overrides: ['default_permissions=":read-only"'] });
    expect(b.id).toBe(BUILTIN_READ_ONLY);
  });

  test('-P beats config', () => {
    const s = select('sandbox_mode = "danger-full-access"', { permissionProfile: ':workspace' });
    expect(s).toMatchObject({ id: BUILTIN_WORKSPACE, origin: 'permission_profile' });
  });

  test('bad sandbox_mode values are errors naming the allowed ones', () => {
    const e = thrown(() => select('sandbox_mode = "workspace_write"'));
    expect(e).toBeInstanceOf(ConfigError);
    expect(e.message).toContain('`read-only`, `workspace-write`, `danger-full-access`');
    expect((e as ConfigError).key).toBe('sandbox_mode');
  });
});

describe('P12/P13: legacy [sandbox_workspace_write]', () => {
  const legacy = `sandbox_mode = "workspace-write"
[sandbox_workspace_write]
writable_roots = ["/extra", "~/more"]
network_access = true
exclude_tmpdir_env_var = true
exclude_slash_tmp = true
`;
  test('sandbox_mode = workspace-write uses it', () => {
    const s = select(legacy);
    expect(s.profile).toEqual(
      workspaceWriteProfile({ extraWritableRoots: ['/extra', '/home/u/more'], network: 'enabled', excludeTmpdirEnvVar: true, excludeSlashTmp: true }),
    );
    expect(s.workspaceRoots).toEqual(['/w', '/extra', '/home/u/more']);
  });

  test('an explicitly selected :workspace ignores it, with a warning', () => {
    const s = select(legacy, { permissionProfile: ':workspace' });
    expect(s.profile).toEqual(workspaceWriteProfile());
    expect(s.warnings.some((w) => w.includes('`[sandbox_workspace_write]` is ignored'))).toBe(true);
  });

  test('unknown keys and bad types are errors', () => {
    expect(() => select('[sandbox_workspace_write]\nnetwork = true')).toThrow('unknown key `network` in `[sandbox_workspace_write]`');
    expect(() => select('[sandbox_workspace_write]\nwritable_roots = "/x"')).toThrow('must be an array');
    expect(() => select('sandbox_mode = "workspace-write"\n[sandbox_workspace_write]\nwritable_roots = ["rel"]')).toThrow(
      'writable roots must be absolute',
    );
  });
});

describe('P14: conflicting overrides', () => {
  test.each([
    [{ overrides: ['sandbox_mode=read-only'], permissionProfile: ':workspace' }, '`sandbox_mode` and `permission_profile` overrides cannot both be set'],
    [{ overrides: ['sandbox_mode=read-only', 'default_permissions=":workspace"'] }, '`sandbox_mode` and `default_permissions` overrides cannot both be set'],
    [{ overrides: ['default_permissions=":workspace"'], permissionProfile: ':workspace' }, '`permission_profile` and `default_permissions` overrides cannot both be set'],
  ])('%j', (opts, msg) => {
    const e = thrown(() => select('', opts));
    expect(e).toBeInstanceOf(ProfileError);
    expect(e.message).toContain(msg);
  });
});

describe('P16: workspace roots', () => {
  test('cwd, requested, then profile-configured enabled roots; deduplicated', () => {
    const s = select(
      `default_permissions = "p"
[permissions.p]
extends = ":workspace"
[permissions.p.workspace_roots]
"~/other-repo" = true
"../sibling" = true
"/disabled" = false
"/w" = true
`,
      { additionalWritableRoots: ['/add', 'rel'] },
    );
    // `../sibling` keeps its `..` (resolution follows it the way the kernel does).
    expect(s.workspaceRoots).toEqual(['/w', '/add', '/w/rel', '/home/u/other-repo', '/w/../sibling']);
  });

  test(':read-only with additional writable roots adds them as write entries', () => {
    const s = select('', { additionalWritableRoots: ['/add'] });
    expect(entriesOf(s.profile)).toContainEqual({ path: { type: 'path', path: '/add' }, access: 'write' });
  });

  test('cwd must be absolute', () => {
    expect(() => selectPermissionProfile(cfg(''), { cwd: 'rel' })).toThrow(ProfileError);
  });
});

describe('-c overrides', () => {
  test.each([
    ['sandbox_mode=read-only', ['sandbox_mode'], 'read-only'],
    ['sandbox_mode="read-only"', ['sandbox_mode'], 'read-only'],
    ['a.b.c=3', ['a', 'b', 'c'], 3],
    ['a = true', ['a'], true],
    ['a=[1, "x"]', ['a'], [1, 'x']],
    ['a={x = 1}', ['a'], { x: 1 }],
    ['permissions.dev.filesystem.":root"=read', ['permissions', 'dev', 'filesystem', ':root'], 'read'],
    ["permissions.dev.filesystem.'/a.b'=none", ['permissions', 'dev', 'filesystem', '/a.b'], 'none'],
    ['a=hello world', ['a'], 'hello world'],
    ['a=', ['a'], ''],
    ['a=x=y', ['a'], 'x=y'],
  ])('%s', (text, keyPath, value) => {
    expect(parseOverride(text)).toEqual({ keyPath, value });
  });

  test.each(['novalue', '=x', 'a..b=1', 'a.=1', '"unterminated=1', 'a b=1'])('`%s` is a ConfigError', (text) => {
    const e = thrown(() => parseOverride(text));
    expect(e).toBeInstanceOf(ConfigError);
    expect(e.message).toContain(`-c ${text}`);
  });

  test('overrides define whole profiles with dotted keys', () => {
    const s = select('', {
      overrides: ['permissions.dev.filesystem.":root"=read', 'permissions.dev.filesystem."/tmp/x"=write', 'default_permissions=dev'],
    });
    expect(s.id).toBe('dev');
    expect(entriesOf(s.profile)).toHaveLength(2);
  });

  test('an invalid override value names the override as its source', () => {
    const e = thrown(() => select('', { overrides: ['sandbox_mode=yolo'] })) as ConfigError;
    expect(e).toBeInstanceOf(ConfigError);
    expect(e.path).toBe('-c sandbox_mode=yolo');
    expect(e.message).toContain('`yolo`');
  });
});

describe('top-level keys', () => {
  test('unknown keys warn (returned, not printed); known Codex keys do not', () => {
    const c = cfg('model = "x"\napproval_policy = "never"\nsandbox_mod = "read-only"\n');
    expect(c.warnings).toEqual(['config.toml: unknown config key `sandbox_mod` is ignored']);
  });

  test('invalid TOML is a ConfigError with the file and line', () => {
    const e = thrown(() => cfg('a = = 1')) as ConfigError;
    expect(e).toBeInstanceOf(ConfigError);
    expect(e.path).toBe('config.toml');
    expect(e.message).toMatch(/invalid TOML/);
  });

  test('__proto__ keys are ordinary keys', () => {
    const c = cfg('', ['__proto__.polluted=1']);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(c.warnings.some((w) => w.includes('__proto__'))).toBe(true);
  });
});

describe('loadConfig with real files', () => {
  let home: string;
  beforeEach(() => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'policy-codex-home-'));
  });
  afterEach(() => fs.rmSync(home, { recursive: true, force: true }));

  const load = (profileName?: string, overrides: string[] = []) =>
    loadConfig({ codexHome: home, overrides, cwd: '/w', homeDir: HOME, env: {}, ...(profileName !== undefined ? { profileName } : {}) });

  test('missing config.toml is fine', () => {
    expect(load().layers).toEqual([]);
  });

  test('-p NAME layers NAME.config.toml over config.toml, -c over both', () => {
    fs.writeFileSync(path.join(home, 'config.toml'), 'default_permissions = ":read-only"\n');
    fs.writeFileSync(path.join(home, 'work.config.toml'), 'sandbox_mode = "workspace-write"\n');
    const c = load('work');
    expect(c.layers.map((l) => l.kind)).toEqual(['user', 'profile']);
    expect(selectPermissionProfile(c, { cwd: '/w' }).origin).toBe('sandbox_mode');
    const c2 = load('work', ['default_permissions=":danger-full-access"']);
    expect(selectPermissionProfile(c2, { cwd: '/w' }).profile).toEqual({ type: 'disabled' });
  });

  test('an unknown -p profile is an error (not silently ignored)', () => {
    const e = thrown(() => load('nope')) as ConfigError;
    expect(e).toBeInstanceOf(ConfigError);
    expect(e.message).toContain('config profile `nope` (-p) not found');
    expect(e.path).toBe(path.join(home, 'nope.config.toml'));
  });

  test('-p names cannot escape CODEX_HOME', () => {
    expect(() => load('../x')).toThrow(ConfigError);
    expect(() => load('')).toThrow(ConfigError);
  });

  test('errors name the file', () => {
    fs.writeFileSync(path.join(home, 'config.toml'), '[permissions.p.filesystem]\n"rel" = "read"\n');
    const e = thrown(() => load()) as ConfigError;
    expect(e).toBeInstanceOf(PolicyError);
    expect(e.path).toBe(path.join(home, 'config.toml'));
  });

  test('an unreadable config path (a directory) is a ConfigError', () => {
    fs.mkdirSync(path.join(home, 'config.toml'));
    expect(() => load()).toThrow(ConfigError);
  });
});
