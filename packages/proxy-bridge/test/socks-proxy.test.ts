// The SOCKS5 front end against real loopback servers, with a raw SOCKS5 client and curl
// (--socks5-hostname, i.e. socks5h: the proxy resolves names with the injected resolver).
import { connect } from 'node:net';
import { SOCKS_REPLY } from '../src/socks-proxy.js';
import { Fixture } from './support/fixture.js';
import { closedPort, curl, echoThrough, mapResolver, socksConnect, startEcho, startOrigin, viaTcp, viaUnix } from './support/net.js';

const fx = new Fixture();
afterEach(() => fx.closeAll());

const resolver = () =>
  mapResolver({
    'allowed.example': ['127.0.0.1'],
    'api.allowed.example': ['127.0.0.1'],
    'bad.allowed.example': ['127.0.0.1'],
    'other.example': ['127.0.0.1'],
    'v6.allowed.example': ['::1'],
  });

const LOOPBACK_V6 = Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);

describe('SOCKS5 CONNECT over the private Unix socket (no auth)', () => {
  test('domain (socks5h), IPv4 and IPv6 targets that the policy allows are tunnelled', async () => {
    const e4 = fx.add(await startEcho());
    const e6 = fx.add(await startEcho('::1'));
    const r = resolver();
    const p = await fx.proxy({ allow_local_binding: true, domains: { 'allowed.example': 'allow', '127.0.0.1': 'allow', '[::1]': 'allow', 'v6.allowed.example': 'allow' } }, { resolve: r });
    const via = viaUnix(p.socksEndpoint);
    for (const [target, port] of [
      [{ domain: 'allowed.example' }, e4.port],
      [{ domain: 'ALLOWED.example.' }, e4.port],
      [{ ipv4: '127.0.0.1' }, e4.port],
      [{ ipv6: LOOPBACK_V6 }, e6.port],
      [{ domain: 'v6.allowed.example' }, e6.port],
    ] as const) {
      const c = await socksConnect(via, target, port);
      try {
        expect([target, c.stage, c.code]).toEqual([target, 'reply', SOCKS_REPLY.succeeded]);
        expect(await echoThrough(c.socket, `hello ${JSON.stringify(target)}`)).toBe(`hello ${JSON.stringify(target)}`);
      } finally {
        c.socket.destroy();
      }
    }
    expect(r.calls).toEqual(['allowed.example', 'allowed.example', 'v6.allowed.example']);
    expect(p.events.blocked).toEqual([]);
  });

  test('blocked targets get reply 0x02 and an event; nothing is connected', async () => {
    const e = fx.add(await startEcho());
    const p = await fx.proxy({ allow_local_binding: true, domains: { '**.allowed.example': 'allow', 'bad.allowed.example': 'deny' } }, { resolve: resolver() });
    const via = viaUnix(p.socksEndpoint);
    for (const target of [{ domain: 'bad.allowed.example' }, { domain: 'other.example' }, { ipv4: '127.0.0.1' }]) {
      const c = await socksConnect(via, target, e.port);
      c.socket.destroy();
      expect([target, c.code]).toEqual([target, SOCKS_REPLY.notAllowedByRuleset]);
    }
    expect(e.connections).toBe(0);
    expect(p.events.blocked.map((x) => [x.protocol, x.host, x.port, x.reason])).toEqual([
      ['socks5', 'bad.allowed.example', e.port, 'denylist'],
      ['socks5', 'other.example', e.port, 'allowlist'],
      ['socks5', '127.0.0.1', e.port, 'allowlist'],
    ]);
  });

  test('port-scoped allow', async () => {
    const e1 = fx.add(await startEcho());
    const e2 = fx.add(await startEcho());
    const p = await fx.proxy({ allow_local_binding: true, domains: { [`allowed.example:${e1.port}`]: 'allow' } }, { resolve: resolver() });
    const ok = await socksConnect(viaUnix(p.socksEndpoint), { domain: 'allowed.example' }, e1.port);
    ok.socket.destroy();
    expect(ok.code).toBe(SOCKS_REPLY.succeeded);
    const no = await socksConnect(viaUnix(p.socksEndpoint), { domain: 'allowed.example' }, e2.port);
    no.socket.destroy();
    expect(no.code).toBe(SOCKS_REPLY.notAllowedByRuleset);
    expect(e2.connections).toBe(0);
  });

  test('allow_local_binding = false: a name resolving to 127.0.0.1, and loopback literals, get 0x02', async () => {
    const e = fx.add(await startEcho());
    const p = await fx.proxy({ domains: { 'allowed.example': 'allow' } }, { resolve: resolver() });
    const via = viaUnix(p.socksEndpoint);
    for (const target of [{ domain: 'allowed.example' }, { ipv4: '127.0.0.1' }, { ipv6: LOOPBACK_V6 }, { domain: '127.0.0.1' }, { domain: '2130706433' }]) {
      const c = await socksConnect(via, target, e.port);
      c.socket.destroy();
      expect([target, c.code]).toEqual([target, SOCKS_REPLY.notAllowedByRuleset]);
    }
    expect(e.connections).toBe(0);
    expect(p.events.blocked[0]).toMatchObject({ protocol: 'socks5', host: 'allowed.example', reason: 'local-address', address: '127.0.0.1' });
    expect(p.events.blocked.slice(1).map((x) => [x.host, x.reason])).toEqual([
      ['127.0.0.1', 'local-address'],
      ['::1', 'local-address'],
      ['127.0.0.1', 'local-address'],
      ['127.0.0.1', 'local-address'],
    ]);
  });

  test('allowed but unreachable: 0x05 for a refused connection, 0x04 for a name that does not resolve', async () => {
    const port = await closedPort();
    const p = await fx.proxy({ allow_local_binding: true, domains: { '**.allowed.example': 'allow' } }, { resolve: resolver() });
    const refused = await socksConnect(viaUnix(p.socksEndpoint), { domain: 'allowed.example' }, port);
    refused.socket.destroy();
    expect(refused.code).toBe(SOCKS_REPLY.connectionRefused);
    const unknown = await socksConnect(viaUnix(p.socksEndpoint), { domain: 'nowhere.allowed.example' }, port);
    unknown.socket.destroy();
    expect(unknown.code).toBe(SOCKS_REPLY.hostUnreachable);
    expect(p.events.blocked).toEqual([]);
  });

  test('UDP ASSOCIATE and BIND are refused with 0x07; a malformed name with 0x04', async () => {
    const e = fx.add(await startEcho());
    const p = await fx.proxy({ allow_local_binding: true, domains: { 'allowed.example': 'allow' } }, { resolve: resolver() });
    for (const command of [0x02, 0x03]) {
      const c = await socksConnect(viaUnix(p.socksEndpoint), { domain: 'allowed.example' }, e.port, { command });
      c.socket.destroy();
      expect([command, c.code]).toEqual([command, SOCKS_REPLY.commandNotSupported]);
    }
    const bad = await socksConnect(viaUnix(p.socksEndpoint), { domain: 'exa mple..com' }, e.port);
    bad.socket.destroy();
    expect(bad.code).toBe(SOCKS_REPLY.hostUnreachable);
    expect(e.connections).toBe(0);
  });

  test('mode = "limited": SOCKS5 is refused with 0x02 (a tunnel cannot be inspected)', async () => {
    const e = fx.add(await startEcho());
    const p = await fx.proxy({ mode: 'limited', allow_local_binding: true, domains: { 'allowed.example': 'allow' } }, { resolve: resolver() });
    const c = await socksConnect(viaUnix(p.socksEndpoint), { domain: 'allowed.example' }, e.port);
    c.socket.destroy();
    expect(c.code).toBe(SOCKS_REPLY.notAllowedByRuleset);
    expect(e.connections).toBe(0);
    expect(p.events.blocked).toEqual([expect.objectContaining({ protocol: 'socks5', reason: 'method-policy' })]);
  });

  test('a client that is not SOCKS5, or that stalls in the handshake, is dropped; the proxy keeps serving', async () => {
    const e = fx.add(await startEcho());
    const p = await fx.proxy({ allow_local_binding: true, domains: { 'allowed.example': 'allow' } }, { resolve: resolver(), handshakeTimeoutMs: 200 });
    const path = p.socksEndpoint?.unixSocketPath ?? '';
    const talk = (bytes: Buffer): Promise<Buffer> =>
      new Promise((resolve, reject) => {
        const s = connect({ path });
        const chunks: Buffer[] = [];
        s.on('data', (c: Buffer) => chunks.push(c));
        s.once('close', () => resolve(Buffer.concat(chunks)));
        s.once('error', reject);
        s.write(bytes);
      });
    expect(await talk(Buffer.from('GET / HTTP/1.1\r\n\r\n'))).toEqual(Buffer.alloc(0));
    // Greets, then never sends its request: closed by the handshake timeout after the method reply.
    expect(await talk(Buffer.from([0x05, 0x01, 0x00]))).toEqual(Buffer.from([0x05, 0x00]));
    const ok = await socksConnect(viaUnix(p.socksEndpoint), { domain: 'allowed.example' }, e.port);
    ok.socket.destroy();
    expect(ok.code).toBe(SOCKS_REPLY.succeeded);
  });

  test('enable_socks5 = false: no SOCKS5 listener at all', async () => {
    const p = await fx.proxy({ enable_socks5: false, domains: { 'allowed.example': 'allow' } }, { transport: 'both' });
    expect(p.socksEndpoint).toBeUndefined();
  });
});

