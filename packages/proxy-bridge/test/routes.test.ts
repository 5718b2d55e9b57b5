import { ProxyRouteError } from '../src/errors.js';
import {
  LOCAL_NO_PROXY,
  MANAGED_ENV_KEYS,
  PROXY_ENV_KEYS,
  applyManagedProxyEnv,
  isProxyEnvKey,
  managedProxyEnv,
  parseLoopbackProxyUrl,
  planProxyRoutes,
  rewriteProxyUrl,
} from '../src/routes.js';

describe('parseLoopbackProxyUrl (N7)', () => {
  const ok: Array<[string, string, '127.0.0.1' | '::1', number]> = [
    ['http://127.0.0.1:3128', 'http', '127.0.0.1', 3128],
    ['  http://127.0.0.1:3128  ', 'http', '127.0.0.1', 3128],
    ['127.0.0.1:3128', 'http', '127.0.0.1', 3128],
    ['localhost:3128', 'http', '127.0.0.1', 3128],
    ['http://LOCALHOST:8080/', 'http', '127.0.0.1', 8080],
    ['http://[::1]:3128', 'http', '::1', 3128],
    ['http://127.0.0.1', 'http', '127.0.0.1', 80],
    ['http://127.0.0.1:80', 'http', '127.0.0.1', 80],
    ['https://127.0.0.1', 'https', '127.0.0.1', 443],
    ['HTTPS://127.0.0.1', 'https', '127.0.0.1', 443],
    ['socks5://127.0.0.1', 'socks5', '127.0.0.1', 1080],
    ['socks5h://localhost', 'socks5h', '127.0.0.1', 1080],
    ['socks4://127.0.0.1', 'socks4', '127.0.0.1', 1080],
    ['socks4a://127.0.0.1', 'socks4a', '127.0.0.1', 1080],
    ['socks5h://127.0.0.1:8081', 'socks5h', '127.0.0.1', 8081],
    ['http://user:pass@127.0.0.1:3128', 'http', '127.0.0.1', 3128],
    ['ftp://127.0.0.1', 'ftp', '127.0.0.1', 80],
  ];
  test.each(ok)('%j -> %s %s:%d', (value, scheme, host, port) => {
    expect(parseLoopbackProxyUrl(value)).toEqual({ ok: true, endpoint: { scheme, host, port } });
  });

  test.each(['', '   '])('%j is empty', (value) => {
    expect(parseLoopbackProxyUrl(value)).toEqual({ ok: 'empty' });
  });

  const bad: Array<[string, RegExp]> = [
    ['http://proxy.corp:8080', /host `proxy.corp` is not loopback/],
    ['http://10.0.0.1:3128', /not loopback/],
    ['http://127.0.0.2:3128', /not loopback/],
    ['http://0.0.0.0:3128', /not loopback/],
    ['http://[::ffff:127.0.0.1]:3128', /not loopback/],
    ['http://localhost.evil.com:3128', /not loopback/],
    ['http://127.0.0.1:0', /port 0 is not usable/],
    ['http://127.0.0.1:99999', /not a URL/],
    ['http://', /not a URL/],
  ];
  test.each(bad)('%j is refused', (value, why) => {
    const p = parseLoopbackProxyUrl(value);
    expect(p.ok).toBe(false);
    if (p.ok === false) expect(p.reason).toMatch(why);
  });
});

describe('isProxyEnvKey (N1)', () => {
  test.each([...PROXY_ENV_KEYS, ...PROXY_ENV_KEYS.map((k) => k.toLowerCase()), 'Http_Proxy', 'npm_config_https_proxy'])('%s', (k) => {
    expect(isProxyEnvKey(k)).toBe(true);
  });
  test.each(['NO_PROXY', 'PROXY', 'HTTP_PROXY_USER', 'GIT_HTTP_PROXY', 'http_proxy ', ''])('not %j', (k) => {
    expect(isProxyEnvKey(k)).toBe(false);
  });
});

