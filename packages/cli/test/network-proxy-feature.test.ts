// Table tests of `features.network_proxy` (N18): what it reads, when the run goes through the
// managed proxy, and what a `[features.network_proxy]` table may change (only narrow).
import { ConfigError } from '@codex-sandbox/policy';
import { NetworkPolicyError } from '@codex-sandbox/proxy-bridge';

import { CliError } from '../src/errors.js';
import { overlayNetworkTable, planManagedNetwork } from '../src/managed-network.js';
import { asksForManagedNetwork, readNetworkProxyFeature } from '../src/network-proxy-feature.js';

describe('readNetworkProxyFeature', () => {
  it.each([
    ['no features table', undefined, { kind: 'default' }],
    ['other features', { use_legacy_landlock: false }, { kind: 'default' }],
    ['true', { network_proxy: true }, { kind: 'on', overlay: {} }],
    ['false', { network_proxy: false }, { kind: 'off' }],
    ['a table', { network_proxy: { mode: 'limited' } }, { kind: 'on', overlay: { mode: 'limited' } }],
    ['a table with enabled = true', { network_proxy: { enabled: true, domains: { 'x.test': 'deny' } } }, { kind: 'on', overlay: { domains: { 'x.test': 'deny' } } }],
    ['a table with enabled = false', { network_proxy: { enabled: false } }, { kind: 'off' }],
  ] as const)('%s', (_what, features, expected) => {
    expect(readNetworkProxyFeature(features)).toEqual(expected);
  });

  it.each([
    ['a string', { network_proxy: 'yes' }, '`features.network_proxy` must be true, false or a table, not the string "yes"'],
    ['a number', { network_proxy: 1 }, '`features.network_proxy` must be true, false or a table, not number 1'],
    ['an array', { network_proxy: [] }, 'not an array'],
    ['enabled not a boolean', { network_proxy: { enabled: 'on' } }, '`features.network_proxy.enabled` must be true or false'],
    ['an unknown key', { network_proxy: { domain: {} } }, 'unknown key `features.network_proxy.domain`; allowed in `features.network_proxy`: enabled, domains'],
    ['the network bit itself', { network_proxy: { enabled: true, network: true } }, 'unknown key `features.network_proxy.network`'],
    ['settings with enabled = false', { network_proxy: { enabled: false, mode: 'limited' } }, '`features.network_proxy.mode` has no effect with `features.network_proxy.enabled = false`'],
  ])('refuses %s, naming the key', (_what, features, message) => {
    expect(() => readNetworkProxyFeature(features)).toThrow(ConfigError);
    expect(() => readNetworkProxyFeature(features)).toThrow(message);
  });
});

describe('asksForManagedNetwork', () => {
  const policyTable = { enabled: true, domains: { 'a.test': 'allow' } };
  it.each([
    ['default, plain on', { enabled: true }, 'enabled', { kind: 'default' }, false],
    ['default, a policy key', policyTable, 'enabled', { kind: 'default' }, true],
    ['on, plain on: every request goes through the proxy', { enabled: true }, 'enabled', { kind: 'on', overlay: {} }, true],
    ['on, no table at all', undefined, 'enabled', { kind: 'on', overlay: {} }, true],
    ['on, network off: nothing to route', policyTable, 'restricted', { kind: 'on', overlay: {} }, false],
    ['off, plain on', { enabled: true }, 'enabled', { kind: 'off' }, false],
    ['off, network off', policyTable, 'restricted', { kind: 'off' }, false],
  ] as const)('%s', (_what, table, network, feature, expected) => {
    expect(asksForManagedNetwork(table, network, feature, 'dev')).toBe(expected);
  });

  it('off with a policy that needs the proxy refuses, naming both', () => {
    expect(() => asksForManagedNetwork(policyTable, 'enabled', { kind: 'off' }, 'dev')).toThrow(CliError);
    expect(() => asksForManagedNetwork(policyTable, 'enabled', { kind: 'off' }, 'dev')).toThrow(
      /`features\.network_proxy = false` turns the managed network proxy off, but `permissions\.dev\.network\.domains` can only be enforced by it/,
    );
  });
});

