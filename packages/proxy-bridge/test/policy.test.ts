import { NetworkPolicyError } from '../src/errors.js';
import { parseIp } from '../src/ip.js';
import { parseTargetHost } from '../src/patterns.js';
import {
  blockedHeaderValue,
  compileNetworkPolicy,
  decideAddress,
  decideMethod,
  decideName,
  needsAddressCheck,
  type NetworkPolicy,
} from '../src/policy.js';

const KEY = 'permissions.dev.network';

function compile(table: Record<string, unknown>): NetworkPolicy {
  return compileNetworkPolicy(table, { key: KEY });
}

function compileError(table: Record<string, unknown>): NetworkPolicyError {
  try {
    compile(table);
  } catch (err) {
    if (err instanceof NetworkPolicyError) return err;
    throw err;
  }
  throw new Error(`compiled: ${JSON.stringify(table)}`);
}

describe('compileNetworkPolicy: defaults', () => {
  test('an absent table allows nothing, with SOCKS5 on and local binding off', () => {
    const p = compileNetworkPolicy(undefined);
    expect(p).toMatchObject({
      key: 'network',
      enabled: false,
      mode: 'full',
      allow: [],
      deny: [],
      allowLocalBinding: false,
      enableSocks5: true,
      allowUpstreamProxy: false,
      unixSockets: { allowAll: false, allow: [], deny: [] },
      httpListen: undefined,
      socksListen: undefined,
    });
    expect(p.warnings).toEqual(['`network.domains` has no "allow" entry, so the managed proxy blocks every request']);
  });

  test('every key is read', () => {
    const p = compile({
      enabled: true,
      mode: 'limited',
      allow_local_binding: true,
      enable_socks5: true,
      allow_upstream_proxy: true,
      enable_socks5_udp: false,
      dangerously_allow_non_loopback_proxy: false,
      dangerously_allow_all_unix_sockets: false,
      proxy_url: 'http://127.0.0.1:3128',
      socks_url: 'socks5h://localhost:8081',
      domains: { '*.example.com': 'allow', 'evil.example.com': 'deny' },
      unix_sockets: { '/run/docker.sock': 'allow', '/tmp/x.sock': 'deny' },
    });
    expect(p).toMatchObject({
      enabled: true,
      mode: 'limited',
      allowLocalBinding: true,
      enableSocks5: true,
      allowUpstreamProxy: true,
      httpListen: { scheme: 'http', host: '127.0.0.1', port: 3128 },
      socksListen: { scheme: 'socks5h', host: '127.0.0.1', port: 8081 },
      unixSockets: { allowAll: false, allow: ['/run/docker.sock'], deny: ['/tmp/x.sock'] },
      warnings: [],
    });
    expect(p.allow.map((x) => x.text)).toEqual(['*.example.com']);
    expect(p.deny.map((x) => x.text)).toEqual(['evil.example.com']);
  });

  test('dangerously_allow_all_unix_sockets and mitm-free false settings compile', () => {
    expect(compile({ dangerously_allow_all_unix_sockets: true, unix_sockets: { '/a.sock': 'allow' } }).unixSockets).toEqual({
      allowAll: true,
      allow: ['/a.sock'],
      deny: [],
    });
    expect(compile({ enable_socks5: false }).enableSocks5).toBe(false);
  });
});

