// The managed proxy's HTTP front end: absolute-URI requests (forwarded with keep-alive, the Host
// header rebuilt from the URI) and CONNECT tunnels, each decided by the policy before anything is
// connected. Blocked: 403 with `x-proxy-error`; allowed but unreachable: 502; missing or wrong
// per-run credential on a credential-guarded listener: 407. Must NOT listen or clean up (server.ts
// owns the lifecycle) nor decide policy (policy.ts).
//
// node:http is touched only once a client connects: the listener is a plain net.Server that hands
// each connection to an http.Server made on the first one. A run whose command never speaks HTTP
// through the proxy (most runs) then never loads node:http (~1 ms of a proxy-mode start, with the
// executable's lazy built-ins: packages/cli/scripts/build-executable.mjs).
import http from 'node:http';
import type { ClientRequestArgs, IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http';
import net, { type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { proxyAuthorizationMatches, type ProxyCredential } from './credential.js';
import { connectAny, connectUpstream, openTunnel, resolveAndCheck, type Blocked, type DialContext } from './dial.js';
import { blockedEvent, type EventLog } from './events.js';
import { parsePort, parseTargetHost, targetText, type TargetHost } from './patterns.js';
import { blockedHeaderValue, decideMethod, decideName, needsAddressCheck, type ProxyProtocol } from './policy.js';
import { bypassesUpstream } from './upstream.js';
import type { IpAddress } from './ip.js';
import { splice } from './splice.js';
import { canHandOver, holdReads } from './tunnel-relay.js';

export interface HttpFrontContext extends DialContext {
  readonly events: EventLog;
}

const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection', 'proxy-connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization',
  'te', 'trailer', 'transfer-encoding', 'upgrade',
]);

/** rawHeaders without hop-by-hop fields (including those the Connection header names) and `drop`. */
function endToEndHeaders(raw: readonly string[], drop: ReadonlySet<string> = new Set()): string[] {
  const named = new Set<string>();
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const k = (raw[i] ?? '').toLowerCase();
    if (k === 'connection' || k === 'proxy-connection') {
      for (const token of (raw[i + 1] ?? '').split(',')) named.add(token.trim().toLowerCase());
    }
  }
  const out: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const k = raw[i] ?? '';
    const lower = k.toLowerCase();
    if (HOP_BY_HOP.has(lower) || named.has(lower) || drop.has(lower)) continue;
    out.push(k, raw[i + 1] ?? '');
  }
  return out;
}

interface CheckedArgs extends ClientRequestArgs {
  checkedAddresses?: readonly IpAddress[];
}

type Dial = (opts: CheckedArgs) => Promise<Socket>;

/** Pools keep-alive connections; a new connection goes to exactly the addresses the policy checked. */
function checkedAgentClass() {
  return class CheckedAgent extends http.Agent {
    readonly #dial: Dial;
    constructor(dial: Dial) {
      super({ keepAlive: true, maxFreeSockets: 64, timeout: 30_000, scheduling: 'lifo' });
      this.#dial = dial;
    }
    override createConnection(options: ClientRequestArgs, callback?: (err: Error | null, stream: Duplex) => void): Duplex | null | undefined {
      this.#dial(options as CheckedArgs).then(
        (socket) => callback?.(null, socket),
        (err: unknown) => callback?.(err instanceof Error ? err : new Error(String(err)), undefined as unknown as Duplex),
      );
      return undefined;
    }
  };
}

let CheckedAgent: ReturnType<typeof checkedAgentClass> | undefined;

function checkedAgent(dial: Dial): InstanceType<typeof http.Agent> {
  CheckedAgent ??= checkedAgentClass();
  return new CheckedAgent(dial);
}

export interface HttpProxyServer {
  readonly server: Server;
  /** Destroys the pooled upstream connections. */
  readonly destroyAgents: () => void;
}

function plainBody(message: string): string {
  return `${message}\n`;
}

/**
 * Creates the HTTP proxy server (not listening): a net.Server whose connections go to the HTTP
 * front, made on the first one. `credential` undefined: no credential asked (private Unix socket).
 */
export function createHttpProxyServer(ctx: HttpFrontContext, credential: ProxyCredential | undefined): HttpProxyServer {
  let front: { server: HttpServer; destroy: () => void } | undefined;
  // As http.Server's own listener would make them: half-open capable (a tunnel relays a half-close).
  const server = net.createServer({ noDelay: true, allowHalfOpen: true }, (socket) => {
    front ??= createHttpFront(ctx, credential);
    // The documented way to give an http.Server a connection it did not accept itself.
    front.server.emit('connection', socket);
  });
  return { server, destroyAgents: () => front?.destroy() };
}

