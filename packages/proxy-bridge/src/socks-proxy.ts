// The managed proxy's SOCKS5 front end (RFC 1928, RFC 1929): no-auth, or username/password with
// the per-run credential on a credential-guarded listener; TCP CONNECT to a domain name (socks5h),
// IPv4 or IPv6, decided by the policy before anything is connected. Blocked: reply 0x02 (not
// allowed by ruleset); unreachable: 0x04 / 0x05; BIND and UDP ASSOCIATE: 0x07. Must NOT listen
// or clean up (server.ts) nor decide policy (policy.ts).
import net, { type Server, type Socket } from 'node:net';
import { credentialMatches, type ProxyCredential } from './credential.js';
import { openTunnel, type Blocked, type DialContext } from './dial.js';
import { blockedEvent, type EventLog } from './events.js';
import { formatIp, parseIp } from './ip.js';
import { parseTargetHost, targetText, type TargetHost } from './patterns.js';
import { decideMethod, decideName } from './policy.js';
import { splice } from './splice.js';
import { canHandOver, holdReads } from './tunnel-relay.js';

export interface SocksFrontContext extends DialContext {
  readonly events: EventLog;
  /** A client that has not finished its handshake by then is dropped. */
  readonly handshakeTimeoutMs: number;
}

/** RFC 1928 reply codes. */
export const SOCKS_REPLY = {
  succeeded: 0x00,
  generalFailure: 0x01,
  notAllowedByRuleset: 0x02,
  networkUnreachable: 0x03,
  hostUnreachable: 0x04,
  connectionRefused: 0x05,
  ttlExpired: 0x06,
  commandNotSupported: 0x07,
  addressTypeNotSupported: 0x08,
} as const;

const NO_AUTH = 0x00;
const USER_PASS = 0x02;
const NO_ACCEPTABLE = 0xff;

function replyFor(code: string): number {
  switch (code) {
    case 'ECONNREFUSED':
      return SOCKS_REPLY.connectionRefused;
    case 'ENETUNREACH':
      return SOCKS_REPLY.networkUnreachable;
    case 'ETIMEDOUT':
      return SOCKS_REPLY.ttlExpired;
    case 'EHOSTUNREACH':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_NONAME':
      return SOCKS_REPLY.hostUnreachable;
    default:
      return SOCKS_REPLY.hostUnreachable;
  }
}

/** VER REP RSV ATYP BND.ADDR BND.PORT, with the bound address when there is one. */
function reply(code: number, bound?: { address: string | undefined; port: number | undefined }): Buffer {
  const ip = bound?.address === undefined ? undefined : parseIp(bound.address);
  const port = bound?.port ?? 0;
  const addr = ip ?? { family: 4 as const, bytes: new Uint8Array(4) };
  const out = Buffer.alloc(4 + addr.bytes.length + 2);
  out[0] = 0x05;
  out[1] = code;
  out[3] = addr.family === 4 ? 0x01 : 0x04;
  out.set(addr.bytes, 4);
  out.writeUInt16BE(port, 4 + addr.bytes.length);
  return out;
}

/** Sends a last reply and closes both directions once it is flushed (the server is half-open capable). */
function finish(socket: Socket, last?: Buffer): void {
  socket.end(last ?? Buffer.alloc(0), () => socket.destroy());
}

/** Reads exactly what the handshake needs from a socket, across chunk boundaries. */
class Reader {
  #buf: Buffer = Buffer.alloc(0);
  #want: { n: number; resolve: (b: Buffer) => void } | undefined;
  #ended = false;
  #reject: ((err: Error) => void) | undefined;

  constructor(private readonly socket: Socket) {
    socket.on('data', this.#onData);
    socket.once('end', () => this.#fail('the client closed the connection during the SOCKS5 handshake'));
    socket.once('close', () => this.#fail('the client closed the connection during the SOCKS5 handshake'));
  }

  readonly #onData = (chunk: Buffer): void => {
    this.#buf = this.#buf.length === 0 ? chunk : Buffer.concat([this.#buf, chunk]);
    // A handshake is at most ~520 bytes: more unread data before it completes is a client that
    // does not speak SOCKS5, and buffering it would be unbounded.
    if (this.#buf.length > 4096 && this.#want !== undefined) this.#fail('oversized SOCKS5 handshake');
    this.#drain();
  };

  #fail(message: string): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#reject?.(new Error(message));
  }

  #drain(): void {
    const want = this.#want;
    if (want === undefined || this.#buf.length < want.n) return;
    const out = this.#buf.subarray(0, want.n);
    this.#buf = this.#buf.subarray(want.n);
    this.#want = undefined;
    want.resolve(out);
  }

  read(n: number): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      if (this.#ended) return reject(new Error('the client closed the connection during the SOCKS5 handshake'));
      this.#reject = reject;
      this.#want = { n, resolve };
      this.#drain();
    });
  }

