// The second stage as the dialer applies it, without opening any socket: every address a name
// resolves to is checked, and one refused address refuses the name.
import { resolveAndCheck, type DialContext } from '../src/dial.js';
import { formatIp } from '../src/ip.js';
import { parseTargetHost } from '../src/patterns.js';
import { compileNetworkPolicy, decideName } from '../src/policy.js';
import { bypassesUpstream, upstreamConfigFromEnv } from '../src/upstream.js';
import { mapResolver } from './support/net.js';

function ctx(table: Record<string, unknown>, map: Record<string, readonly string[]>): DialContext & { calls: string[] } {
  const resolve = mapResolver(map);
  return {
    policy: compileNetworkPolicy(table),
    resolve,
    connectTimeoutMs: 1000,
    upstream: undefined,
    track: () => {
      throw new Error('resolveAndCheck must not open sockets');
    },
    calls: resolve.calls,
  };
}

async function check(table: Record<string, unknown>, map: Record<string, readonly string[]>, host: string, port = 443) {
  const c = ctx(table, map);
  const target = parseTargetHost(host);
  if (target === undefined) throw new Error(host);
  const name = decideName(c.policy, target, port);
  if (!name.allowed) throw new Error(`name refused: ${name.detail}`);
  return { outcome: await resolveAndCheck(c, target, name, port), calls: c.calls };
}

const ALLOW = { domains: { '**.example.com': 'allow', '203.0.113.9': 'deny' } };

test.each([
  ['public only', ['192.0.2.10', '2001:db8::10'], 'ok', undefined],
  ['public then loopback', ['192.0.2.10', '127.0.0.1'], 'blocked', '127.0.0.1'],
  ['loopback then public', ['127.0.0.1', '192.0.2.10'], 'blocked', '127.0.0.1'],
  ['mapped private', ['::ffff:10.0.0.1'], 'blocked', '::ffff:10.0.0.1'],
  ['link-local v6', ['192.0.2.10', 'fe80::1'], 'blocked', 'fe80::1'],
  ['denied address', ['192.0.2.10', '203.0.113.9'], 'blocked', '203.0.113.9'],
  ['nothing', [], 'unreachable', undefined],
  ['not an address', ['not-an-ip'], 'unreachable', undefined],
] as const)('%s: %j -> %s', async (_name, addresses, kind, refused) => {
  const { outcome } = await check(ALLOW, { 'a.example.com': addresses }, 'a.example.com');
  expect(outcome.kind).toBe(kind);
  if (outcome.kind === 'blocked') expect(outcome.address).toBe(refused);
  if (outcome.kind === 'ok') expect(outcome.addresses.map(formatIp)).toEqual(addresses);
});

test('a name the resolver does not know is unreachable (502), not blocked', async () => {
  const { outcome } = await check(ALLOW, {}, 'missing.example.com');
  expect(outcome).toMatchObject({ kind: 'unreachable', code: 'ENOTFOUND' });
});

test('a resolver that never answers times out as unreachable', async () => {
  const c = { ...ctx(ALLOW, {}), resolve: () => new Promise<readonly string[]>(() => undefined), connectTimeoutMs: 50 };
  const target = parseTargetHost('slow.example.com');
  if (target === undefined) throw new Error('target');
  const name = decideName(c.policy, target, 443);
  if (!name.allowed) throw new Error('name');
  expect(await resolveAndCheck(c, target, name, 443)).toMatchObject({ kind: 'unreachable', code: 'ETIMEDOUT' });
});

test('IP literals are not resolved', async () => {
  const { outcome, calls } = await check({ domains: { '192.0.2.7': 'allow' } }, {}, '192.0.2.7');
  expect(outcome.kind).toBe('ok');
  expect(calls).toEqual([]);
});

describe('upstream proxy configuration', () => {
  test('lower-case spellings first, then upper case, then ALL_PROXY; credentials become Proxy-Authorization', () => {
    const cfg = upstreamConfigFromEnv({ HTTP_PROXY: 'http://upper:1', http_proxy: 'http://u:p%40ss@lower:2', ALL_PROXY: 'proxy.corp:3128', NO_PROXY: 'A.example, .b.example ,c.example:8080' });
    expect(cfg.http).toEqual({ envKey: 'http_proxy', host: 'lower', port: 2, authorization: `Basic ${Buffer.from('u:p@ss').toString('base64')}` });
    expect(cfg.tunnel).toEqual({ envKey: 'ALL_PROXY', host: 'proxy.corp', port: 3128, authorization: undefined });
    expect(cfg.noProxy).toEqual(['a.example', '.b.example', 'c.example:8080']);
    expect(upstreamConfigFromEnv({}).http).toBeUndefined();
    expect(upstreamConfigFromEnv({ HTTPS_PROXY: 'http://[::1]:9' }).tunnel).toMatchObject({ host: '::1', port: 9 });
  });

  test.each([
    ['a.example', 443, true],
    ['x.a.example', 443, true],
    ['b.example', 80, true],
    ['deep.b.example', 80, true],
    ['c.example', 8080, true],
    ['c.example', 443, false],
    ['other.example', 443, false],
    ['xa.example', 443, false],
  ])('NO_PROXY: %s:%d bypasses = %s', (host, port, want) => {
    const cfg = upstreamConfigFromEnv({ http_proxy: 'http://proxy:1', no_proxy: 'a.example,.b.example,c.example:8080' });
    const target = parseTargetHost(host);
    if (target === undefined) throw new Error(host);
    expect(bypassesUpstream(cfg, target, port)).toBe(want);
  });

  test('NO_PROXY=* bypasses everything', () => {
    const cfg = upstreamConfigFromEnv({ http_proxy: 'http://proxy:1', no_proxy: '*' });
    const target = parseTargetHost('anything.example');
    if (target === undefined) throw new Error('target');
    expect(bypassesUpstream(cfg, target, 1)).toBe(true);
  });
});
