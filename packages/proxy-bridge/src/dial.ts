// Reaching an allowed target: resolve the name with the injected resolver, apply the policy's
// second stage to every address, connect to exactly a checked address (never re-resolving), or
// tunnel through the upstream proxy. Shared by the HTTP and SOCKS5 front ends. Must NOT decide
// policy itself (policy.ts does) nor answer clients (the front ends map outcomes to replies).
import { lookup } from 'node:dns/promises';
import { connect, type Socket } from 'node:net';
import { FastReader } from './fast-read.js';
import { parseIp, formatIp, type IpAddress } from './ip.js';
import { decideAddress, needsAddressCheck, type Decision, type NameDecision, type NetworkPolicy } from './policy.js';
import { targetText, type TargetHost } from './patterns.js';
import type { TunnelRelay } from './tunnel-relay.js';
import { bypassesUpstream, type UpstreamConfig, type UpstreamProxy } from './upstream.js';

/** Name resolution: every address `host` resolves to (IPv4 and IPv6 text). */
export type Resolver = (host: string) => Promise<readonly string[]>;

/** `dns.lookup` with all addresses, in the resolver's order. */
export const systemResolver: Resolver = async (host) => (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);

export interface DialContext {
  readonly policy: NetworkPolicy;
  readonly resolve: Resolver;
  readonly connectTimeoutMs: number;
  /** Set when `allow_upstream_proxy` is on and the environment names an upstream proxy. */
  readonly upstream: UpstreamConfig | undefined;
  /** Registers an outgoing socket so that close() can destroy it. */
  readonly track: (socket: Socket) => void;
  /** The native relay decided tunnels are handed to (absent: tunnels are relayed in this process). */
  readonly relay?: TunnelRelay | undefined;
}

export type Blocked = Exclude<Decision, { allowed: true }>;

export type Unreachable = { readonly kind: 'unreachable'; readonly code: string; readonly message: string };

export type CheckOutcome =
  | { readonly kind: 'ok'; readonly addresses: readonly IpAddress[] }
  | { readonly kind: 'blocked'; readonly decision: Blocked; readonly address: string }
  | Unreachable;

function errorCode(err: unknown): string {
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : 'EUNKNOWN';
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** `p`, or an ETIMEDOUT error after `ms` (a resolver that never answers must not hold a client forever). */
function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(Object.assign(new Error(`${what} timed out after ${ms} ms`), { code: 'ETIMEDOUT' })), ms);
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}

/** Resolves the target and applies the second stage to every address; one refused address refuses all. */
export async function resolveAndCheck(
  ctx: DialContext,
  target: TargetHost,
  name: Extract<NameDecision, { allowed: true }>,
  port: number,
): Promise<CheckOutcome> {
  let addresses: IpAddress[];
  if (target.kind === 'ip') {
    addresses = [target.ip];
  } else {
    let texts: readonly string[];
    try {
      texts = await withTimeout(ctx.resolve(target.name), ctx.connectTimeoutMs, `resolving ${target.name}`);
    } catch (err) {
      return { kind: 'unreachable', code: errorCode(err), message: `cannot resolve ${target.name}: ${errorMessage(err)}` };
    }
    addresses = [];
    for (const text of texts) {
      const ip = parseIp(text);
      if (ip === undefined) return { kind: 'unreachable', code: 'EBADRESOLVE', message: `the resolver returned \`${text}\` for ${target.name}, not an IP address` };
      addresses.push(ip);
    }
    if (addresses.length === 0) return { kind: 'unreachable', code: 'ENOTFOUND', message: `${target.name} has no address` };
  }
  // A name that resolves to a mix of public and local addresses is refused as a whole: which one a
  // client would get is up to the resolver, and rebinding attacks live in exactly that gap.
  for (const address of addresses) {
    const d = decideAddress(ctx.policy, target, name, address, port);
    if (!d.allowed) return { kind: 'blocked', decision: d, address: formatIp(address) };
  }
  return { kind: 'ok', addresses };
}

/** How a tunnel's target socket reads: through a FastReader, not at all (for the native relay), or as Node does. */
type ReadMode = { kind: 'fast'; reader: FastReader } | { kind: 'held' } | { kind: 'plain' };

function connectOne(address: IpAddress, port: number, timeoutMs: number, track: (s: Socket) => void, mode: ReadMode): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const base = { host: formatIp(address), port, family: address.family, allowHalfOpen: true, noDelay: true };
    const socket = mode.kind === 'fast' ? connect({ ...base, onread: mode.reader.onread }) : connect(base);
    if (mode.kind === 'fast') mode.reader.bind(socket);
    // Paused before it connects, a socket never starts reading: what the target sends (a banner)
    // stays in the kernel for the relay.
    if (mode.kind === 'held') socket.pause();
    track(socket);
    const timer = setTimeout(() => {
      const err = Object.assign(new Error(`connect to ${formatIp(address)}:${port} timed out after ${timeoutMs} ms`), { code: 'ETIMEDOUT' });
      socket.destroy(err);
    }, timeoutMs);
    const onError = (err: Error): void => {
      clearTimeout(timer);
      socket.destroy();
      reject(err);
    };
    socket.once('error', onError);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeListener('error', onError);
      // Whoever takes the socket adds its own handling; until then (and after), an error must not
      // become an uncaught exception that takes the whole proxy down.
      socket.on('error', () => undefined);
      resolve(socket);
    });
  });
}

