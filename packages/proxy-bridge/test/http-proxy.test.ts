// The HTTP front end against real loopback servers, with Node's http client, raw CONNECT and curl.
import { Agent } from 'node:http';
import { createServer } from 'node:net';
import { Fixture } from './support/fixture.js';
import {
  basic,
  closedPort,
  connectTunnel,
  curl,
  echoThrough,
  mapResolver,
  proxyGet,
  readAll,
  readUntil,
  startEcho,
  startOrigin,
  viaTcp,
  viaUnix,
  type Origin,
} from './support/net.js';

const fx = new Fixture();
afterEach(() => fx.closeAll());

const NAMES = ['allowed.example', 'api.allowed.example', 'bad.allowed.example', 'other.example', 'rebind.allowed.example'];
const toLoopback = () => mapResolver(Object.fromEntries(NAMES.map((n) => [n, ['127.0.0.1']])));

async function origin(): Promise<Origin> {
  return fx.add(await startOrigin());
}

describe('absolute-URI requests over the private Unix socket', () => {
  test('an allowed name is forwarded; the origin sees the path, the method and a Host taken from the URI', async () => {
    const o = await origin();
    const resolve = toLoopback();
    const p = await fx.proxy({ allow_local_binding: true, domains: { 'allowed.example': 'allow' } }, { resolve });
    const r = await proxyGet(viaUnix(p.httpEndpoint), `http://allowed.example:${o.port}/some/path?q=1`, { headers: { host: 'other.example' } });
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toMatchObject({ method: 'GET', url: '/some/path?q=1', host: `allowed.example:${o.port}` });
    expect(r.headers['x-origin']).toBe('yes');
    expect(resolve.calls).toEqual(['allowed.example']);
    expect(p.events.blocked).toEqual([]);
  });

  test('a name outside the allowlist gets 403 blocked-by-allowlist, an event, and no connection', async () => {
    const o = await origin();
    const p = await fx.proxy({ allow_local_binding: true, domains: { 'allowed.example': 'allow' } }, { resolve: toLoopback() });
    const r = await proxyGet(viaUnix(p.httpEndpoint), `http://other.example:${o.port}/`);
    expect(r.status).toBe(403);
    expect(r.headers['x-proxy-error']).toBe('blocked-by-allowlist');
    expect(r.body).toContain(`other.example:${o.port} is not in the allowlist (\`permissions.test.network.domains\`)`);
    expect(o.connections).toBe(0);
    expect(p.events.blocked).toEqual([
      expect.objectContaining({ protocol: 'http', method: 'GET', host: 'other.example', port: o.port, reason: 'allowlist' }),
    ]);
    expect(Number.isNaN(Date.parse(p.events.blocked[0]?.time ?? ''))).toBe(false);
  });

  test('an empty allowlist blocks everything', async () => {
    const o = await origin();
    const p = await fx.proxy({ allow_local_binding: true }, { resolve: toLoopback() });
    const r = await proxyGet(viaUnix(p.httpEndpoint), `http://allowed.example:${o.port}/`);
    expect([r.status, r.headers['x-proxy-error']]).toEqual([403, 'blocked-by-allowlist']);
  });

  test('deny beats allow: blocked-by-denylist for the denied name, others pass', async () => {
    const o = await origin();
    const p = await fx.proxy(
      { allow_local_binding: true, domains: { '**.allowed.example': 'allow', 'bad.allowed.example': 'deny' } },
      { resolve: toLoopback() },
    );
    const bad = await proxyGet(viaUnix(p.httpEndpoint), `http://bad.allowed.example:${o.port}/`);
    expect([bad.status, bad.headers['x-proxy-error']]).toEqual([403, 'blocked-by-denylist']);
    const good = await proxyGet(viaUnix(p.httpEndpoint), `http://api.allowed.example:${o.port}/`);
    expect(good.status).toBe(200);
    const apex = await proxyGet(viaUnix(p.httpEndpoint), `http://allowed.example:${o.port}/`);
    expect(apex.status).toBe(200);
    expect(p.events.blocked).toEqual([expect.objectContaining({ host: 'bad.allowed.example', reason: 'denylist', pattern: 'bad.allowed.example' })]);
  });

  test('a port-scoped allow passes that port only', async () => {
    const o1 = await origin();
    const o2 = await origin();
    const p = await fx.proxy({ allow_local_binding: true, domains: { [`allowed.example:${o1.port}`]: 'allow' } }, { resolve: toLoopback() });
    expect((await proxyGet(viaUnix(p.httpEndpoint), `http://allowed.example:${o1.port}/`)).status).toBe(200);
    const other = await proxyGet(viaUnix(p.httpEndpoint), `http://allowed.example:${o2.port}/`);
    expect([other.status, other.headers['x-proxy-error']]).toEqual([403, 'blocked-by-allowlist']);
    expect(o2.connections).toBe(0);
  });

  test('allow_local_binding = false: an allowed name that resolves to 127.0.0.1 is refused before connecting', async () => {
    const o = await origin();
    const p = await fx.proxy({ domains: { 'rebind.allowed.example': 'allow' } }, { resolve: toLoopback() });
    const r = await proxyGet(viaUnix(p.httpEndpoint), `http://rebind.allowed.example:${o.port}/`);
    expect([r.status, r.headers['x-proxy-error']]).toEqual([403, 'blocked-by-allowlist']);
    expect(r.body).toContain('loopback address');
    expect(o.connections).toBe(0);
    expect(p.events.blocked).toEqual([
      expect.objectContaining({ protocol: 'http', host: 'rebind.allowed.example', port: o.port, reason: 'local-address', address: '127.0.0.1' }),
    ]);
  });

  test('allow_local_binding = false: IP literals of loopback, in any spelling, are refused', async () => {
    const o = await origin();
    const p = await fx.proxy({ domains: { 'allowed.example': 'allow' } }, { resolve: toLoopback() });
    for (const host of ['127.0.0.1', '127.1', '2130706433', '[::ffff:127.0.0.1]', 'localhost']) {
      const r = await proxyGet(viaUnix(p.httpEndpoint), `http://${host}:${o.port}/`);
      expect([host, r.status]).toEqual([host, 403]);
    }
    expect(o.connections).toBe(0);
    expect(p.events.blocked.map((e) => [e.host, e.reason])).toEqual([
      ['127.0.0.1', 'local-address'],
      ['127.0.0.1', 'local-address'],
      ['127.0.0.1', 'local-address'],
      ['127.0.0.1', 'local-address'],
      ['localhost', 'allowlist'],
    ]);
  });

  test('an allow entry naming the literal address lets that local target through (N5)', async () => {
    const o = await origin();
    const p = await fx.proxy({ domains: { [`127.0.0.1:${o.port}`]: 'allow' } });
    expect((await proxyGet(viaUnix(p.httpEndpoint), `http://127.0.0.1:${o.port}/`)).status).toBe(200);
  });

  test('IPv6 literal targets', async () => {
    const o = fx.add(await startOrigin('::1'));
    const p = await fx.proxy({ allow_local_binding: true, domains: { '[::1]': 'allow' } });
    const r = await proxyGet(viaUnix(p.httpEndpoint), `http://[::1]:${o.port}/v6`);
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toMatchObject({ url: '/v6', host: `[::1]:${o.port}` });
  });

  test('allowed but unreachable: 502, never 403, and no event', async () => {
    const port = await closedPort();
    const p = await fx.proxy({ allow_local_binding: true, domains: { '**.allowed.example': 'allow', 'nowhere.allowed.example': 'allow' } }, { resolve: toLoopback() });
    const refused = await proxyGet(viaUnix(p.httpEndpoint), `http://allowed.example:${port}/`);
    expect(refused.status).toBe(502);
    expect(refused.headers['x-proxy-error']).toBeUndefined();
    expect(refused.body).toContain('ECONNREFUSED');
    const unresolvable = await proxyGet(viaUnix(p.httpEndpoint), `http://nowhere.allowed.example:${port}/`);
    expect(unresolvable.status).toBe(502);
    expect(unresolvable.body).toContain('cannot resolve nowhere.allowed.example');
    expect(p.events.blocked).toEqual([]);
  });

  test('request bodies and methods are forwarded; hop-by-hop and proxy headers are not', async () => {
    const o = await origin();
    const p = await fx.proxy({ allow_local_binding: true, domains: { 'allowed.example': 'allow' } }, { resolve: toLoopback() });
    const r = await proxyGet(viaUnix(p.httpEndpoint), `http://allowed.example:${o.port}/upload`, {
      method: 'POST',
      body: 'x'.repeat(100_000),
      headers: { 'proxy-authorization': basic('a', 'b'), connection: 'x-private', 'x-private': 'secret', 'x-kept': 'yes', 'transfer-encoding': 'chunked' },
    });
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toMatchObject({ method: 'POST' });
    const seen = o.requests[0];
    expect(seen?.body.length).toBe(100_000);
    expect(seen?.headers['x-kept']).toBe('yes');
    expect(seen?.headers['x-private']).toBeUndefined();
    expect(seen?.headers['proxy-authorization']).toBeUndefined();
  });

  test('keep-alive: a client connection and the upstream connection carry several requests', async () => {
    const o = await origin();
    const p = await fx.proxy({ allow_local_binding: true, domains: { 'allowed.example': 'allow' } }, { resolve: toLoopback() });
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const reused: boolean[] = [];
      for (let i = 0; i < 5; i++) {
        const r = await proxyGet(viaUnix(p.httpEndpoint), `http://allowed.example:${o.port}/${i}`, { agent });
        expect(r.status).toBe(200);
        reused.push(r.reusedSocket);
      }
      expect(reused).toEqual([false, true, true, true, true]);
      expect(o.connections).toBe(1);
      expect(o.requests.map((q) => q.url)).toEqual(['/0', '/1', '/2', '/3', '/4']);
    } finally {
      agent.destroy();
    }
  });

  test('an origin answering garbage or a forbidden header byte is a 502, and the proxy keeps serving', async () => {
    const o = await origin();
    const bad = createServer((s) => {
      s.on('error', () => s.destroy());
      s.once('data', (d: Buffer) => {
        if (d.toString('latin1').startsWith('GET /garbage')) s.end('NOT HTTP AT ALL\r\n\r\n');
        else s.end('HTTP/1.1 200 OK\r\nx-bad: a\u0001b\r\ncontent-length: 2\r\n\r\nok');
      });
    });
    await new Promise<void>((r) => bad.listen(0, '127.0.0.1', r));
    fx.add({ close: () => new Promise<void>((r) => bad.close(() => r())) });
    const badPort = (bad.address() as { port: number }).port;
    const p = await fx.proxy({ allow_local_binding: true, domains: { 'allowed.example': 'allow' } }, { resolve: toLoopback() });
    expect((await proxyGet(viaUnix(p.httpEndpoint), `http://allowed.example:${badPort}/garbage`)).status).toBe(502);
    expect((await proxyGet(viaUnix(p.httpEndpoint), `http://allowed.example:${badPort}/header`)).status).toBe(502);
    expect((await proxyGet(viaUnix(p.httpEndpoint), `http://allowed.example:${o.port}/still-here`)).status).toBe(200);
  });

  test('requests that are not absolute http:// URIs get 400', async () => {
    const p = await fx.proxy({ allow_local_binding: true, domains: { 'allowed.example': 'allow' } });
    const originForm = await proxyGet(viaUnix(p.httpEndpoint), '/just/a/path');
    expect(originForm.status).toBe(400);
    expect(originForm.body).toContain('absolute http:// URI');
    const https = await proxyGet(viaUnix(p.httpEndpoint), 'https://allowed.example/');
    expect(https.status).toBe(400);
    expect(https.body).toContain('use CONNECT');
    const badHost = await proxyGet(viaUnix(p.httpEndpoint), 'http://exa_mple..com/');
    expect(badHost.status).toBe(400);
  });
});

