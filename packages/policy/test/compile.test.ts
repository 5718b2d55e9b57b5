// Compilation of `[permissions.*]` TOML into entries: P1-P8 and Appendix A1.
import {
  ConfigError,
  PolicyError,
  parseConfigText,
  selectPermissionProfile,
  type FileSystemSandboxEntry,
  type PermissionProfile,
} from '@codex-sandbox/policy';

const HOME = '/home/u';

function select(toml: string, overrides: string[] = []) {
  const config = parseConfigText(toml, 'config.toml', { homeDir: HOME, overrides });
  return selectPermissionProfile(config, { cwd: '/w' });
}

function entriesOf(p: PermissionProfile): FileSystemSandboxEntry[] {
  if (p.type !== 'managed' || p.fileSystem.type !== 'restricted') throw new Error(`not restricted: ${JSON.stringify(p)}`);
  return p.fileSystem.entries;
}

function profileWith(fsToml: string, extra = ''): string {
  return `default_permissions = "p"\n[permissions.p]\n${extra}\n[permissions.p.filesystem]\n${fsToml}\n`;
}

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw new Error(`expected ConfigError, got ${String(e)}`);
  }
  throw new Error('expected ConfigError, nothing thrown');
}

describe('Appendix A1: TOML to entries', () => {
  test('compiles specials, scoped write, scoped deny glob and home path in key order', () => {
    const s = select(
      profileWith(`":root" = "read"\n"~/.ssh" = "none"\n[permissions.p.filesystem.":workspace_roots"]\n"." = "write"\n"**/*.env" = "none"\n`),
    );
    expect(entriesOf(s.profile)).toEqual([
      { path: { type: 'special', value: { kind: 'root' } }, access: 'read' },
      { path: { type: 'special', value: { kind: 'workspace_roots' } }, access: 'write' },
      { path: { type: 'glob_pattern', pattern: 'codex-project-roots://**/*.env' }, access: 'deny' },
      { path: { type: 'path', path: '/home/u/.ssh' }, access: 'deny' },
    ]);
    // Non-macOS warns about the unbounded `**` glob.
    if (process.platform !== 'darwin') expect(s.warnings.some((w) => w.includes('uses `**`'))).toBe(true);
  });

  test('the `**` warning names the glob as written and says what the scan does and what the setting changes', () => {
    const s = select(profileWith(`[permissions.p.filesystem.":workspace_roots"]\n"**/.env" = "none"\n`));
    const scoped = s.warnings.filter((w) => w.includes('uses `**`'));
    expect(scoped).toEqual([
      'Filesystem deny-read glob `permissions.p.filesystem.":workspace_roots"."**/.env"` uses `**`: on this platform the files it matches are found when the command starts, by scanning each workspace root to any depth (a matching file created later is not hidden). Setting `glob_scan_max_depth` in `[permissions.p.filesystem]` limits that scan to that many directory levels, so deeper matches stay readable; set it only if the scan is too slow.',
    ]);
    expect(scoped[0]).not.toContain('codex-project-roots://');
    const absolute = select(profileWith(`"~/src/**/*.pem" = "none"\n`)).warnings.filter((w) => w.includes('uses `**`'));
    expect(absolute).toHaveLength(1);
    expect(absolute[0]).toContain('glob `permissions.p.filesystem."~/src/**/*.pem"` uses `**`');
    expect(absolute[0]).toContain('by scanning `/home/u/src` to any depth');
    const nested = select(profileWith(`[permissions.p.filesystem."/data"]\n"x/**/k" = "none"\n`)).warnings.filter((w) => w.includes('uses `**`'));
    expect(nested[0]).toContain('glob `permissions.p.filesystem."/data"."x/**/k"` uses `**`: on this platform the files it matches are found when the command starts, by scanning `/data/x` to any depth');
  });

  test('no `**` warning once glob_scan_max_depth is set', () => {
    const s = select(profileWith(`glob_scan_max_depth = 2\n[permissions.p.filesystem.":workspace_roots"]\n"**/*.env" = "none"\n`));
    expect(s.warnings.some((w) => w.includes('uses `**`'))).toBe(false);
    expect(s.profile).toMatchObject({ fileSystem: { globScanMaxDepth: 2 } });
  });
});

