// Managed requirements (P15): allowlist, fallback, deny_read, and their error texts.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  ConfigError,
  loadConfig,
  parseConfigText,
  parseRequirementsText,
  selectPermissionProfile,
  type FileSystemSandboxEntry,
  type PermissionProfile,
  type ProfileSelection,
} from '@codex-sandbox/policy';

function select(configToml: string, reqToml: string, sel: Partial<ProfileSelection> = {}) {
  const requirements = parseRequirementsText(reqToml, 'requirements.toml');
  const config = parseConfigText(configToml, 'config.toml', { homeDir: '/home/u', requirements });
  return selectPermissionProfile(config, { cwd: '/w', ...sel });
}

function entriesOf(p: PermissionProfile): FileSystemSandboxEntry[] {
  if (p.type !== 'managed' || p.fileSystem.type !== 'restricted') throw new Error(`not restricted: ${JSON.stringify(p)}`);
  return p.fileSystem.entries;
}

const BOTH = 'allowed_permission_profiles = { ":workspace" = true, ":read-only" = true }\n';

describe('P15: allowlist and fallback', () => {
  test('an allowed selection stands', () => {
    expect(select('default_permissions = ":read-only"', BOTH).id).toBe(':read-only');
  });

  test('a disallowed selection falls back to :workspace (both built-ins allowed) with the warning', () => {
    const s = select('default_permissions = ":danger-full-access"', BOTH);
    expect(s).toMatchObject({ id: ':workspace', origin: 'requirements' });
    expect(s.warnings).toContain(
      'Configured value for `permission_profile` is disallowed by requirements; falling back from `:danger-full-access` to required value `:workspace`.',
    );
  });

  test('-P and legacy sandbox_mode are checked too', () => {
    expect(select('', BOTH, { permissionProfile: ':danger-full-access' }).id).toBe(':workspace');
    expect(select('sandbox_mode = "danger-full-access"', BOTH).id).toBe(':workspace');
  });

  test('requirements default_permissions is the fallback and forces a selection', () => {
    const req = 'allowed_permission_profiles = { dev = true }\ndefault_permissions = "dev"\n';
    const cfg = '[permissions.dev.filesystem]\n":root" = "read"\n';
    const s = select(cfg, req);
    expect(s).toMatchObject({ id: 'dev', origin: 'requirements' });
    expect(select(cfg, req, { permissionProfile: ':read-only' }).id).toBe('dev');
  });

  test.each([
    ['allowed_permission_profiles = { ":read-only" = true }\n', 'requirements.toml default_permissions must be set unless allowed_permission_profiles allows both `:workspace` and `:read-only`'],
    ['default_permissions = ":read-only"\n', 'requirements.toml default_permissions requires allowed_permission_profiles'],
    ['allowed_permission_profiles = { nope = true, ":read-only" = true, ":workspace" = true }\n', 'requirements.toml allowed_permission_profiles refers to undefined profile `nope`'],
    ['allowed_permission_profiles = { ":read-only" = true }\ndefault_permissions = ":workspace"\n', 'is not allowed by allowed_permission_profiles'],
    ['allowed_permission_profiles = { ":read-only" = "yes" }\n', 'must be true or false'],
    ['[filesystem]\ndeny = []\n', 'unknown key `deny` in `[filesystem]`'],
    ['[filesystem]\ndeny_read = ["relative"]\n', 'absolute paths or glob patterns'],
  ])('%j', (req, msg) => {
    let err: unknown;
    try {
      select('', req);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toContain(msg);
  });
});

describe('P15: deny_read', () => {
  test('appended as deny entries (glob when it has glob characters)', () => {
    const s = select('default_permissions = ":read-only"', '[filesystem]\ndeny_read = ["/etc/shadow", "/home/*/.ssh/**"]\n');
    expect(entriesOf(s.profile).slice(1)).toEqual([
      { path: { type: 'path', path: '/etc/shadow' }, access: 'deny' },
      { path: { type: 'glob_pattern', pattern: '/home/*/.ssh/**' }, access: 'deny' },
    ]);
  });

  test('a full-access profile becomes restricted so the denies are enforced', () => {
    const s = select('default_permissions = ":danger-full-access"', '[filesystem]\ndeny_read = ["/etc/shadow"]\n');
    expect(s.profile).toEqual({
      type: 'managed',
      fileSystem: { type: 'restricted', entries: [{ path: { type: 'special', value: { kind: 'root' } }, access: 'write' }, { path: { type: 'path', path: '/etc/shadow' }, access: 'deny' }] },
      network: 'enabled',
    });
  });
});

describe('loading', () => {
  test('requirementsPath: missing file is no requirements; present file applies', () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'policy-req-'));
    try {
      const base = { codexHome: home, overrides: [], cwd: '/w', homeDir: '/home/u', env: {} };
      expect(loadConfig({ ...base, requirementsPath: path.join(home, 'requirements.toml') }).requirements).toBeUndefined();
      fs.writeFileSync(path.join(home, 'requirements.toml'), BOTH);
      fs.writeFileSync(path.join(home, 'config.toml'), 'sandbox_mode = "danger-full-access"\n');
      const c = loadConfig({ ...base, requirementsPath: path.join(home, 'requirements.toml') });
      expect(selectPermissionProfile(c, { cwd: '/w' }).id).toBe(':workspace');
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  });
});
