// Table tests of the fail-closed network decision, plus the same refusals through the built
// executable (nothing runs, the message names the key) and through the library API.
import * as fs from 'node:fs';
import * as path from 'node:path';

import { checkNetworkEnforceable, UnenforceableNetworkPolicyError, type NetworkSettings } from '../src/network-enforcement.js';
import { createSandbox } from '../src/sandbox.js';
import { makeWorkspace, prepareExecutable, run, type PreparedExecutable } from './helpers/executable.js';

describe('checkNetworkEnforceable', () => {
  const refused: Array<[string, NetworkSettings, RegExp]> = [
    ['an unknown key', { profileId: 'dev', network: 'enabled', networkTable: { enabled: true, domain: {} } }, /`permissions\.dev\.network\.domain`/],
    ['an unknown key on a built-in id', { profileId: ':x', network: 'enabled', networkTable: { enabled: true, unix_socket: {} } }, /`unix_socket`/],
  ];
  it.each(refused)('network enabled + %s: refused, naming the key', (_name, settings, key) => {
    expect(() => checkNetworkEnforceable(settings)).toThrow(UnenforceableNetworkPolicyError);
    expect(() => checkNetworkEnforceable(settings)).toThrow(key);
    expect(() => checkNetworkEnforceable(settings)).toThrow(/refusing to run/);
  });

  it('lists every key it cannot enforce', () => {
    const settings: NetworkSettings = { profileId: 'dev', network: 'enabled', networkTable: { enabled: true, domian: {}, domains: {}, proxy: 'x' } };
    expect(() => checkNetworkEnforceable(settings)).toThrow(/`permissions\.dev\.network\.domian`, `permissions\.dev\.network\.proxy`/);
  });

  // Enforced by the managed proxy (tested end to end in network-proxy*.e2e.test.ts).
  it.each([
    ['domains', { domains: { '*.example.com': 'allow' } }],
    ['mode', { mode: 'limited' }],
    ['a proxy URL', { proxy_url: 'http://127.0.0.1:3128' }],
    ['local binding', { allow_local_binding: false }],
    ['SOCKS5 settings', { enable_socks5: false }],
    ['the upstream proxy', { allow_upstream_proxy: true }],
    ['no Unix socket at all', { unix_sockets: {}, dangerously_allow_all_unix_sockets: false }],
    ['a Unix-socket allowlist', { unix_sockets: { '/tmp/x.sock': 'allow' } }],
    ['all Unix sockets', { dangerously_allow_all_unix_sockets: true }],
  ] as Array<[string, Record<string, unknown>]>)('network enabled + %s: enforced by the managed proxy, not refused here', (_name, table) => {
    expect(checkNetworkEnforceable({ profileId: 'dev', network: 'enabled', networkTable: { enabled: true, ...table } })).toEqual([]);
  });

  it.each([
    ['no network table', { profileId: ':workspace', network: 'restricted' }],
    ['only enabled = true', { profileId: 'dev', network: 'enabled', networkTable: { enabled: true } }],
    ['only enabled = false', { profileId: 'dev', network: 'restricted', networkTable: { enabled: false } }],
  ] as Array<[string, NetworkSettings]>)('%s: nothing to refuse, no warning', (_name, settings) => {
    expect(checkNetworkEnforceable(settings)).toEqual([]);
  });

  it('network off: proxy settings only warn (the command reaches no network at all)', () => {
    const warnings = checkNetworkEnforceable({ profileId: 'dev', network: 'restricted', networkTable: { domains: { 'a.example': 'allow' } } });
    expect(warnings).toEqual([expect.stringMatching(/network is disabled.*`permissions\.dev\.network\.domains` has no effect/)]);
    // N15: without network there is no supervisor either; the sockets stay unreachable, and the user is told.
    const unix = checkNetworkEnforceable({ profileId: 'dev', network: 'restricted', networkTable: { unix_sockets: { '/run/a.sock': 'allow' } } });
    expect(unix).toEqual([expect.stringMatching(/`permissions\.dev\.network\.unix_sockets` has no effect: .*no Unix socket outside the sandbox/)]);
  });
});

describe('through the executable and the library', () => {
  let exe: PreparedExecutable;
  let ws: ReturnType<typeof makeWorkspace>;
  beforeAll(() => {
    exe = prepareExecutable();
  });
  afterAll(() => exe.cleanup());
  beforeEach(() => {
    ws = makeWorkspace();
  });
  afterEach(() => ws.cleanup());

  const UNIX_SOCKETS_PROFILE = `
[permissions.dev]
extends = ":workspace"
[permissions.dev.network]
enabled = true
[permissions.dev.network.domains]
"*.example.com" = "allow"
[permissions.dev.network.unix_sockets]
"/run/docker.sock" = "allow"
`;

  function codex(args: string[], unprivileged = false) {
    return run(exe.path, args, {
      cwd: ws.work,
      env: { PATH: '/usr/bin:/bin', HOME: ws.root, CODEX_HOME: ws.codexHome },
      unprivileged,
    });
  }

  it.each([false, true])('a Unix-socket allowlist naming a socket that does not exist refuses to run or plan (unprivileged: %p)', (unprivileged) => {
    fs.writeFileSync(path.join(ws.codexHome, 'config.toml'), UNIX_SOCKETS_PROFILE.replace('/run/docker.sock', path.join(ws.root, 'missing.sock')), { mode: 0o644 });
    const marker = path.join(ws.work, 'ran');
    for (const extra of [[], ['--dry-run']]) {
      const result = codex(['sandbox', ...extra, '-P', 'dev', '--', 'touch', marker], unprivileged);
      expect(result.status).toBe(1);
      expect(result.stderr).toMatch(/Unix socket .*missing\.sock cannot be allowed: it does not exist/);
      expect(result.stderr).not.toMatch(/\n\s+at /);
      expect(fs.existsSync(marker)).toBe(false);
    }
  });

  it('-c features.network_proxy=false with a domain policy refuses; a bad value names the key', () => {
    fs.writeFileSync(path.join(ws.codexHome, 'config.toml'), UNIX_SOCKETS_PROFILE, { mode: 0o644 });
    const off = codex(['sandbox', '-P', 'dev', '-c', 'features.network_proxy=false', '--', 'true']);
    expect(off.status).toBe(1);
    expect(off.stderr).toMatch(/`features\.network_proxy = false` turns the managed network proxy off, but `permissions\.dev\.network\.domains`, `permissions\.dev\.network\.unix_sockets` can only be enforced by it/);
    const bad = codex(['sandbox', '-P', 'dev', '-c', 'features.network_proxy="yes"', '--', 'true']);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/`features\.network_proxy` must be true, false or a table, not the string "yes"/);
  });

  it('the library API refuses a missing allowed socket when it plans or runs', async () => {
    const missing = path.join(ws.root, 'missing.sock');
    fs.writeFileSync(path.join(ws.codexHome, 'config.toml'), UNIX_SOCKETS_PROFILE.replace('/run/docker.sock', missing), { mode: 0o644 });
    const sandbox = createSandbox({ permissionProfile: 'dev', cwd: ws.work, codexHome: ws.codexHome, env: { PATH: '/usr/bin:/bin', HOME: ws.root } });
    try {
      await expect(sandbox.plan(['true'])).rejects.toThrow(`Unix socket ${missing} cannot be allowed: it does not exist`);
      await expect(sandbox.run(['touch', path.join(ws.work, 'ran')], { stdio: 'pipe' })).rejects.toThrow('cannot be allowed');
      expect(fs.existsSync(path.join(ws.work, 'ran'))).toBe(false);
    } finally {
      await sandbox.close();
    }
  });
});