describe('P1: non-glob keys', () => {
  test.each([
    ['"/opt/tools" = "read"', { type: 'path', path: '/opt/tools' }],
    // `.` and `//` collapse; `..` stays: where it leads depends on symlinks, so resolution decides.
    ['"/opt/./a/../tools/" = "read"', { type: 'path', path: '/opt/a/../tools' }],
    ['"/opt//a/.." = "read"', { type: 'path', path: '/opt/a/..' }],
    ['"~" = "read"', { type: 'path', path: '/home/u' }],
    ['"~/x" = "read"', { type: 'path', path: '/home/u/x' }],
    ['":minimal" = "read"', { type: 'special', value: { kind: 'minimal' } }],
    ['":tmpdir" = "read"', { type: 'special', value: { kind: 'tmpdir' } }],
    ['":slash_tmp" = "read"', { type: 'special', value: { kind: 'slash_tmp' } }],
  ])('%s', (line, path) => {
    expect(entriesOf(select(profileWith(line)).profile)).toEqual([{ path, access: 'read' }]);
  });

  test.each(['"relative/x" = "read"', '"./x" = "read"', '"~user/x" = "read"'])('rejects %s', (line) => {
    const e = configError(() => select(profileWith(line)));
    expect(e.message).toMatch(/must be absolute, use `~\/\.\.\.`, or start with `:`/);
    expect(e.key).toContain('permissions.p.filesystem');
    expect(e.path).toBe('config.toml');
  });

  test('`:project_roots` is rejected, naming `:workspace_roots`', () => {
    const e = configError(() => select(profileWith('":project_roots" = "write"')));
    expect(e.message).toContain('`:project_roots`');
    expect(e.message).toContain('`:workspace_roots`');
    const e2 = configError(() => select(profileWith('[permissions.p.filesystem.":project_roots"]\n"." = "write"')));
    expect(e2.message).toContain('`:workspace_roots`');
  });

  test('bad access values name the key and the allowed values', () => {
    const e = configError(() => select(profileWith('"/x" = "rw"')));
    expect(e.message).toContain('`rw`');
    expect(e.message).toContain('`read`, `write`, or `none`');
    expect(e.key).toBe('permissions.p.filesystem."/x"');
    expect(() => select(profileWith('"/x" = 1'))).toThrow(ConfigError);
  });

  test('`none` and `deny` both mean deny', () => {
    expect(entriesOf(select(profileWith('"/a" = "none"\n"/b" = "deny"')).profile).map((e) => e.access)).toEqual(['deny', 'deny']);
  });
});

describe('P2/P3: unscoped globs', () => {
  test('deny glob becomes a glob_pattern (home-expanded)', () => {
    expect(entriesOf(select(profileWith('"~/secrets/*.pem" = "none"\n"/etc/**/*.pem" = "none"')).profile)).toEqual([
      { path: { type: 'glob_pattern', pattern: '/etc/**/*.pem' }, access: 'deny' },
      { path: { type: 'glob_pattern', pattern: '/home/u/secrets/*.pem' }, access: 'deny' },
    ]);
  });

  test('a `..` before the first glob character is kept for resolution; after it, the key is refused', () => {
    expect(entriesOf(select(profileWith('"/ws/lnk/../*.env" = "none"')).profile)).toEqual([
      { path: { type: 'glob_pattern', pattern: '/ws/lnk/../*.env' }, access: 'deny' },
    ]);
    const e = configError(() => select(profileWith('"/ws/*/../secret" = "none"')));
    expect(e.message).toBe(
      'config.toml: filesystem glob `/ws/*/../secret` has a `..` component after its first glob character, where no path can match it; write the pattern without it',
    );
    expect(e.key).toBe('permissions.p.filesystem."/ws/*/../secret"');
  });

  test.each(['?', '[', ']'])('`%s` is a glob character', (ch) => {
    const e = entriesOf(select(profileWith(`"/a${ch}b" = "none"`)).profile)[0];
    expect(e?.path.type).toBe('glob_pattern');
  });

  test('trailing `/**` with read/write becomes a subtree path rule', () => {
    expect(entriesOf(select(profileWith('"/data/**" = "write"')).profile)).toEqual([{ path: { type: 'path', path: '/data' }, access: 'write' }]);
  });

  test('other read/write globs are rejected', () => {
    const e = configError(() => select(profileWith('"/data/*.txt" = "read"')));
    expect(e.message).toBe(
      'config.toml: filesystem glob path `/data/*.txt` only supports `deny` access; use an exact path or trailing `/**` for `read` subtree access',
    );
    expect(() => select(profileWith('"/a/*/**" = "write"'))).toThrow(/only supports `deny` access/);
  });
});