describe('mode = "limited"', () => {
  test('GET, HEAD and OPTIONS pass; other methods and CONNECT get blocked-by-method-policy', async () => {
    const o = await origin();
    const e = fx.add(await startEcho());
    const p = await fx.proxy({ mode: 'limited', allow_local_binding: true, domains: { 'allowed.example': 'allow' } }, { resolve: toLoopback() });
    const via = viaUnix(p.httpEndpoint);
    for (const method of ['GET', 'HEAD', 'OPTIONS']) {
      expect([method, (await proxyGet(via, `http://allowed.example:${o.port}/`, { method })).status]).toEqual([method, 200]);
    }
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      const r = await proxyGet(via, `http://allowed.example:${o.port}/`, { method, body: 'x' });
      expect([method, r.status, r.headers['x-proxy-error']]).toEqual([method, 403, 'blocked-by-method-policy']);
    }
    const t = await connectTunnel(via, `allowed.example:${e.port}`);
    t.socket.destroy();
    expect(t.status).toBe(403);
    expect(t.head).toContain('x-proxy-error: blocked-by-method-policy');
    expect(e.connections).toBe(0);
    expect(o.requests.map((r) => r.method)).toEqual(['GET', 'HEAD', 'OPTIONS']);
    expect(p.events.blocked.map((x) => [x.protocol, x.method, x.reason])).toEqual([
      ['http', 'POST', 'method-policy'],
      ['http', 'PUT', 'method-policy'],
      ['http', 'DELETE', 'method-policy'],
      ['http', 'PATCH', 'method-policy'],
      ['connect', 'CONNECT', 'method-policy'],
    ]);
  });
});

