// Real loopback parts for the proxy tests: an origin HTTP server, a TCP echo server, raw HTTP
// proxy, CONNECT and SOCKS5 clients, curl, and an injected resolver (these machines have no DNS).
// Everything listens on 127.0.0.1 (or ::1) only, and every helper is bounded by a timeout.
import { execFile } from 'node:child_process';
import { createServer as createHttpServer, request, type IncomingHttpHeaders } from 'node:http';
import { Server, Socket, connect, createServer } from 'node:net';
import type { Resolver } from '../../src/dial.js';
import type { ProxyEndpoint } from '../../src/server.js';

export const STEP_TIMEOUT_MS = 20_000;

export interface Origin {
  readonly port: number;
  readonly requests: Array<{ method: string; url: string; host: string | undefined; headers: IncomingHttpHeaders; body: string }>;
  /** TCP connections the origin accepted. */
  connections: number;
  close(): Promise<void>;
}

/** An HTTP server answering every request with JSON describing it; `/big/N` sends N bytes. */
export async function startOrigin(host = '127.0.0.1'): Promise<Origin> {
  const requests: Origin['requests'] = [];
  const sockets = new Set<Socket>();
  const server = createHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      requests.push({ method: req.method ?? '', url: req.url ?? '', host: req.headers.host, headers: req.headers, body });
      const big = /^\/big\/(\d+)$/.exec(req.url ?? '');
      if (big !== null) {
        const n = Number(big[1]);
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': n });
        res.end(Buffer.alloc(n, 0x61));
        return;
      }
      const out = JSON.stringify({ method: req.method, url: req.url, host: req.headers.host, body, via: req.headers['via'] ?? null });
      res.writeHead(200, { 'content-type': 'application/json', 'x-origin': 'yes', connection: 'keep-alive' });
      res.end(req.method === 'HEAD' ? undefined : out);
    });
  });
  const origin: Origin = {
    port: 0,
    requests,
    connections: 0,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  server.on('connection', (s: Socket) => {
    origin.connections++;
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  (origin as { port: number }).port = (server.address() as { port: number }).port;
  return origin;
}

export interface Echo {
  readonly port: number;
  connections: number;
  close(): Promise<void>;
}

/**
 * A TCP server that echoes every byte back (half-close aware: the client's end is passed back
 * after the echo); with `silent` it reads and never answers; with `banner` it speaks first.
 */
export async function startEcho(host = '127.0.0.1', opts: { silent?: boolean; banner?: string } = {}): Promise<Echo> {
  const sockets = new Set<Socket>();
  const echo: Echo = { port: 0, connections: 0, close: async () => undefined };
  const server = createServer({ allowHalfOpen: true }, (s) => {
    echo.connections++;
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
    s.on('error', () => s.destroy());
    if (opts.banner !== undefined) s.write(opts.banner);
    if (opts.silent === true) s.resume().once('end', () => s.end());
    else s.pipe(s);
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  (echo as { port: number }).port = (server.address() as { port: number }).port;
  echo.close = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
  return echo;
}

/** A port on 127.0.0.1 that nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Resolves the given names only; anything else fails as an unknown name would. */
export function mapResolver(map: Record<string, readonly string[]>): Resolver & { calls: string[] } {
  const calls: string[] = [];
  const fn = async (host: string): Promise<readonly string[]> => {
    calls.push(host);
    const hit = map[host];
    if (hit === undefined) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return hit;
  };
  return Object.assign(fn, { calls });
}

export interface ProxyResponse {
  status: number;
  /** The client sent this request on a kept-alive connection. */
  reusedSocket: boolean;
  headers: IncomingHttpHeaders;
  body: string;
}

/** Where to reach an endpoint: its Unix socket, or its TCP port. */
export type Via = { socketPath: string } | { host: string; port: number };

export function viaUnix(e: ProxyEndpoint | undefined): Via {
  if (e?.unixSocketPath === undefined) throw new Error('no unix socket');
  return { socketPath: e.unixSocketPath };
}

export function viaTcp(e: ProxyEndpoint | undefined): Via {
  if (e?.tcp === undefined) throw new Error('no tcp listener');
  return { host: e.tcp.host, port: e.tcp.port };
}

export function basic(user: string, pass: string): string {
  return `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
}

/** One absolute-URI request through the HTTP proxy. */
export function proxyGet(
  via: Via,
  url: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string; agent?: import('node:http').Agent } = {},
): Promise<ProxyResponse> {
  return new Promise((resolve, reject) => {
    const req = request({ ...via, method: opts.method ?? 'GET', path: url, headers: { ...(/^[a-z]+:\/\//.test(url) ? { host: new URL(url).host } : {}), ...opts.headers }, agent: opts.agent ?? false, timeout: STEP_TIMEOUT_MS });
    req.on('timeout', () => req.destroy(new Error('proxy request timed out')));
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, reusedSocket: req.reusedSocket, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

function openSocket(via: Via): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = 'socketPath' in via ? connect({ path: via.socketPath }) : connect({ host: via.host, port: via.port });
    s.setTimeout(STEP_TIMEOUT_MS, () => s.destroy(new Error('socket timed out')));
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

/** Reads from `s` until `done(buffer)` says enough (or the peer closes). */
export function readUntil(s: Socket, done: (b: Buffer) => boolean): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const onData = (c: Buffer): void => {
      buf = Buffer.concat([buf, c]);
      if (done(buf)) finish();
    };
    const finish = (): void => {
      s.removeListener('data', onData);
      s.removeListener('end', finish);
      s.removeListener('close', finish);
      s.pause();
      resolve(buf);
    };
    s.on('data', onData);
    s.once('end', finish);
    s.once('close', finish);
    s.once('error', reject);
    s.resume();
  });
}

/** Everything `s` sends until it ends (or closes). */
export function readAll(s: Socket): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    s.on('data', (c: Buffer) => chunks.push(c));
    const finish = (): void => resolve(Buffer.concat(chunks));
    s.once('end', finish);
    s.once('close', finish);
    s.once('error', reject);
    s.resume();
  });
}

/** Sends CONNECT and reads the response head; the socket is the tunnel when status is 200. */
export async function connectTunnel(via: Via, authority: string, headers: Record<string, string> = {}): Promise<{ status: number; head: string; socket: Socket }> {
  const s = await openSocket(via);
  const extra = Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  s.write(`CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n${extra}\r\n`);
  const buf = await readUntil(s, (b) => b.includes('\r\n\r\n'));
  const text = buf.toString('latin1');
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
  return { status, head: text, socket: s };
}

/** Writes `data` into a tunnel and reads the same number of bytes back. */
export async function echoThrough(s: Socket, data: string): Promise<string> {
  s.write(data);
  const back = await readUntil(s, (b) => b.length >= Buffer.byteLength(data));
  return back.toString('utf8');
}

export type SocksTarget = { domain: string } | { ipv4: string } | { ipv6: Uint8Array };

/** A raw SOCKS5 client: greeting (+ RFC 1929 auth), CONNECT; returns the reply code and the socket. */
export async function socksConnect(
  via: Via,
  target: SocksTarget,
  port: number,
  opts: { auth?: { user: string; pass: string }; command?: number; methods?: number[] } = {},
): Promise<{ stage: 'method' | 'auth' | 'reply'; code: number; socket: Socket }> {
  const s = await openSocket(via);
  const methods = opts.methods ?? (opts.auth !== undefined ? [0x02] : [0x00]);
  s.write(Buffer.from([0x05, methods.length, ...methods]));
  const choice = await readUntil(s, (b) => b.length >= 2);
  const method = choice[1] ?? 0xff;
  if (method === 0xff) return { stage: 'method', code: 0xff, socket: s };
  if (method === 0x02) {
    const a = opts.auth ?? { user: '', pass: '' };
    const u = Buffer.from(a.user);
    const p = Buffer.from(a.pass);
    s.write(Buffer.concat([Buffer.from([0x01, u.length]), u, Buffer.from([p.length]), p]));
    const status = await readUntil(s, (b) => b.length >= 2);
    if (status[1] !== 0x00) return { stage: 'auth', code: status[1] ?? 0xff, socket: s };
  }
  let addr: Buffer;
  if ('domain' in target) addr = Buffer.concat([Buffer.from([0x03, Buffer.byteLength(target.domain)]), Buffer.from(target.domain)]);
  else if ('ipv4' in target) addr = Buffer.from([0x01, ...target.ipv4.split('.').map(Number)]);
  else addr = Buffer.concat([Buffer.from([0x04]), Buffer.from(target.ipv6)]);
  const portBuf = Buffer.alloc(2);
  portBuf.writeUInt16BE(port);
  s.write(Buffer.concat([Buffer.from([0x05, opts.command ?? 0x01, 0x00]), addr, portBuf]));
  const reply = await readUntil(s, (b) => b.length >= 10);
  return { stage: 'reply', code: reply[1] ?? 0xff, socket: s };
}

export interface CurlResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs Debian's curl with a hard timeout; never through a proxy the environment names. */
export function curl(args: readonly string[]): Promise<CurlResult> {
  return new Promise((resolve) => {
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/' };
    execFile('curl', ['--silent', '--show-error', '--max-time', '20', ...args], { env, timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * Open listeners and sockets of this process by kind (`tcp-server`, `unix-server`, `tcp-socket`,
 * `unix-socket`) that are still open, leaving out the process's own stdio (pipes when a test runner
 * captures it).
 * Node has no public API for live handles, so this reads `process._getActiveHandles()`.
 */
export function socketHandles(): Record<string, number> {
  const stdio = new Set<unknown>([process.stdin, process.stdout, process.stderr]);
  const handles = (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles();
  const out: Record<string, number> = {};
  for (const h of handles) {
    if (stdio.has(h)) continue;
    let kind: string | undefined;
    // A closed server or a destroyed socket is gone as far as anyone can use it; libuv releases
    // its handle a loop iteration later.
    if (h instanceof Server && h.listening) {
      const a = h.address();
      kind = typeof a === 'string' ? 'unix-server' : 'tcp-server';
    } else if (h instanceof Socket && !h.destroyed) {
      const name = (h as unknown as { _handle?: { constructor?: { name?: string } } })._handle?.constructor?.name;
      kind = name === 'Pipe' ? 'unix-socket' : 'tcp-socket';
    } else if ((h as { constructor?: { name?: string } } | null)?.constructor?.name === 'Pipe') {
      // A listening pipe handle with no net.Server around it (unix-listener.ts, until a client comes).
      kind = 'unix-server';
    }
    if (kind !== undefined) out[kind] = (out[kind] ?? 0) + 1;
  }
  return out;
}