describe('planProxyRoutes (N8)', () => {
  test('A5: a loopback HTTP_PROXY is routed, a corporate https_proxy is skipped', () => {
    const plan = planProxyRoutes({ HTTP_PROXY: 'http://127.0.0.1:3128', https_proxy: 'http://proxy.corp:8080', PATH: '/bin' });
    expect(plan.routes).toEqual([{ envKey: 'HTTP_PROXY', endpoint: { scheme: 'http', host: '127.0.0.1', port: 3128 }, endpointIndex: 0 }]);
    expect(plan.endpoints).toEqual([{ scheme: 'http', host: '127.0.0.1', port: 3128 }]);
    expect(plan.skipped).toEqual([{ envKey: 'https_proxy', reason: 'host `proxy.corp` is not loopback (allowed: localhost, 127.0.0.1, [::1])' }]);
  });

  test('routes are sorted by key; one endpoint per distinct address; both spellings', () => {
    const plan = planProxyRoutes({
      https_proxy: 'http://127.0.0.1:3128',
      HTTP_PROXY: 'http://localhost:3128',
      ALL_PROXY: 'socks5h://127.0.0.1:8081',
      npm_config_proxy: '127.0.0.1:3128',
      WS_PROXY: 'http://[::1]:3128',
      NO_PROXY: 'localhost',
      HOME: '/root',
    });
    expect(plan.routes.map((r) => [r.envKey, r.endpointIndex])).toEqual([
      ['ALL_PROXY', 0],
      ['HTTP_PROXY', 1],
      ['WS_PROXY', 2],
      ['https_proxy', 1],
      ['npm_config_proxy', 1],
    ]);
    expect(plan.endpoints.map((e) => `${e.host}:${e.port}`)).toEqual(['127.0.0.1:8081', '127.0.0.1:3128', '::1:3128']);
  });

  test('empty values are ignored', () => {
    expect(planProxyRoutes({ HTTP_PROXY: '', HTTPS_PROXY: 'http://127.0.0.1:1' }).routes.map((r) => r.envKey)).toEqual(['HTTPS_PROXY']);
  });

  test('no proxy variable at all: refused', () => {
    expect(() => planProxyRoutes({ PATH: '/bin', HTTP_PROXY: '  ' })).toThrow(new ProxyRouteError('managed proxy mode requires proxy environment variables (none of HTTP_PROXY, HTTPS_PROXY, WS_PROXY, WSS_PROXY, ALL_PROXY, FTP_PROXY, YARN_HTTP_PROXY, YARN_HTTPS_PROXY, NPM_CONFIG_HTTP_PROXY, NPM_CONFIG_HTTPS_PROXY, NPM_CONFIG_PROXY, BUNDLE_HTTP_PROXY, BUNDLE_HTTPS_PROXY, PIP_PROXY, DOCKER_HTTP_PROXY, DOCKER_HTTPS_PROXY is set)'));
  });

  test('only non-loopback or unparseable values: refused, naming them', () => {
    let err: unknown;
    try {
      planProxyRoutes({ HTTPS_PROXY: 'http://proxy.corp:8080', http_proxy: 'http://127.0.0.1:0' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ProxyRouteError);
    expect((err as ProxyRouteError).message).toBe(
      'managed proxy mode requires parseable loopback proxy endpoints; HTTPS_PROXY: host `proxy.corp` is not loopback (allowed: localhost, 127.0.0.1, [::1]); http_proxy: port 0 is not usable (allowed: 1-65535)',
    );
    expect((err as ProxyRouteError).envKey).toBe('HTTPS_PROXY');
  });
});

describe('rewriteProxyUrl (N12)', () => {
  test.each([
    ['http://127.0.0.1:3128', 'http://127.0.0.1:41000'],
    ['http://127.0.0.1:3128/', 'http://127.0.0.1:41000/'],
    ['127.0.0.1:3128', '127.0.0.1:41000'],
    ['localhost:3128', '127.0.0.1:41000'],
    ['http://user:p%40ss@localhost:3128', 'http://user:p%40ss@127.0.0.1:41000'],
    ['http://[::1]:3128/path', 'http://127.0.0.1:41000/path'],
    ['socks5h://127.0.0.1:8081', 'socks5h://127.0.0.1:41000'],
    ['https://127.0.0.1', 'https://127.0.0.1:41000'],
  ])('%j -> %j', (original, want) => {
    expect(rewriteProxyUrl('HTTP_PROXY', original, 41000)).toBe(want);
  });

  test('an unparseable value names the key', () => {
    expect(() => rewriteProxyUrl('HTTPS_PROXY', 'http://', 41000)).toThrow(new ProxyRouteError('could not rewrite proxy URL for env key HTTPS_PROXY'));
    expect(() => rewriteProxyUrl('HTTPS_PROXY', 'http://127.0.0.1:1', 0)).toThrow(ProxyRouteError);
  });
});

describe('managedProxyEnv (N2)', () => {
  const http = 'http://127.0.0.1:41000';
  const socks = 'socks5h://127.0.0.1:41001';

  test('every listed family in both spellings; ALL/FTP carry SOCKS when it is on', () => {
    const env = managedProxyEnv({ httpProxyUrl: http, socksProxyUrl: socks, allowLocalBinding: false });
    for (const key of PROXY_ENV_KEYS) {
      const want = key === 'ALL_PROXY' || key === 'FTP_PROXY' ? socks : http;
      expect([key, env[key]]).toEqual([key, want]);
      expect([key.toLowerCase(), env[key.toLowerCase()]]).toEqual([key.toLowerCase(), want]);
    }
    for (const key of ['http_proxy', 'https_proxy', 'ws_proxy', 'wss_proxy', 'npm_config_http_proxy', 'npm_config_https_proxy', 'npm_config_proxy']) {
      expect(env[key]).toBe(http);
    }
    expect(env).toMatchObject({
      CODEX_NETWORK_PROXY_ACTIVE: '1',
      CODEX_NETWORK_ALLOW_LOCAL_BINDING: '0',
      ELECTRON_GET_USE_PROXY: 'true',
      NODE_USE_ENV_PROXY: '1',
      all_proxy: socks,
      ftp_proxy: socks,
    });
    for (const key of ['NO_PROXY', 'no_proxy', 'npm_config_noproxy', 'NPM_CONFIG_NOPROXY', 'YARN_NO_PROXY', 'BUNDLE_NO_PROXY']) expect(env[key]).toBe('');
  });

  test('without SOCKS, ALL_PROXY and FTP_PROXY carry the HTTP proxy', () => {
    const env = managedProxyEnv({ httpProxyUrl: http, allowLocalBinding: false });
    expect([env.ALL_PROXY, env.all_proxy, env.FTP_PROXY, env.ftp_proxy]).toEqual([http, http, http, http]);
  });

  test('local binding: NO_PROXY lists loopback and the private ranges', () => {
    const env = managedProxyEnv({ httpProxyUrl: http, allowLocalBinding: true });
    expect(LOCAL_NO_PROXY).toBe('localhost,127.0.0.1,::1,10.0.0.0/8,172.16.0.0/12,192.168.0.0/16');
    expect(env.NO_PROXY).toBe(LOCAL_NO_PROXY);
    expect(env.no_proxy).toBe(LOCAL_NO_PROXY);
    expect(env.CODEX_NETWORK_ALLOW_LOCAL_BINDING).toBe('1');
  });

  test('credentials in the URL are kept', () => {
    expect(managedProxyEnv({ httpProxyUrl: 'http://u:p@127.0.0.1:1', allowLocalBinding: false }).HTTPS_PROXY).toBe('http://u:p@127.0.0.1:1');
  });

  test.each([
    ['http://proxy.corp:3128', undefined, /not loopback/],
    ['127.0.0.1:3128', undefined, /must start with http:\/\//],
    ['socks5h://127.0.0.1:1', undefined, /must start with http:\/\//],
    [http, 'http://127.0.0.1:2', /must start with socks5h:\/\/ or socks5:\/\//],
    [http, 'socks5h://10.0.0.1:1080', /not loopback/],
    ['', undefined, /empty/],
  ])('refuses %j / %j', (httpProxyUrl, socksProxyUrl, why) => {
    expect(() => managedProxyEnv({ httpProxyUrl, socksProxyUrl, allowLocalBinding: false })).toThrow(why);
  });

  test('applyManagedProxyEnv strips inherited proxy variables in any spelling and keeps the rest', () => {
    const env = applyManagedProxyEnv(
      {
        PATH: '/usr/bin',
        HOME: '/root',
        Http_Proxy: 'http://proxy.corp:8080',
        no_proxy: '*',
        CODEX_NETWORK_PROXY_ATTRIBUTION: 'secret',
        YARN_HTTPS_PROXY: 'http://proxy.corp:8080',
        GIT_HTTP_PROXY: 'kept',
        UNSET: undefined,
      },
      { httpProxyUrl: http, allowLocalBinding: false },
    );
    expect(env.PATH).toBe('/usr/bin');
    expect(env.HOME).toBe('/root');
    expect(env.GIT_HTTP_PROXY).toBe('kept');
    expect(env).not.toHaveProperty('Http_Proxy');
    expect(env).not.toHaveProperty('CODEX_NETWORK_PROXY_ATTRIBUTION');
    expect(env).not.toHaveProperty('UNSET');
    expect(env.no_proxy).toBe('');
    expect(env.YARN_HTTPS_PROXY).toBe(http);
    for (const k of Object.keys(env)) {
      if (MANAGED_ENV_KEYS.has(k.toUpperCase())) expect(Object.hasOwn(managedProxyEnv({ httpProxyUrl: http, allowLocalBinding: false }), k)).toBe(true);
    }
  });
});