describe('compileNetworkPolicy: refusals name the key', () => {
  const d = (k: string) => `${KEY}.domains.${k}`;
  const rows: Array<[string, Record<string, unknown>, string, RegExp]> = [
    ['unknown key', { domain: {} }, `${KEY}.domain`, /unknown key `permissions.dev.network.domain`; allowed in `permissions.dev.network`: enabled, proxy_url/],
    ['enabled not bool', { enabled: 'yes' }, `${KEY}.enabled`, /must be true or false, not the string "yes"/],
    ['mode value', { mode: 'strict' }, `${KEY}.mode`, /must be "limited" or "full", not the string "strict"/],
    ['domains not table', { domains: ['a.com'] }, `${KEY}.domains`, /must be a table/],
    ['domain value', { domains: { 'a.example.com': 'yes' } }, d('"a.example.com"'), /must be "allow" or "deny", not the string "yes"/],
    ['domain value bool', { domains: { 'a.example.com': true } }, d('"a.example.com"'), /must be "allow" or "deny", not a boolean true/],
    ['bare star', { domains: { '*': 'allow' } }, d('"*"'), /not a valid host pattern: a bare `\*`/],
    ['public suffix', { domains: { '*.com': 'allow' } }, d('"*.com"'), /`com` is a public suffix/],
    ['multi-label public suffix', { domains: { '**.co.uk': 'allow' } }, d('"**.co.uk"'), /`co.uk` is a public suffix/],
    ['malformed name', { domains: { 'exa mple.com': 'deny' } }, d('"exa mple.com"'), /whitespace/],
    ['port range', { domains: { 'example.com:70000': 'allow' } }, d('"example.com:70000"'), /port `70000`/],
    ['url', { domains: { 'https://example.com/': 'allow' } }, d('"https://example.com/"'), /URL/],
    [
      'conflict',
      { domains: { 'Example.com': 'allow', 'example.com.': 'deny' } },
      d('"example.com."'),
      /= "deny" conflicts with `permissions.dev.network.domains."Example.com"` = "allow"/,
    ],
    ['conflict with port', { domains: { 'example.com:443': 'allow', 'EXAMPLE.com:443': 'deny' } }, d('"EXAMPLE.com:443"'), /conflicts/],
    ['conflict ip', { domains: { '[::ffff:192.0.2.1]': 'deny', '192.0.2.1': 'allow' } }, d('"192.0.2.1"'), /conflicts/],
    ['udp', { enable_socks5_udp: true }, `${KEY}.enable_socks5_udp`, /cannot be enforced: the managed proxy does not relay SOCKS5 UDP/],
    ['non-loopback proxy', { dangerously_allow_non_loopback_proxy: true }, `${KEY}.dangerously_allow_non_loopback_proxy`, /loopback/],
    ['mitm', { mitm: { hooks: [] } }, `${KEY}.mitm`, /does not intercept TLS/],
    ['proxy_url not loopback', { proxy_url: 'http://10.0.0.1:3128' }, `${KEY}.proxy_url`, /host `10.0.0.1` is not loopback/],
    ['proxy_url scheme', { proxy_url: 'socks5://127.0.0.1:1080' }, `${KEY}.proxy_url`, /allowed: http:\/\/127.0.0.1:PORT/],
    ['proxy_url no scheme', { proxy_url: '127.0.0.1:3128' }, `${KEY}.proxy_url`, /must name its scheme/],
    ['proxy_url port 0', { proxy_url: 'http://127.0.0.1:0' }, `${KEY}.proxy_url`, /port 0 is not usable/],
    ['proxy_url type', { proxy_url: 3128 }, `${KEY}.proxy_url`, /must be a URL string, not the number 3128/],
    ['socks_url scheme', { socks_url: 'http://127.0.0.1:1080' }, `${KEY}.socks_url`, /socks5:\/\/127.0.0.1:PORT/],
    ['socks_url with socks off', { socks_url: 'socks5h://127.0.0.1:1080', enable_socks5: false }, `${KEY}.socks_url`, /turns SOCKS5 off/],
    ['same address', { proxy_url: 'http://127.0.0.1:3128', socks_url: 'socks5://localhost:3128' }, `${KEY}.socks_url`, /same address/],
    ['unix socket relative', { unix_sockets: { 'run/x.sock': 'allow' } }, `${KEY}.unix_sockets."run/x.sock"`, /absolute path/],
    ['unix socket not normal', { unix_sockets: { '/run/../x.sock': 'allow' } }, `${KEY}.unix_sockets."/run/../x.sock"`, /write the path as `\/x.sock`/],
    ['unix socket value', { unix_sockets: { '/x.sock': 'maybe' } }, `${KEY}.unix_sockets."/x.sock"`, /"allow" or "deny"/],
    [
      'allow all with denies',
      { dangerously_allow_all_unix_sockets: true, unix_sockets: { '/x.sock': 'deny' } },
      `${KEY}.dangerously_allow_all_unix_sockets`,
      /contradicts/,
    ],
    ['allow_local_binding type', { allow_local_binding: 1 }, `${KEY}.allow_local_binding`, /true or false, not the number 1/],
  ];
  test.each(rows)('%s', (_name, table, key, message) => {
    const err = compileError(table);
    expect(err.key).toBe(key);
    expect(err.message).toMatch(message);
    expect(err.message).toContain(`\`${key}`);
  });
});

