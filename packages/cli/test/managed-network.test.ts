// The pure decisions of a managed-network run: when the proxy is used, the in-namespace ports,
// the proxy variables, and the routes (a variable naming anything but our listeners refuses).
import { NetworkPolicyError, ProxyRouteError } from '@codex-sandbox/proxy-bridge';

import { asksForManagedNetwork } from '../src/network-proxy-feature.js';
import { applyProxyEnv, planManagedNetwork, proxyEnvAdditions, routesFor, type ManagedNetworkPlan } from '../src/managed-network.js';

const SOCKETS = { http: '/run/p/http.sock', socks: '/run/p/socks.sock' };

function plan(table: Record<string, unknown>): ManagedNetworkPlan {
  const planned = planManagedNetwork('dev', { enabled: true, domains: { 'a.example': 'allow' }, ...table }, 'enabled');
  if (planned === undefined) throw new Error('expected a managed plan');
  return planned;
}

describe('planManagedNetwork', () => {
  it.each([
    ['no table', undefined, 'enabled'],
    ['only enabled', { enabled: true }, 'enabled'],
    ['network off', { domains: { 'a.example': 'allow' } }, 'restricted'],
  ] as const)('%s: no managed proxy', (_what, table, network) => {
    expect(planManagedNetwork('dev', table, network)).toBeUndefined();
    expect(asksForManagedNetwork(table, network)).toBe(false);
  });

  it('domains: the proxy, on 3128 (HTTP) and 8081 (SOCKS5) inside the namespace', () => {
    expect(asksForManagedNetwork({ enabled: true, domains: {} }, 'enabled')).toBe(true);
    const p = plan({ domains: { 'a.example': 'allow' } });
    expect([p.httpPort, p.socksPort, p.policy.key]).toEqual([3128, 8081, 'permissions.dev.network']);
  });

  it('proxy_url and socks_url choose the ports; enable_socks5 = false drops SOCKS5', () => {
    expect([plan({ proxy_url: 'http://127.0.0.1:9000', socks_url: 'socks5h://127.0.0.1:9001' })].map((p) => [p.httpPort, p.socksPort])).toEqual([[9000, 9001]]);
    expect(plan({ enable_socks5: false }).socksPort).toBeUndefined();
    expect(plan({ proxy_url: 'http://127.0.0.1:8081' }).socksPort).toBe(8082);
  });

  it('a bad table is refused, naming the key', () => {
    expect(() => plan({ domains: { '*.com': 'allow' } })).toThrow(NetworkPolicyError);
    expect(() => plan({ proxy_url: 'http://proxy.corp:3128' })).toThrow(/`permissions\.dev\.network\.proxy_url`: host `proxy\.corp` is not loopback/);
  });
});

describe('environment and routes', () => {
  it('the inherited proxy variables (any spelling) are replaced by ours; NO_PROXY follows local binding', () => {
    const env = applyProxyEnv(plan({}), { HTTP_PROXY: 'http://corp:8080', Https_Proxy: 'http://corp:8080', no_proxy: '*', PATH: '/bin' });
    expect(env['HTTP_PROXY']).toBe('http://127.0.0.1:3128');
    expect(env['Https_Proxy']).toBeUndefined();
    expect([env['NO_PROXY'], env['no_proxy'], env['PATH']]).toEqual(['', '', '/bin']);
    expect(applyProxyEnv(plan({ allow_local_binding: true }), {})['NO_PROXY']).toMatch(/^localhost,127\.0\.0\.1,/);
    expect(proxyEnvAdditions(plan({})).find((a) => a.name === 'ALL_PROXY')).toEqual({ name: 'ALL_PROXY', value: 'socks5h://127.0.0.1:8081', reason: 'the managed network proxy' });
  });

  it('routes: one per listener, to the matching socket (in the order the sorted variables name them), held open by the session (no probe)', () => {
    const p = plan({});
    expect(routesFor(p, applyProxyEnv(p, {}), SOCKETS)).toEqual([
      { listenPort: 8081, socketPath: SOCKETS.socks, kind: 'SOCKS5', heldOpen: true },
      { listenPort: 3128, socketPath: SOCKETS.http, kind: 'HTTP', heldOpen: true },
    ]);
    expect(routesFor(plan({ enable_socks5: false }), applyProxyEnv(plan({ enable_socks5: false }), {}), SOCKETS)).toEqual([
      { listenPort: 3128, socketPath: SOCKETS.http, kind: 'HTTP', heldOpen: true },
    ]);
  });

  it.each([
    ['a loopback endpoint that is not ours', { HTTP_PROXY: 'http://127.0.0.1:9999' }, /127\.0\.0\.1:9999 is not one of the managed proxy's listeners/],
    ['a non-loopback value', { HTTP_PROXY: 'http://127.0.0.1:3128', HTTPS_PROXY: 'http://corp:8080' }, /HTTPS_PROXY cannot be routed into the sandbox: host `corp` is not loopback/],
    ['no proxy variable at all', {}, /requires proxy environment variables/],
  ])('refuses %s', (_what, env, message) => {
    expect(() => routesFor(plan({}), env, SOCKETS)).toThrow(ProxyRouteError);
    expect(() => routesFor(plan({}), env, SOCKETS)).toThrow(message);
  });
});
