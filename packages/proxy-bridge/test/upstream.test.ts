// allow_upstream_proxy: allowed traffic goes on through the upstream HTTP proxy named by the given
// environment (here: a second managed proxy, credential-guarded, standing in for a corporate
// proxy); the policy is applied first, and NO_PROXY targets go direct.
import { ProxyStartError } from '../src/errors.js';
import { compileNetworkPolicy } from '../src/policy.js';
import { startManagedProxy, type ManagedProxy } from '../src/server.js';
import { Fixture } from './support/fixture.js';
import { connectTunnel, echoThrough, mapResolver, proxyGet, socksConnect, startEcho, startOrigin, viaUnix } from './support/net.js';

const fx = new Fixture();
afterEach(() => fx.closeAll());

/** The "corporate" proxy: allows the test names, resolves them itself. */
async function corporate(): Promise<{ proxy: ManagedProxy; resolve: ReturnType<typeof mapResolver> }> {
  const resolve = mapResolver({ 'allowed.example': ['127.0.0.1'], 'api.allowed.example': ['127.0.0.1'] });
  const proxy = await fx.proxy({ allow_local_binding: true, domains: { '**.allowed.example': 'allow' } }, { resolve, transport: 'tcp' });
  return { proxy, resolve };
}

function env(upstream: ManagedProxy, extra: Record<string, string> = {}): Record<string, string> {
  const url = upstream.httpEndpoint.url ?? '';
  return { http_proxy: url, https_proxy: url, ...extra };
}

test('allowed requests, CONNECT and SOCKS5 tunnels go through the upstream proxy; the local resolver is not asked', async () => {
  const o = fx.add(await startOrigin());
  const e = fx.add(await startEcho());
  const up = await corporate();
  const local = mapResolver({});
  const p = await fx.proxy({ allow_upstream_proxy: true, allow_local_binding: true, domains: { '**.allowed.example': 'allow' } }, { resolve: local, upstreamEnv: env(up.proxy) });
  const r = await proxyGet(viaUnix(p.httpEndpoint), `http://api.allowed.example:${o.port}/via-upstream`);
  expect(r.status).toBe(200);
  expect(JSON.parse(r.body)).toMatchObject({ url: '/via-upstream', host: `api.allowed.example:${o.port}` });
  const t = await connectTunnel(viaUnix(p.httpEndpoint), `allowed.example:${e.port}`);
  try {
    expect(t.status).toBe(200);
    expect(await echoThrough(t.socket, 'tunnel via upstream')).toBe('tunnel via upstream');
  } finally {
    t.socket.destroy();
  }
  const s = await socksConnect(viaUnix(p.socksEndpoint), { domain: 'allowed.example' }, e.port);
  try {
    expect(s.code).toBe(0);
    expect(await echoThrough(s.socket, 'socks via upstream')).toBe('socks via upstream');
  } finally {
    s.socket.destroy();
  }
  expect(local.calls).toEqual([]);
  expect(up.resolve.calls).toEqual(['api.allowed.example', 'allowed.example', 'allowed.example']);
  expect(up.proxy.events.authFailures).toBe(0);
});

test('the policy is applied first: a denied name never reaches the upstream proxy', async () => {
  const o = fx.add(await startOrigin());
  const up = await corporate();
  const p = await fx.proxy(
    { allow_upstream_proxy: true, allow_local_binding: true, domains: { '**.allowed.example': 'allow', 'api.allowed.example': 'deny' } },
    { resolve: mapResolver({}), upstreamEnv: env(up.proxy) },
  );
  const r = await proxyGet(viaUnix(p.httpEndpoint), `http://api.allowed.example:${o.port}/`);
  expect([r.status, r.headers['x-proxy-error']]).toEqual([403, 'blocked-by-denylist']);
  const t = await connectTunnel(viaUnix(p.httpEndpoint), `api.allowed.example:${o.port}`);
  t.socket.destroy();
  expect(t.status).toBe(403);
  expect(up.resolve.calls).toEqual([]);
  expect(o.connections).toBe(0);
});