describe('SOCKS5 on the loopback TCP listener demands the per-run credential', () => {
  test('no-auth offered: no acceptable method; wrong user/password: auth failure; right: connected', async () => {
    const e = fx.add(await startEcho());
    const p = await fx.proxy({ allow_local_binding: true, domains: { 'allowed.example': 'allow' } }, { resolve: resolver(), transport: 'tcp' });
    const cred = p.credential;
    if (cred === undefined) throw new Error('no credential');
    const via = viaTcp(p.socksEndpoint);
    const noAuth = await socksConnect(via, { domain: 'allowed.example' }, e.port);
    noAuth.socket.destroy();
    expect([noAuth.stage, noAuth.code]).toEqual(['method', 0xff]);
    const wrong = await socksConnect(via, { domain: 'allowed.example' }, e.port, { auth: { user: cred.username, pass: 'nope' } });
    wrong.socket.destroy();
    expect([wrong.stage, wrong.code]).toEqual(['auth', 0x01]);
    const wrongUser = await socksConnect(via, { domain: 'allowed.example' }, e.port, { auth: { user: 'x', pass: cred.password } });
    wrongUser.socket.destroy();
    expect(wrongUser.stage).toBe('auth');
    expect(e.connections).toBe(0);
    expect(p.events.authFailures).toBe(3);
    const ok = await socksConnect(via, { domain: 'allowed.example' }, e.port, { auth: { user: cred.username, pass: cred.password } });
    try {
      expect([ok.stage, ok.code]).toEqual(['reply', SOCKS_REPLY.succeeded]);
      expect(await echoThrough(ok.socket, 'authenticated')).toBe('authenticated');
    } finally {
      ok.socket.destroy();
    }
    expect(p.socksEndpoint?.url).toBe(`socks5h://${cred.username}:${cred.password}@127.0.0.1:${p.socksEndpoint?.tcp?.port}`);
  });
});