describe('P4: scoped tables', () => {
  test('"." is the key itself; subpaths join; trailing /** strips', () => {
    const s = select(profileWith('[permissions.p.filesystem."/repo"]\n"." = "write"\n"build/**" = "read"\n"src/gen" = "none"'));
    expect(entriesOf(s.profile)).toEqual([
      { path: { type: 'path', path: '/repo' }, access: 'write' },
      { path: { type: 'path', path: '/repo/build' }, access: 'read' },
      { path: { type: 'path', path: '/repo/src/gen' }, access: 'deny' },
    ]);
  });

  test('workspace_roots subpaths stay symbolic', () => {
    const s = select(profileWith('[permissions.p.filesystem.":workspace_roots"]\n"build" = "write"'));
    expect(entriesOf(s.profile)).toEqual([{ path: { type: 'special', value: { kind: 'workspace_roots', subpath: 'build' } }, access: 'write' }]);
  });

  test('absolute key with a deny glob subpath gives K/S', () => {
    const s = select(profileWith('[permissions.p.filesystem."/repo"]\n"**/*.key" = "none"'));
    expect(entriesOf(s.profile)).toEqual([{ path: { type: 'glob_pattern', pattern: '/repo/**/*.key' }, access: 'deny' }]);
  });

  test.each(['..', '../x', 'a/../b', './a', '/abs', ''])('subpath `%s` is rejected', (sub) => {
    const e = configError(() => select(profileWith(`[permissions.p.filesystem."/repo"]\n"${sub}" = "read"`)));
    expect(e.message).toContain('must be a descendant path without `.` or `..` components');
  });

  test.each([':root', ':minimal', ':tmpdir', ':slash_tmp'])('%s does not support nested entries', (k) => {
    expect(() => select(profileWith(`[permissions.p.filesystem."${k}"]\n"x" = "read"`))).toThrow(`filesystem path \`${k}\` does not support nested entries`);
    expect(entriesOf(select(profileWith(`[permissions.p.filesystem."${k}"]\n"." = "read"`)).profile)).toHaveLength(1);
  });

  test('scoped read glob that is not a subtree rule is rejected', () => {
    expect(() => select(profileWith('[permissions.p.filesystem.":workspace_roots"]\n"*.md" = "read"'))).toThrow(/only supports `deny` access/);
  });
});

describe('unknown specials', () => {
  test('are kept as `unknown` and warned about, with the nested variant', () => {
    const s = select(profileWith('":root" = "read"\n":future" = "read"\n[permissions.p.filesystem.":later"]\n"x" = "write"'));
    expect(entriesOf(s.profile)).toContainEqual({ path: { type: 'special', value: { kind: 'unknown', path: ':future' } }, access: 'read' });
    expect(entriesOf(s.profile)).toContainEqual({ path: { type: 'special', value: { kind: 'unknown', path: ':later', subpath: 'x' } }, access: 'write' });
    expect(s.warnings).toContain(
      'Configured filesystem path `:future` is not recognized by this version of Codex and will be ignored. Upgrade Codex if this path is required.',
    );
    expect(s.warnings).toContain(
      'Configured filesystem path `:later` with nested entry `x` is not recognized by this version of Codex and will be ignored. Upgrade Codex if this path is required.',
    );
  });
});