type Row = [string, Record<string, unknown>, string, number, 'allowed' | 'denylist' | 'allowlist' | 'local-address'];

describe('decideName', () => {
  const rows: Row[] = [
    ['nothing allowed', {}, 'example.com', 443, 'allowlist'],
    ['exact allow', { domains: { 'example.com': 'allow' } }, 'example.com', 443, 'allowed'],
    ['exact allow, case and dot', { domains: { 'Example.Com.': 'allow' } }, 'EXAMPLE.com.', 80, 'allowed'],
    ['exact does not cover subdomain', { domains: { 'example.com': 'allow' } }, 'api.example.com', 443, 'allowlist'],
    ['*. covers subdomain', { domains: { '*.example.com': 'allow' } }, 'api.example.com', 443, 'allowed'],
    ['*. not apex', { domains: { '*.example.com': 'allow' } }, 'example.com', 443, 'allowlist'],
    ['**. covers apex', { domains: { '**.example.com': 'allow' } }, 'example.com', 443, 'allowed'],
    ['**. covers deep', { domains: { '**.example.com': 'allow' } }, 'a.b.c.example.com', 443, 'allowed'],
    ['suffix trick', { domains: { '**.example.com': 'allow' } }, 'example.com.evil.net', 443, 'allowlist'],
    ['suffix trick 2', { domains: { '**.example.com': 'allow' } }, 'evilexample.com', 443, 'allowlist'],
    ['deny wins over allow', { domains: { '**.example.com': 'allow', 'bad.example.com': 'deny' } }, 'bad.example.com', 443, 'denylist'],
    ['deny wildcard wins', { domains: { 'api.example.com': 'allow', '*.example.com': 'deny' } }, 'api.example.com', 443, 'denylist'],
    ['deny leaves others', { domains: { '**.example.com': 'allow', 'bad.example.com': 'deny' } }, 'good.example.com', 443, 'allowed'],
    ['deny alone blocks, nothing else allowed', { domains: { 'bad.example.com': 'deny' } }, 'good.example.com', 443, 'allowlist'],
    ['port-scoped allow, right port', { domains: { 'example.com:8443': 'allow' } }, 'example.com', 8443, 'allowed'],
    ['port-scoped allow, wrong port', { domains: { 'example.com:8443': 'allow' } }, 'example.com', 443, 'allowlist'],
    ['port-scoped deny', { domains: { 'example.com': 'allow', 'example.com:80': 'deny' } }, 'example.com', 80, 'denylist'],
    ['port-scoped deny, other port', { domains: { 'example.com': 'allow', 'example.com:80': 'deny' } }, 'example.com', 443, 'allowed'],
    ['ip literal allow', { domains: { '192.0.2.10': 'allow' } }, '192.0.2.10', 80, 'allowed'],
    ['ip literal mapped', { domains: { '192.0.2.10': 'allow' } }, '[::ffff:192.0.2.10]', 80, 'allowed'],
    ['ip literal deny', { domains: { '**.example.com': 'allow', '192.0.2.10': 'deny' } }, '192.0.2.10', 80, 'denylist'],
    ['ipv6 allow', { domains: { '[2001:db8::5]:443': 'allow' } }, '[2001:db8:0::5]', 443, 'allowed'],
    ['ipv6 wrong port', { domains: { '[2001:db8::5]:443': 'allow' } }, '[2001:db8::5]', 80, 'allowlist'],
    ['ip not matched by names', { domains: { '**.example.com': 'allow' } }, '192.0.2.10', 80, 'allowlist'],
    ['loopback literal, local binding off', { domains: { '**.example.com': 'allow' } }, '127.0.0.1', 80, 'local-address'],
    ['private literal, local binding off', { domains: { '**.example.com': 'allow' } }, '10.1.2.3', 80, 'local-address'],
    ['link-local literal', { domains: { '**.example.com': 'allow' } }, '169.254.169.254', 80, 'local-address'],
    ['mapped loopback literal', { domains: { '**.example.com': 'allow' } }, '[::ffff:127.0.0.1]', 80, 'local-address'],
    ['ipv6 ula literal', { domains: { '**.example.com': 'allow' } }, '[fd00::1]', 80, 'local-address'],
    ['URL-spelled loopback', { domains: { '**.example.com': 'allow' } }, '2130706433', 80, 'local-address'],
    ['loopback literal allowlisted exactly', { domains: { '127.0.0.1': 'allow' } }, '127.0.0.1', 8080, 'allowed'],
    ['loopback literal allowlisted, port-scoped', { domains: { '127.0.0.1:8080': 'allow' } }, '127.0.0.1', 8081, 'local-address'],
    ['loopback allowed by local binding', { allow_local_binding: true }, '127.0.0.1', 80, 'allowlist'],
    ['loopback with local binding and allow', { allow_local_binding: true, domains: { '127.0.0.1': 'allow' } }, '127.0.0.1', 80, 'allowed'],
    ['deny beats an allowlisted literal', { domains: { '127.0.0.1': 'allow', '127.0.0.1:22': 'deny' } }, '127.0.0.1', 22, 'denylist'],
    ['localhost name is decided on the name first', { domains: { localhost: 'allow' } }, 'localhost', 3000, 'allowed'],
    ['underscore names', { domains: { '_svc.example.com': 'allow' } }, '_svc.example.com', 80, 'allowed'],
    ['idn target vs punycode pattern', { domains: { 'xn--bcher-kva.example': 'allow' } }, 'bücher.example', 80, 'allowed'],
  ];
  test.each(rows)('%s: %s:%d', (_name, table, host, port, want) => {
    const target = parseTargetHost(host);
    if (target === undefined) throw new Error(host);
    const d = decideName(compile(table), target, port);
    expect(d.allowed ? 'allowed' : d.reason).toBe(want);
    if (!d.allowed) expect(d.detail).toContain(`:${port}`);
  });

  test('a denial names the deny entry that matched', () => {
    const target = parseTargetHost('bad.example.com');
    if (target === undefined) throw new Error('target');
    const d = decideName(compile({ domains: { '**.example.com': 'allow', '*.example.com:443': 'deny' } }), target, 443);
    expect(d).toMatchObject({ allowed: false, reason: 'denylist', pattern: '*.example.com:443' });
  });
});