describe('CONNECT tunnels', () => {
  test('an allowed target gets 200 and a working byte tunnel', async () => {
    const e = fx.add(await startEcho());
    const p = await fx.proxy({ allow_local_binding: true, domains: { 'allowed.example': 'allow' } }, { resolve: toLoopback() });
    const t = await connectTunnel(viaUnix(p.httpEndpoint), `allowed.example:${e.port}`);
    try {
      expect(t.status).toBe(200);
      expect(await echoThrough(t.socket, 'ping through the tunnel')).toBe('ping through the tunnel');
      expect(await echoThrough(t.socket, 'x'.repeat(300_000))).toHaveLength(300_000);
    } finally {
      t.socket.destroy();
    }
  });

  test('a target that speaks first, half-close, and a 32 MiB download keep every byte in order', async () => {
    const banner = fx.add(await startEcho('127.0.0.1', { banner: 'SSH-2.0-banner\r\n' }));
    const o = await origin();
    const p = await fx.proxy({ allow_local_binding: true, domains: { 'allowed.example': 'allow' } }, { resolve: toLoopback() });
    const t = await connectTunnel(viaUnix(p.httpEndpoint), `allowed.example:${banner.port}`);
    try {
      expect(t.status).toBe(200);
      // The banner may already sit behind the 200 in the same read.
      const rest = t.head.slice(t.head.indexOf('\r\n\r\n') + 4);
      const more = rest.length >= 16 ? '' : (await readUntil(t.socket, (b) => rest.length + b.length >= 16)).toString('latin1');
      expect(rest + more).toBe('SSH-2.0-banner\r\n');
      // Half-close: everything written before our end comes back, then the target's end.
      const payload = Buffer.alloc(1 << 20, 0x62);
      t.socket.end(payload);
      const back = await readAll(t.socket);
      expect(back.equals(payload)).toBe(true);
      expect(t.socket.readableEnded).toBe(true);
    } finally {
      t.socket.destroy();
    }
    const big = await connectTunnel(viaUnix(p.httpEndpoint), `allowed.example:${o.port}`);
    try {
      const n = 32 << 20;
      big.socket.write(`GET /big/${n} HTTP/1.1\r\nHost: allowed.example\r\nConnection: close\r\n\r\n`);
      const all = await readAll(big.socket);
      const body = all.subarray(all.indexOf('\r\n\r\n') + 4);
      expect(body.length).toBe(n);
      expect(body.equals(Buffer.alloc(n, 0x61))).toBe(true);
    } finally {
      big.socket.destroy();
    }
  });

  test('denied, not allowed, local and unreachable targets: 403 with the header, or 502', async () => {
    const e = fx.add(await startEcho());
    const port = await closedPort();
    const p = await fx.proxy({ allow_local_binding: true, domains: { '**.allowed.example': 'allow', 'bad.allowed.example': 'deny' } }, { resolve: toLoopback() });
    const via = viaUnix(p.httpEndpoint);
    const cases: Array<[string, number, string | undefined]> = [
      [`bad.allowed.example:${e.port}`, 403, 'blocked-by-denylist'],
      [`other.example:${e.port}`, 403, 'blocked-by-allowlist'],
      [`allowed.example:${port}`, 502, undefined],
      ['allowed.example', 400, undefined],
      ['allowed.example:0', 400, undefined],
    ];
    for (const [authority, status, header] of cases) {
      const t = await connectTunnel(via, authority);
      t.socket.destroy();
      expect([authority, t.status]).toEqual([authority, status]);
      if (header !== undefined) expect(t.head).toContain(`x-proxy-error: ${header}`);
      else expect(t.head).not.toContain('x-proxy-error');
    }
    expect(e.connections).toBe(0);
  });

  test('allow_local_binding = false: a tunnel to a name resolving to 127.0.0.1 is refused', async () => {
    const e = fx.add(await startEcho());
    const p = await fx.proxy({ domains: { 'rebind.allowed.example': 'allow' } }, { resolve: toLoopback() });
    const t = await connectTunnel(viaUnix(p.httpEndpoint), `rebind.allowed.example:${e.port}`);
    t.socket.destroy();
    expect(t.status).toBe(403);
    expect(e.connections).toBe(0);
    expect(p.events.blocked).toEqual([expect.objectContaining({ protocol: 'connect', method: 'CONNECT', reason: 'local-address', address: '127.0.0.1' })]);
  });
});