function createHttpFront(ctx: HttpFrontContext, credential: ProxyCredential | undefined): { server: HttpServer; destroy: () => void } {
  const direct = checkedAgent((opts) => connectAny(ctx, opts.checkedAddresses ?? [], Number(opts.port)));
  const viaUpstream = checkedAgent(async () => {
    const upstream = ctx.upstream?.http;
    if (upstream === undefined) throw new Error('no upstream proxy');
    return connectUpstream(ctx, upstream);
  });

  function authorized(req: IncomingMessage): boolean {
    if (credential === undefined || proxyAuthorizationMatches(credential, req.headers['proxy-authorization'])) return true;
    ctx.events.recordAuthFailure();
    return false;
  }

  function record(protocol: ProxyProtocol, method: string, target: TargetHost, port: number, d: Blocked, address?: string): void {
    ctx.events.record(blockedEvent({ protocol, method, host: targetText(target), port }, d, address));
  }

  function sendText(res: ServerResponse, status: number, message: string, extra: Record<string, string> = {}): void {
    const body = plainBody(message);
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body), ...extra });
    res.end(body);
  }

  function sendBlocked(res: ServerResponse, d: Blocked): void {
    sendText(res, 403, `blocked by the sandbox network policy: ${d.detail}`, { 'x-proxy-error': blockedHeaderValue(d.reason) });
  }

  async function onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!authorized(req)) {
      sendText(res, 407, 'this proxy needs the per-run credential (Proxy-Authorization: Basic)', { 'proxy-authenticate': 'Basic realm="codex-sandbox"' });
      return;
    }
    const method = req.method ?? 'GET';
    let url: URL | undefined;
    try {
      url = /^[a-z][a-z0-9+.-]*:\/\//i.test(req.url ?? '') ? new URL(req.url ?? '') : undefined;
    } catch {
      url = undefined;
    }
    if (url === undefined || url.protocol !== 'http:') {
      const why = url === undefined ? 'requests to this proxy must use an absolute http:// URI' : `${url.protocol}// URIs are not proxied; use CONNECT for TLS`;
      sendText(res, 400, why);
      return;
    }
    const target = parseTargetHost(url.hostname);
    const port = url.port === '' ? 80 : parsePort(url.port);
    if (target === undefined || port === undefined) {
      sendText(res, 400, `\`${url.host}\` is not a host name or IP address with a usable port`);
      return;
    }
    const name = decideName(ctx.policy, target, port);
    if (!name.allowed) {
      record('http', method, target, port, name);
      sendBlocked(res, name);
      return;
    }
    const byMethod = decideMethod(ctx.policy, 'http', method);
    if (!byMethod.allowed) {
      record('http', method, target, port, byMethod);
      sendBlocked(res, byMethod);
      return;
    }
    const upstream = ctx.upstream?.http;
    const useUpstream = upstream !== undefined && ctx.upstream !== undefined && !bypassesUpstream(ctx.upstream, target, port);
    let addresses: readonly IpAddress[] = [];
    if (!useUpstream || needsAddressCheck(ctx.policy)) {
      const checked = await resolveAndCheck(ctx, target, name, port);
      if (checked.kind === 'blocked') {
        record('http', method, target, port, checked.decision, checked.address);
        sendBlocked(res, checked.decision);
        return;
      }
      if (checked.kind === 'unreachable') {
        sendText(res, 502, `cannot reach ${targetText(target)}:${port}: ${checked.message}`);
        return;
      }
      addresses = checked.addresses;
    }
    // RFC 9112 3.2.2: a proxy replaces Host with the authority of the absolute URI, which is also
    // what the policy decided on; a client-chosen Host could name another virtual host.
    const headers = ['Host', url.host, ...endToEndHeaders(req.rawHeaders, new Set(['host']))];
    const options: CheckedArgs = useUpstream
      ? { agent: viaUpstream, host: upstream.host, port: upstream.port, method, path: url.href, headers: upstream.authorization === undefined ? headers : [...headers, 'Proxy-Authorization', upstream.authorization] }
      : { agent: direct, host: targetText(target), port, method, path: `${url.pathname}${url.search}`, headers, checkedAddresses: addresses };
    const out = http.request(options);
    out.on('response', (up) => {
      if (useUpstream && up.statusCode === 407) {
        // The upstream proxy refused our configured credential: nothing the client could fix.
        up.resume();
        sendText(res, 502, `the upstream proxy (${upstream.envKey}) refused the request with 407: check the credential in ${upstream.envKey}`);
        return;
      }
      try {
        res.writeHead(up.statusCode ?? 502, up.statusMessage, endToEndHeaders(up.rawHeaders));
      } catch (err) {
        // Node refuses to send some headers it parsed (invalid characters): the origin's answer
        // cannot be relayed faithfully, and a throw here would take the whole proxy down.
        up.destroy();
        sendText(res, 502, `the response of ${targetText(target)}:${port} cannot be relayed: ${err instanceof Error ? err.message : String(err)}`);
        return;
      }
      up.pipe(res);
      up.on('error', () => res.destroy());
      up.on('aborted', () => res.destroy());
    });
    out.on('error', (err) => {
      if (!res.headersSent) sendText(res, 502, `cannot reach ${targetText(target)}:${port}: ${err.message}`);
      else res.destroy();
    });
    res.on('close', () => {
      if (!res.writableFinished) out.destroy();
    });
    req.pipe(out);
  }

  function writeRaw(socket: Duplex, status: string, message: string, extra = ''): void {
    const body = plainBody(message);
    // The socket is half-open capable: close both directions once the answer is flushed.
    socket.end(`HTTP/1.1 ${status}\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\n${extra}connection: close\r\n\r\n${body}`, () =>
      socket.destroy(),
    );
  }

  async function onConnect(req: IncomingMessage, client: Duplex, head: Buffer): Promise<void> {
    client.on('error', () => client.destroy());
    // With the native relay, nothing more the client sends is read here (it waits in the kernel
    // for the relay; splice() resumes reading if the tunnel stays in this process).
    if (ctx.relay !== undefined && client instanceof net.Socket) holdReads(client);
    if (!authorized(req)) {
      writeRaw(client, '407 Proxy Authentication Required', 'this proxy needs the per-run credential (Proxy-Authorization: Basic)', 'proxy-authenticate: Basic realm="codex-sandbox"\r\n');
      return;
    }
    const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):([0-9]+)$/.exec(req.url ?? '');
    const target = m === null ? undefined : parseTargetHost(m[1] ?? m[2] ?? '');
    const port = m === null ? undefined : parsePort(m[3] ?? '');
    if (target === undefined || port === undefined) {
      writeRaw(client, '400 Bad Request', 'CONNECT needs HOST:PORT (IPv6 in brackets), port 1-65535');
      return;
    }
    const refuse = (d: Blocked, address?: string): void => {
      record('connect', 'CONNECT', target, port, d, address);
      writeRaw(client, '403 Forbidden', `blocked by the sandbox network policy: ${d.detail}`, `x-proxy-error: ${blockedHeaderValue(d.reason)}\r\n`);
    };
    const name = decideName(ctx.policy, target, port);
    if (!name.allowed) {
      refuse(name);
      return;
    }
    const byMethod = decideMethod(ctx.policy, 'connect', 'CONNECT');
    if (!byMethod.allowed) {
      refuse(byMethod);
      return;
    }
    const outcome = await openTunnel(ctx, target, name, port);
    if (outcome.kind === 'blocked') {
      refuse(outcome.decision, outcome.address);
      return;
    }
    if (outcome.kind === 'unreachable') {
      writeRaw(client, '502 Bad Gateway', `cannot reach ${targetText(target)}:${port}: ${outcome.message}`);
      return;
    }
    if (client.destroyed) {
      outcome.socket.destroy();
      return;
    }
    const relayFailure = ctx.relay?.failure;
    if (relayFailure !== undefined) {
      // Fail closed: no tunnel without the relay that is meant to carry it.
      outcome.socket.destroy();
      writeRaw(client, '502 Bad Gateway', relayFailure);
      return;
    }
    client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    if (head.length > 0) outcome.socket.write(head);
    if (ctx.relay !== undefined && client instanceof net.Socket && canHandOver(client, outcome.socket)) await ctx.relay.take(client, outcome.socket);
    else splice(client, outcome.socket, outcome.reader);
  }

  const server = http.createServer({ requestTimeout: 0, headersTimeout: 60_000, keepAliveTimeout: 5_000, noDelay: true });
  // What listen() would do: start the timer that enforces headersTimeout on its connections (an
  // http.Server sets it up on 'listening'); unref'd, and stopped by close() in destroy().
  server.emit('listening');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    onRequest(req, res).catch((err: unknown) => {
      if (!res.headersSent) sendText(res, 500, `proxy error: ${err instanceof Error ? err.message : String(err)}`);
      else res.destroy();
    });
  });
  server.on('connect', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    onConnect(req, socket, head).catch(() => socket.destroy());
  });
  server.on('upgrade', (_req: IncomingMessage, socket: Duplex) => {
    socket.on('error', () => socket.destroy());
    writeRaw(socket, '501 Not Implemented', 'protocol upgrades through absolute URIs are not proxied; use CONNECT');
  });
  return {
    server,
    destroy: () => {
      direct.destroy();
      viaUpstream.destroy();
      // Never listened itself (its connections come from the listener): close() only stops its
      // timers, and reports that it was not running.
      server.close(() => undefined);
    },
  };
}