describe('decideAddress: the address actually connected to', () => {
  const rows: Array<[string, Record<string, unknown>, string, string, number, 'allowed' | 'denylist' | 'local-address']> = [
    ['public address', { domains: { 'example.com': 'allow' } }, 'example.com', '93.184.216.34', 443, 'allowed'],
    ['name resolving to loopback', { domains: { 'example.com': 'allow' } }, 'example.com', '127.0.0.1', 443, 'local-address'],
    ['name resolving to 127.x', { domains: { 'example.com': 'allow' } }, 'example.com', '127.53.0.1', 443, 'local-address'],
    ['name resolving to ::1', { domains: { 'example.com': 'allow' } }, 'example.com', '::1', 443, 'local-address'],
    ['name resolving to mapped loopback', { domains: { 'example.com': 'allow' } }, 'example.com', '::ffff:127.0.0.1', 443, 'local-address'],
    ['name resolving to RFC 1918', { domains: { 'example.com': 'allow' } }, 'example.com', '192.168.1.20', 443, 'local-address'],
    ['name resolving to 172.16/12', { domains: { 'example.com': 'allow' } }, 'example.com', '172.20.0.5', 443, 'local-address'],
    ['name resolving to metadata service', { domains: { 'example.com': 'allow' } }, 'example.com', '169.254.169.254', 80, 'local-address'],
    ['name resolving to 0.0.0.0', { domains: { 'example.com': 'allow' } }, 'example.com', '0.0.0.0', 80, 'local-address'],
    ['name resolving to ULA', { domains: { 'example.com': 'allow' } }, 'example.com', 'fd00::5', 80, 'local-address'],
    ['name resolving to fe80', { domains: { 'example.com': 'allow' } }, 'example.com', 'fe80::1', 80, 'local-address'],
    ['local binding allowed', { allow_local_binding: true, domains: { 'example.com': 'allow' } }, 'example.com', '127.0.0.1', 80, 'allowed'],
    ['allowlisted name is not an exemption', { domains: { 'db.internal.example.com': 'allow' } }, 'db.internal.example.com', '10.0.0.7', 5432, 'local-address'],
    ['localhost allowlisted, loopback', { domains: { localhost: 'allow' } }, 'localhost', '127.0.0.1', 3000, 'allowed'],
    ['localhost allowlisted, ::1', { domains: { localhost: 'allow' } }, 'localhost', '::1', 3000, 'allowed'],
    ['localhost allowlisted, but resolves private', { domains: { localhost: 'allow' } }, 'localhost', '10.0.0.1', 3000, 'local-address'],
    ['literal allowlisted', { domains: { '127.0.0.1': 'allow' } }, '127.0.0.1', '127.0.0.1', 80, 'allowed'],
    ['denied IP behind an allowed name', { domains: { 'example.com': 'allow', '93.184.216.34': 'deny' } }, 'example.com', '93.184.216.34', 443, 'denylist'],
    ['denied IP port-scoped, other port', { domains: { 'example.com': 'allow', '93.184.216.34:80': 'deny' } }, 'example.com', '93.184.216.34', 443, 'allowed'],
    ['denied IPv4 reached as mapped', { domains: { 'example.com': 'allow', '93.184.216.34': 'deny' } }, 'example.com', '::ffff:93.184.216.34', 443, 'denylist'],
    ['denied IP even with local binding', { allow_local_binding: true, domains: { 'example.com': 'allow', '127.0.0.1': 'deny' } }, 'example.com', '127.0.0.1', 80, 'denylist'],
  ];
  test.each(rows)('%s', (_name, table, host, address, port, want) => {
    const policy = compile(table);
    const target = parseTargetHost(host);
    const ip = parseIp(address);
    if (target === undefined || ip === undefined) throw new Error(host);
    const name = decideName(policy, target, port);
    if (!name.allowed) throw new Error(`name stage refused ${host}: ${name.detail}`);
    const d = decideAddress(policy, target, name, ip, port);
    expect(d.allowed ? 'allowed' : d.reason).toBe(want);
  });
});