describe('the loopback TCP listener demands the per-run credential', () => {
  test('missing or wrong credential: 407 (requests and CONNECT); the right one passes', async () => {
    const o = await origin();
    const e = fx.add(await startEcho());
    const p = await fx.proxy({ allow_local_binding: true, domains: { 'allowed.example': 'allow' } }, { resolve: toLoopback(), transport: 'both' });
    const cred = p.credential;
    if (cred === undefined) throw new Error('no credential');
    const tcp = viaTcp(p.httpEndpoint);
    const url = `http://allowed.example:${o.port}/`;
    const none = await proxyGet(tcp, url);
    expect(none.status).toBe(407);
    expect(none.headers['proxy-authenticate']).toBe('Basic realm="codex-sandbox"');
    expect((await proxyGet(tcp, url, { headers: { 'proxy-authorization': basic(cred.username, 'wrong') } })).status).toBe(407);
    expect((await proxyGet(tcp, url, { headers: { 'proxy-authorization': basic('someone', cred.password) } })).status).toBe(407);
    expect((await proxyGet(tcp, url, { headers: { 'proxy-authorization': 'Bearer x' } })).status).toBe(407);
    const t = await connectTunnel(tcp, `allowed.example:${e.port}`);
    t.socket.destroy();
    expect(t.status).toBe(407);
    expect(o.connections + e.connections).toBe(0);
    expect(p.events.authFailures).toBe(5);
    expect((await proxyGet(tcp, url, { headers: { 'proxy-authorization': basic(cred.username, cred.password) } })).status).toBe(200);
    const ok = await connectTunnel(tcp, `allowed.example:${e.port}`, { 'proxy-authorization': basic(cred.username, cred.password) });
    try {
      expect(ok.status).toBe(200);
      expect(await echoThrough(ok.socket, 'hello')).toBe('hello');
    } finally {
      ok.socket.destroy();
    }
    // The private Unix socket asks for nothing.
    expect((await proxyGet(viaUnix(p.httpEndpoint), url)).status).toBe(200);
    expect(p.httpEndpoint.url).toBe(`http://${cred.username}:${cred.password}@127.0.0.1:${p.httpEndpoint.tcp?.port}`);
  });
});