describe('P5: glob_scan_max_depth', () => {
  test('0 is rejected', () => {
    expect(() => select(profileWith('glob_scan_max_depth = 0'))).toThrow('glob_scan_max_depth must be at least 1');
  });
  test.each(['-1', '1.5', '"3"', 'true'])('%s is rejected', (v) => {
    expect(() => select(profileWith(`glob_scan_max_depth = ${v}`))).toThrow(ConfigError);
  });
});

describe('P6: no recognised entries', () => {
  test.each([
    ['missing filesystem table', 'default_permissions = "p"\n[permissions.p]\ndescription = "x"\n'],
    ['only unknown specials', profileWith('":future" = "read"')],
  ])('%s: restricted with no entries plus a warning', (_n, toml) => {
    const s = select(toml);
    expect(s.profile.type).toBe('managed');
    expect(s.warnings).toContain(
      'Permissions profile `p` does not define any recognized filesystem entries for this version of Codex. Filesystem access will remain restricted. Upgrade Codex if this profile expects filesystem permissions.',
    );
  });
});

describe('P8: network', () => {
  test.each([
    ['', 'restricted'],
    ['[permissions.p.network]\nenabled = true', 'enabled'],
    ['[permissions.p.network]\nenabled = false', 'restricted'],
    ['[permissions.p.network]\nmode = "limited"\nproxy_url = "http://127.0.0.1:3128"', 'restricted'],
  ])('%j -> %s', (net, expected) => {
    const s = select(`default_permissions = "p"\n[permissions.p.filesystem]\n":root" = "read"\n${net}\n`);
    expect(s.profile).toMatchObject({ network: expected });
  });

  test('all documented network keys are accepted', () => {
    const s = select(`default_permissions = "p"
[permissions.p.filesystem]
":root" = "read"
[permissions.p.network]
enabled = true
proxy_url = "http://127.0.0.1:3128"
enable_socks5 = true
socks_url = "socks5://127.0.0.1:1080"
enable_socks5_udp = false
allow_upstream_proxy = true
dangerously_allow_non_loopback_proxy = false
dangerously_allow_all_unix_sockets = false
mode = "full"
allow_local_binding = true
[permissions.p.network.domains]
"*.openai.com" = "allow"
"evil.example" = "deny"
[permissions.p.network.unix_sockets]
"/tmp/x.sock" = "allow"
[permissions.p.network.mitm]
hooks = []
`);
    expect(s.networkTable).toMatchObject({ mode: 'full' });
  });

  test.each([
    ['enabeld = true', 'unknown key `enabeld`'],
    ['enabled = "yes"', 'must be a boolean'],
    ['mode = "open"', 'must be "limited" or "full"'],
    ['[permissions.p.network.domains]\n"x.com" = "maybe"', 'must be "allow" or "deny"'],
    ['[permissions.p.network.mitm]\nfoo = 1', 'unknown key `foo`'],
  ])('%j is rejected', (net, msg) => {
    const e = configError(() => select(`default_permissions = "p"\n[permissions.p.network]\n${net}\n`));
    expect(e.message).toContain(msg);
    expect(e.key).toMatch(/^permissions\.p\.network/);
  });
});

describe('profile table keys', () => {
  test('unknown profile keys are rejected with the allowed list', () => {
    const e = configError(() => select('default_permissions = "p"\n[permissions.p]\nfilesytem = {}\n'));
    expect(e.message).toContain('unknown key `filesytem`');
    expect(e.message).toContain('description, extends, workspace_roots, filesystem, network');
  });

  test('errors in unselected profiles are reported too (never silently ignored)', () => {
    expect(() => select('default_permissions = ":read-only"\n[permissions.other.filesystem]\n"rel" = "read"\n')).toThrow(PolicyError);
  });

  test('workspace_roots values must be booleans', () => {
    expect(() => select('default_permissions = "p"\n[permissions.p.workspace_roots]\n"/x" = "yes"\n')).toThrow(/must be true or false/);
  });
});