async function connectFirst(ctx: DialContext, addresses: readonly IpAddress[], port: number, tunnel: boolean): Promise<{ socket: Socket; reader: FastReader | undefined }> {
  let last: unknown = new Error('no address to connect to');
  for (const address of addresses) {
    const reader = tunnel && ctx.relay === undefined ? new FastReader() : undefined;
    const mode: ReadMode = reader !== undefined ? { kind: 'fast', reader } : tunnel ? { kind: 'held' } : { kind: 'plain' };
    try {
      return { socket: await connectOne(address, port, ctx.connectTimeoutMs, ctx.track, mode), reader };
    } catch (err) {
      last = err;
    }
  }
  throw last;
}

/** Connects to the first address that accepts, in order (a plain socket, e.g. for the HTTP agent). */
export async function connectAny(ctx: DialContext, addresses: readonly IpAddress[], port: number): Promise<Socket> {
  return (await connectFirst(ctx, addresses, port, false)).socket;
}

async function resolveUpstream(ctx: DialContext, upstream: UpstreamProxy): Promise<IpAddress[]> {
  const literal = parseIp(upstream.host);
  if (literal !== undefined) return [literal];
  const texts = await withTimeout(ctx.resolve(upstream.host), ctx.connectTimeoutMs, `resolving upstream proxy ${upstream.host}`);
  const out = texts.map((t) => parseIp(t)).filter((ip): ip is IpAddress => ip !== undefined);
  if (out.length === 0) throw Object.assign(new Error(`upstream proxy ${upstream.host} has no address`), { code: 'ENOTFOUND' });
  return out;
}

/** Connects to an upstream proxy itself (trusted: it comes from the host's environment, not the command). */
export async function connectUpstream(ctx: DialContext, upstream: UpstreamProxy): Promise<Socket> {
  return connectAny(ctx, await resolveUpstream(ctx, upstream), upstream.port);
}

const MAX_UPSTREAM_HEAD = 16 * 1024;

/** Opens a CONNECT tunnel to `authority` through the upstream proxy. */
async function tunnelThrough(ctx: DialContext, upstream: UpstreamProxy, authority: string): Promise<Socket> {
  const socket = await connectUpstream(ctx, upstream);
  const auth = upstream.authorization === undefined ? '' : `Proxy-Authorization: ${upstream.authorization}\r\n`;
  socket.write(`CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n${auth}\r\n`);
  return new Promise((resolve, reject) => {
    let head = Buffer.alloc(0);
    const timer = setTimeout(() => fail('ETIMEDOUT', `upstream proxy ${upstream.envKey} did not answer CONNECT within ${ctx.connectTimeoutMs} ms`), ctx.connectTimeoutMs);
    const cleanup = (): void => {
      clearTimeout(timer);
      socket.removeListener('data', onData);
      socket.removeListener('error', onError);
      socket.removeListener('end', onEnd);
    };
    function fail(code: string, message: string): void {
      cleanup();
      socket.destroy();
      reject(Object.assign(new Error(message), { code }));
    }
    const onError = (err: Error): void => fail(errorCode(err), err.message);
    const onEnd = (): void => fail('ECONNRESET', `upstream proxy ${upstream.envKey} closed the connection during CONNECT`);
    const onData = (chunk: Buffer): void => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) {
        if (head.length > MAX_UPSTREAM_HEAD) fail('EPROTO', `upstream proxy ${upstream.envKey} sent an oversized CONNECT response`);
        return;
      }
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(head.subarray(0, end).toString('latin1'));
      if (status === null || status[1] === undefined || !status[1].startsWith('2')) {
        fail('EUPSTREAM', `upstream proxy ${upstream.envKey} refused CONNECT ${authority}: ${head.subarray(0, head.indexOf('\r\n')).toString('latin1')}`);
        return;
      }
      cleanup();
      socket.pause();
      const rest = head.subarray(end + 4);
      if (rest.length > 0) socket.unshift(rest);
      resolve(socket);
    };
    socket.on('data', onData);
    socket.once('error', onError);
    socket.once('end', onEnd);
  });
}

/** `reader`: the socket reads through it (large chunks); join with splice(client, socket, reader). */
export type TunnelOutcome = { readonly kind: 'ok'; readonly socket: Socket; readonly reader: FastReader | undefined } | Exclude<CheckOutcome, { kind: 'ok' }>;

/** A byte stream to an allowed target (CONNECT, SOCKS5): direct to a checked address, or via the upstream proxy. */
export async function openTunnel(
  ctx: DialContext,
  target: TargetHost,
  name: Extract<NameDecision, { allowed: true }>,
  port: number,
): Promise<TunnelOutcome> {
  const upstream = ctx.upstream?.tunnel;
  const viaUpstream = upstream !== undefined && ctx.upstream !== undefined && !bypassesUpstream(ctx.upstream, target, port);
  let addresses: readonly IpAddress[] = [];
  if (!viaUpstream || needsAddressCheck(ctx.policy)) {
    const checked = await resolveAndCheck(ctx, target, name, port);
    if (checked.kind !== 'ok') return checked;
    addresses = checked.addresses;
  }
  try {
    if (viaUpstream) {
      const host = targetText(target);
      return { kind: 'ok', socket: await tunnelThrough(ctx, upstream, host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`), reader: undefined };
    }
    return { kind: 'ok', ...(await connectFirst(ctx, addresses, port, true)) };
  } catch (err) {
    return { kind: 'unreachable', code: errorCode(err), message: errorMessage(err) };
  }
}
