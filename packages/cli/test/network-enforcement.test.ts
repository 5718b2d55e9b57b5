// Table tests of the fail-closed network decision, plus the same refusals through the built
// executable (nothing runs, the message names the key) and through the library API.
import * as fs from 'node:fs';
import * as path from 'node:path';

import { checkNetworkEnforceable, UnenforceableNetworkPolicyError, type NetworkSettings } from '../src/network-enforcement.js';
import { createSandbox } from '../src/sandbox.js';
import { makeWorkspace, prepareExecutable, run, type PreparedExecutable } from './helpers/executable.js';

describe('checkNetworkEnforceable', () => {
  const refused: Array<[string, NetworkSettings, RegExp]> = [
    ['unix sockets', { profileId: 'dev', network: 'enabled', networkTable: { enabled: true, unix_sockets: { '/tmp/x.sock': 'allow' } } }, /`permissions\.dev\.network\.unix_sockets`/],
    ['all unix sockets', { profileId: 'dev', network: 'enabled', networkTable: { enabled: true, dangerously_allow_all_unix_sockets: true } }, /dangerously_allow_all_unix_sockets/],
    ['an unknown key', { profileId: 'dev', network: 'enabled', networkTable: { enabled: true, domain: {} } }, /`permissions\.dev\.network\.domain`/],
    ['the proxy feature', { profileId: ':workspace', network: 'enabled', features: { network_proxy: true } }, /`features\.network_proxy`/],
    ['the proxy feature as a table', { profileId: 'dev', network: 'enabled', networkTable: { enabled: true }, features: { network_proxy: { enabled: true } } }, /features\.network_proxy/],
  ];
  it.each(refused)('network enabled + %s: refused, naming the key', (_name, settings, key) => {
    expect(() => checkNetworkEnforceable(settings)).toThrow(UnenforceableNetworkPolicyError);
    expect(() => checkNetworkEnforceable(settings)).toThrow(key);
    expect(() => checkNetworkEnforceable(settings)).toThrow(/refusing to run/);
  });

  it('lists every key it cannot enforce', () => {
    const settings: NetworkSettings = {
      profileId: 'dev',
      network: 'enabled',
      networkTable: { enabled: true, unix_sockets: { '/a': 'allow' }, domains: {}, dangerously_allow_all_unix_sockets: true },
    };
    expect(() => checkNetworkEnforceable(settings)).toThrow(/`permissions\.dev\.network\.unix_sockets`, `permissions\.dev\.network\.dangerously_allow_all_unix_sockets`/);
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
  ] as Array<[string, Record<string, unknown>]>)('network enabled + %s: enforced by the managed proxy, not refused here', (_name, table) => {
    expect(checkNetworkEnforceable({ profileId: 'dev', network: 'enabled', networkTable: { enabled: true, ...table } })).toEqual([]);
  });

  it.each([
    ['no network table', { profileId: ':workspace', network: 'restricted' }],
    ['only enabled = true', { profileId: 'dev', network: 'enabled', networkTable: { enabled: true } }],
    ['only enabled = false', { profileId: 'dev', network: 'restricted', networkTable: { enabled: false } }],
    ['the proxy feature off', { profileId: 'dev', network: 'enabled', networkTable: { enabled: true }, features: { network_proxy: false } }],
    ['other features', { profileId: 'dev', network: 'enabled', features: { shell_tool: true } }],
  ] as Array<[string, NetworkSettings]>)('%s: nothing to refuse, no warning', (_name, settings) => {
    expect(checkNetworkEnforceable(settings)).toEqual([]);
  });

  it('network off: proxy settings only warn (the command reaches no network at all)', () => {
    const warnings = checkNetworkEnforceable({ profileId: 'dev', network: 'restricted', networkTable: { domains: { 'a.example': 'allow' } } });
    expect(warnings).toEqual([expect.stringMatching(/network is disabled.*`permissions\.dev\.network\.domains` has no effect/)]);
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

  it.each([false, true])('a Unix-socket allowlist with network enabled refuses to run or plan (unprivileged: %p)', (unprivileged) => {
    fs.writeFileSync(path.join(ws.codexHome, 'config.toml'), UNIX_SOCKETS_PROFILE, { mode: 0o644 });
    const marker = path.join(ws.work, 'ran');
    for (const extra of [[], ['--dry-run']]) {
      const result = codex(['sandbox', ...extra, '-P', 'dev', '--', 'touch', marker], unprivileged);
      expect(result.status).toBe(1);
      expect(result.stderr).toMatch(/`permissions\.dev\.network\.unix_sockets`.*refusing to run/);
      expect(result.stderr).not.toMatch(/\n\s+at /);
      expect(fs.existsSync(marker)).toBe(false);
    }
  });

  it('-c features.network_proxy=true with network enabled refuses too', () => {
    fs.writeFileSync(
      path.join(ws.codexHome, 'config.toml'),
      '[permissions.net]\nextends = ":workspace"\n[permissions.net.network]\nenabled = true\n',
      { mode: 0o644 },
    );
    const result = codex(['sandbox', '-P', 'net', '-c', 'features.network_proxy=true', '--', 'true']);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/`features\.network_proxy`/);
    expect(codex(['sandbox', '-P', 'net', '--', 'true']).status).toBe(0);
  });

  it('the library API refuses when the sandbox is created', () => {
    fs.writeFileSync(path.join(ws.codexHome, 'config.toml'), UNIX_SOCKETS_PROFILE, { mode: 0o644 });
    expect(() =>
      createSandbox({ permissionProfile: 'dev', cwd: ws.work, codexHome: ws.codexHome, env: { PATH: '/usr/bin:/bin', HOME: ws.root } }),
    ).toThrow(UnenforceableNetworkPolicyError);
  });
});