describe('curl --socks5-hostname', () => {
  test('over TCP with the credential: allowed 200; denied and local fail; without credential fails', async () => {
    const o = fx.add(await startOrigin());
    const p = await fx.proxy(
      { allow_local_binding: true, domains: { '**.allowed.example': 'allow', 'bad.allowed.example': 'deny' } },
      { resolve: resolver(), transport: 'tcp' },
    );
    const url = p.socksEndpoint?.url ?? '';
    const ok = await curl(['--proxy', url, `http://api.allowed.example:${o.port}/via-socks`]);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ url: '/via-socks', host: `api.allowed.example:${o.port}` });
    const denied = await curl(['--proxy', url, `http://bad.allowed.example:${o.port}/`]);
    expect(denied.code).toBe(97);
    expect(denied.stderr).toContain("SOCKS5 connection to bad.allowed.example. (2)");
    const anonymous = await curl(['--socks5-hostname', `127.0.0.1:${p.socksEndpoint?.tcp?.port}`, `http://api.allowed.example:${o.port}/`]);
    expect(anonymous.code).not.toBe(0);
    expect(o.requests.map((r) => r.url)).toEqual(['/via-socks']);
  });

  test('over the private Unix socket (socks5h://localhost/PATH)', async () => {
    const o = fx.add(await startOrigin());
    const p = await fx.proxy({ domains: { 'allowed.example': 'allow', [`127.0.0.1:${o.port}`]: 'allow' } }, { resolve: resolver() });
    const proxy = `socks5h://localhost${p.socksEndpoint?.unixSocketPath ?? ''}`;
    // allow_local_binding is off: the name resolving to 127.0.0.1 is refused, the allowlisted literal is not.
    const local = await curl(['--proxy', proxy, `http://allowed.example:${o.port}/`]);
    expect(local.code).toBe(97);
    const literal = await curl(['--proxy', proxy, `http://127.0.0.1:${o.port}/literal`]);
    expect(literal.code).toBe(0);
    expect(JSON.parse(literal.stdout)).toMatchObject({ url: '/literal' });
    expect(p.events.blocked).toEqual([expect.objectContaining({ host: 'allowed.example', reason: 'local-address', address: '127.0.0.1' })]);
  });
});