describe('curl through the proxy', () => {
  test('curl --proxy: allowed 200, denied 403 with x-proxy-error, no credential 407', async () => {
    const o = await origin();
    const p = await fx.proxy(
      { allow_local_binding: true, domains: { '**.allowed.example': 'allow', 'bad.allowed.example': 'deny' } },
      { resolve: toLoopback(), transport: 'tcp' },
    );
    const proxyUrl = p.httpEndpoint.url ?? '';
    const ok = await curl(['--proxy', proxyUrl, `http://api.allowed.example:${o.port}/from-curl`]);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ url: '/from-curl', host: `api.allowed.example:${o.port}` });
    const denied = await curl(['--proxy', proxyUrl, '-D', '-', '-o', '/dev/null', `http://bad.allowed.example:${o.port}/`]);
    expect(denied.stdout).toMatch(/^HTTP\/1\.1 403/);
    expect(denied.stdout.toLowerCase()).toContain('x-proxy-error: blocked-by-denylist');
    const anonymous = await curl(['--proxy', `http://127.0.0.1:${p.httpEndpoint.tcp?.port}`, '-o', '/dev/null', '-w', '%{http_code}', `http://api.allowed.example:${o.port}/`]);
    expect(anonymous.stdout).toBe('407');
  });

  test('curl --proxytunnel (CONNECT) to an allowed HTTP server works; to a denied one fails with 403', async () => {
    const o = await origin();
    const p = await fx.proxy(
      { allow_local_binding: true, domains: { '**.allowed.example': 'allow', 'bad.allowed.example': 'deny' } },
      { resolve: toLoopback(), transport: 'tcp' },
    );
    const proxyUrl = p.httpEndpoint.url ?? '';
    const ok = await curl(['--proxytunnel', '--proxy', proxyUrl, `http://allowed.example:${o.port}/tunnelled`]);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ url: '/tunnelled' });
    const denied = await curl(['--proxytunnel', '--proxy', proxyUrl, `http://bad.allowed.example:${o.port}/`]);
    expect(denied.code).toBe(56);
    expect(denied.stderr).toContain('403');
    expect(p.events.blocked).toEqual([expect.objectContaining({ protocol: 'connect', host: 'bad.allowed.example', reason: 'denylist' })]);
  });
});