  /**
   * Stops reading; returns what was received after the handshake (sent before our reply).
   * `hold`: stop the socket's reads at once, so later bytes wait in the kernel (native relay).
   */
  detach(hold: boolean): Buffer {
    this.socket.removeListener('data', this.#onData);
    this.socket.pause();
    if (hold) holdReads(this.socket);
    this.#ended = true;
    return this.#buf;
  }
}

async function readTarget(r: Reader, atyp: number): Promise<TargetHost | 'bad-type' | 'bad-name'> {
  if (atyp === 0x01) return parseTargetHost(formatIp({ family: 4, bytes: await r.read(4) })) ?? 'bad-name';
  if (atyp === 0x04) return parseTargetHost(formatIp({ family: 6, bytes: await r.read(16) })) ?? 'bad-name';
  if (atyp === 0x03) {
    const len = (await r.read(1))[0] ?? 0;
    const name = (await r.read(len)).toString('latin1');
    return parseTargetHost(name) ?? 'bad-name';
  }
  return 'bad-type';
}

/** Creates the SOCKS5 server (not listening). `credential` undefined: no credential asked (private Unix socket). */
export function createSocksProxyServer(ctx: SocksFrontContext, credential: ProxyCredential | undefined): Server {
  async function handshake(socket: Socket, stopTimer: () => void): Promise<void> {
    const r = new Reader(socket);
    const [ver = 0, nmethods = 0] = await r.read(2);
    if (ver !== 0x05) {
      socket.destroy();
      return;
    }
    const methods = await r.read(nmethods);
    // Without a credential (private Unix socket) a client that only offers username/password is
    // accepted with any: the socket's directory is what keeps others out.
    const method = credential !== undefined ? (methods.includes(USER_PASS) ? USER_PASS : NO_ACCEPTABLE) : methods.includes(NO_AUTH) ? NO_AUTH : methods.includes(USER_PASS) ? USER_PASS : NO_ACCEPTABLE;
    socket.write(Buffer.from([0x05, method]));
    if (method === NO_ACCEPTABLE) {
      if (credential !== undefined) ctx.events.recordAuthFailure();
      finish(socket);
      return;
    }
    if (method === USER_PASS) {
      const [authVer = 0, ulen = 0] = await r.read(2);
      const user = await r.read(ulen);
      const plen = (await r.read(1))[0] ?? 0;
      const pass = await r.read(plen);
      const ok = authVer === 0x01 && (credential === undefined || credentialMatches(credential, user, pass));
      socket.write(Buffer.from([0x01, ok ? 0x00 : 0x01]));
      if (!ok) {
        ctx.events.recordAuthFailure();
        finish(socket);
        return;
      }
    }
    const [rver = 0, cmd = 0, , atyp = 0] = await r.read(4);
    if (rver !== 0x05) {
      socket.destroy();
      return;
    }
    const target = await readTarget(r, atyp);
    const portBytes = await r.read(2);
    const port = portBytes.readUInt16BE(0);
    if (target === 'bad-type') {
      finish(socket, reply(SOCKS_REPLY.addressTypeNotSupported));
      return;
    }
    if (target === 'bad-name' || port === 0) {
      finish(socket, reply(SOCKS_REPLY.hostUnreachable));
      return;
    }
    if (cmd !== 0x01) {
      // BIND and UDP ASSOCIATE are never relayed (enable_socks5_udp is refused at compile time).
      finish(socket, reply(SOCKS_REPLY.commandNotSupported));
      return;
    }
    const refuse = (d: Blocked, address?: string): void => {
      ctx.events.record(blockedEvent({ protocol: 'socks5', host: targetText(target), port }, d, address));
      finish(socket, reply(SOCKS_REPLY.notAllowedByRuleset));
    };
    const name = decideName(ctx.policy, target, port);
    if (!name.allowed) return refuse(name);
    const byMode = decideMethod(ctx.policy, 'socks5', 'CONNECT');
    if (!byMode.allowed) return refuse(byMode);
    const early = r.detach(ctx.relay !== undefined);
    const outcome = await openTunnel(ctx, target, name, port);
    if (outcome.kind === 'blocked') return refuse(outcome.decision, outcome.address);
    if (outcome.kind === 'unreachable') {
      finish(socket, reply(replyFor(outcome.code)));
      return;
    }
    const upstream = outcome.socket;
    if (socket.destroyed) {
      upstream.destroy();
      return;
    }
    if (ctx.relay?.failure !== undefined) {
      // Fail closed: no tunnel without the relay that is meant to carry it.
      upstream.destroy();
      finish(socket, reply(SOCKS_REPLY.generalFailure));
      return;
    }
    socket.write(reply(SOCKS_REPLY.succeeded, { address: upstream.localAddress, port: upstream.localPort }));
    if (early.length > 0) upstream.write(early);
    stopTimer();
    if (ctx.relay !== undefined && canHandOver(socket, upstream)) await ctx.relay.take(socket, upstream);
    else splice(socket, upstream, outcome.reader);
  }

  const server = net.createServer({ allowHalfOpen: true, noDelay: true }, (socket) => {
    socket.on('error', () => socket.destroy());
    // Bounds the whole handshake, name resolution and connect included.
    const timer = setTimeout(() => socket.destroy(), ctx.handshakeTimeoutMs);
    socket.once('close', () => clearTimeout(timer));
    handshake(socket, () => clearTimeout(timer)).catch(() => socket.destroy());
  });
  return server;
}