test('with allow_local_binding = false the address is still checked locally before going upstream', async () => {
  const o = fx.add(await startOrigin());
  const up = await corporate();
  const p = await fx.proxy(
    { allow_upstream_proxy: true, domains: { '**.allowed.example': 'allow' } },
    { resolve: mapResolver({ 'allowed.example': ['127.0.0.1'] }), upstreamEnv: env(up.proxy) },
  );
  const r = await proxyGet(viaUnix(p.httpEndpoint), `http://allowed.example:${o.port}/`);
  expect(r.status).toBe(403);
  expect(p.events.blocked).toEqual([expect.objectContaining({ reason: 'local-address', address: '127.0.0.1' })]);
  expect(up.resolve.calls).toEqual([]);
});

test('allow_upstream_proxy absent: the environment proxy is not used', async () => {
  const o = fx.add(await startOrigin());
  const up = await corporate();
  const local = mapResolver({ 'allowed.example': ['127.0.0.1'] });
  const p = await fx.proxy({ allow_local_binding: true, domains: { 'allowed.example': 'allow' } }, { resolve: local, upstreamEnv: env(up.proxy) });
  expect((await proxyGet(viaUnix(p.httpEndpoint), `http://allowed.example:${o.port}/direct`)).status).toBe(200);
  expect(local.calls).toEqual(['allowed.example']);
  expect(up.resolve.calls).toEqual([]);
});

test('NO_PROXY targets go direct', async () => {
  const o = fx.add(await startOrigin());
  const up = await corporate();
  const local = mapResolver({ 'api.allowed.example': ['127.0.0.1'] });
  const p = await fx.proxy(
    { allow_upstream_proxy: true, allow_local_binding: true, domains: { '**.allowed.example': 'allow' } },
    { resolve: local, upstreamEnv: env(up.proxy, { no_proxy: 'localhost,.allowed.example' }) },
  );
  expect((await proxyGet(viaUnix(p.httpEndpoint), `http://api.allowed.example:${o.port}/`)).status).toBe(200);
  expect(local.calls).toEqual(['api.allowed.example']);
  expect(up.resolve.calls).toEqual([]);
});

test('an upstream proxy that refuses our credential is a 502, not a 407 the client could answer', async () => {
  const o = fx.add(await startOrigin());
  const e = fx.add(await startEcho());
  const up = await corporate();
  const wrong = `http://nobody:wrong@127.0.0.1:${up.proxy.httpEndpoint.tcp?.port}`;
  const p = await fx.proxy(
    { allow_upstream_proxy: true, allow_local_binding: true, domains: { '**.allowed.example': 'allow' } },
    { resolve: mapResolver({}), upstreamEnv: { HTTP_PROXY: wrong, HTTPS_PROXY: wrong } },
  );
  const r = await proxyGet(viaUnix(p.httpEndpoint), `http://allowed.example:${o.port}/`);
  expect(r.status).toBe(502);
  expect(r.body).toContain('HTTP_PROXY');
  const t = await connectTunnel(viaUnix(p.httpEndpoint), `allowed.example:${e.port}`);
  t.socket.destroy();
  expect(t.status).toBe(502);
  expect(up.proxy.events.authFailures).toBe(2);
});

test.each([
  [{ https_proxy: 'https://127.0.0.1:3128' }, /https_proxy uses https:\/\/; the managed proxy forwards only through http:\/\/ proxies/],
  [{ HTTP_PROXY: 'socks5://127.0.0.1:1080' }, /HTTP_PROXY uses socks5:/],
  [{ http_proxy: 'http://[::1' }, /http_proxy `http:\/\/\[::1` is not a URL/],
])('an unusable upstream proxy refuses the start: %j', async (upstreamEnv, why) => {
  const policy = compileNetworkPolicy({ allow_upstream_proxy: true, domains: { 'allowed.example': 'allow' } });
  await expect(startManagedProxy(policy, { upstreamEnv })).rejects.toThrow(ProxyStartError);
  await expect(startManagedProxy(policy, { upstreamEnv })).rejects.toThrow(why);
});