describe('overlayNetworkTable (N18: narrow only)', () => {
  const profile = { enabled: true, domains: { '**.a.test': 'allow', 'b.test': 'allow' }, unix_sockets: { '/run/a.sock': 'allow' } };
  it.each([
    ['deny entries are added; one replaces an allow', { domains: { 'b.test': 'deny', 'ads.a.test': 'deny' } }, { domains: { '**.a.test': 'allow', 'b.test': 'deny', 'ads.a.test': 'deny' } }],
    ['a Unix-socket deny', { unix_sockets: { '/run/a.sock': 'deny' } }, { unix_sockets: { '/run/a.sock': 'deny' } }],
    ['limited mode', { mode: 'limited' }, { mode: 'limited' }],
    ['full mode over nothing stays the default', { mode: 'full' }, { mode: 'full' }],
    ['booleans turned off', { allow_local_binding: false, enable_socks5: false, dangerously_allow_all_unix_sockets: false }, { allow_local_binding: false, enable_socks5: false, dangerously_allow_all_unix_sockets: false }],
    ['SOCKS5 on, as it is by default', { enable_socks5: true }, { enable_socks5: true }],
    ['a listener address', { proxy_url: 'http://127.0.0.1:9000' }, { proxy_url: 'http://127.0.0.1:9000' }],
  ])('%s', (_what, overlay, changed) => {
    expect(overlayNetworkTable(profile, overlay)).toEqual({ ...profile, ...changed });
  });

  it.each([
    ['an allow entry', { domains: { 'c.test': 'allow' } }, '`features.network_proxy.domains."c.test"` would give the command more than its profile allows (an "allow" entry)'],
    ['a Unix-socket allow', { unix_sockets: { '/run/b.sock': 'allow' } }, '`features.network_proxy.unix_sockets."/run/b.sock"` would give'],
    ['full over limited', { mode: 'full' }, '`features.network_proxy.mode` would give the command more than its profile allows (the profile says "limited")', { mode: 'limited' }],
    ['local binding on', { allow_local_binding: true }, '`features.network_proxy.allow_local_binding` would give the command more than its profile allows (the profile has it false)'],
    ['all Unix sockets', { dangerously_allow_all_unix_sockets: true }, '`features.network_proxy.dangerously_allow_all_unix_sockets` would give'],
    ['the upstream proxy', { allow_upstream_proxy: true }, '`features.network_proxy.allow_upstream_proxy` would give'],
    ['SOCKS5 back on', { enable_socks5: true }, '`features.network_proxy.enable_socks5` would give', { enable_socks5: false }],
  ] as Array<[string, Record<string, unknown>, string, Record<string, unknown>?]>)('refuses %s', (_what, overlay, message, extra = {}) => {
    expect(() => overlayNetworkTable({ ...profile, ...extra }, overlay)).toThrow(NetworkPolicyError);
    expect(() => overlayNetworkTable({ ...profile, ...extra }, overlay)).toThrow(message);
  });

  it('a malformed overlay is named by its own key', () => {
    expect(() => overlayNetworkTable(profile, { domains: { '*.com': 'deny' } })).toThrow(/`features\.network_proxy\.domains\."\*\.com"` is not a valid host pattern/);
    expect(() => overlayNetworkTable(profile, { mode: 'strict' })).toThrow('`features.network_proxy.mode` must be "limited" or "full"');
  });

  it('planManagedNetwork: on, plain `enabled = true`: the proxy with an empty allowlist (every request blocked)', () => {
    const plan = planManagedNetwork('dev', { enabled: true }, 'enabled', { kind: 'on', overlay: {} });
    expect(plan?.policy.allow).toEqual([]);
    expect(plan?.policy.warnings).toEqual(['`permissions.dev.network.domains` has no "allow" entry, so the managed proxy blocks every request']);
    const narrowed = planManagedNetwork('dev', profile, 'enabled', { kind: 'on', overlay: { mode: 'limited', domains: { 'b.test': 'deny' } } });
    expect([narrowed?.policy.mode, narrowed?.policy.deny.map((p) => p.text)]).toEqual(['limited', ['b.test']]);
  });
});