describe('decideMethod', () => {
  const rows: Array<['full' | 'limited', 'http' | 'connect' | 'socks5', string, boolean]> = [
    ['full', 'http', 'POST', true],
    ['full', 'http', 'DELETE', true],
    ['full', 'connect', 'CONNECT', true],
    ['full', 'socks5', 'CONNECT', true],
    ['limited', 'http', 'GET', true],
    ['limited', 'http', 'HEAD', true],
    ['limited', 'http', 'OPTIONS', true],
    ['limited', 'http', 'POST', false],
    ['limited', 'http', 'PUT', false],
    ['limited', 'http', 'PATCH', false],
    ['limited', 'http', 'DELETE', false],
    ['limited', 'http', 'get', false],
    ['limited', 'connect', 'CONNECT', false],
    ['limited', 'socks5', 'CONNECT', false],
  ];
  test.each(rows)('mode %s, %s %s -> %s', (mode, protocol, method, allowed) => {
    const d = decideMethod(compile({ mode }), protocol, method);
    expect(d.allowed).toBe(allowed);
    if (!d.allowed) {
      expect(d.reason).toBe('method-policy');
      expect(d.detail).toContain('`permissions.dev.network.mode` is "limited"');
    }
  });
});

test('blockedHeaderValue', () => {
  expect(blockedHeaderValue('allowlist')).toBe('blocked-by-allowlist');
  expect(blockedHeaderValue('local-address')).toBe('blocked-by-allowlist');
  expect(blockedHeaderValue('denylist')).toBe('blocked-by-denylist');
  expect(blockedHeaderValue('method-policy')).toBe('blocked-by-method-policy');
});

test('needsAddressCheck: only when the second stage can refuse', () => {
  expect(needsAddressCheck(compile({}))).toBe(true);
  expect(needsAddressCheck(compile({ allow_local_binding: true }))).toBe(false);
  expect(needsAddressCheck(compile({ allow_local_binding: true, domains: { 'a.example.com': 'deny' } }))).toBe(false);
  expect(needsAddressCheck(compile({ allow_local_binding: true, domains: { '192.0.2.1': 'deny' } }))).toBe(true);
});
