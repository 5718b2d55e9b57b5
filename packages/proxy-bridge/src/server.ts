// The managed proxy's lifecycle for one run (or one library sandbox object): a private 0700
// directory with the HTTP and SOCKS5 Unix sockets and/or 127.0.0.1 ephemeral ports guarded by a
// per-run credential, the connection tracking that lets close() destroy every open connection,
// and the removal of everything it created. Also sweeps socket directories that a killed earlier
// process left behind. Must NOT decide policy or speak a proxy protocol (the front ends do).
import { chmodSync, lstatSync, mkdtempSync, readdirSync, rmdirSync, rmSync, unlinkSync } from 'node:fs';
import type { Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateCredential, type ProxyCredential } from './credential.js';
import { systemResolver, type DialContext, type Resolver } from './dial.js';
import { ProxyStartError } from './errors.js';
import { EventLog, type BlockedListener, type ProxyEvents } from './events.js';
import { createHttpProxyServer } from './http-proxy.js';
import type { NetworkPolicy } from './policy.js';
import type { Env } from './routes.js';
import { createSocksProxyServer } from './socks-proxy.js';
import { TunnelRelay, type TunnelRelayFile } from './tunnel-relay.js';
import { listenUnix, type UnixListener } from './unix-listener.js';
import { upstreamConfigFromEnv, type UpstreamConfig } from './upstream.js';

export type ProxyTransport = 'unix' | 'tcp' | 'both';

export interface ManagedProxyOptions {
  /** `unix` (default): sockets in a private directory; `tcp`: 127.0.0.1 ports with a per-run credential; `both`. */
  transport?: ProxyTransport;
  /** Parent of the private socket directory (default: the OS temp dir, or /tmp when socket paths would be too long). */
  socketParentDir?: string;
  /** TCP ports instead of ephemeral ones (e.g. the policy's `proxy_url` port); 0 or absent = ephemeral. */
  tcpPorts?: { http?: number | undefined; socks?: number | undefined };
  /** Name resolution (default: `dns.lookup` with all addresses). */
  resolve?: Resolver;
  /** Where the upstream proxy comes from when the policy has `allow_upstream_proxy` (default: none, connect directly). */
  upstreamEnv?: Env;
  /** Per name resolution and per connection attempt (default 10 s). */
  connectTimeoutMs?: number;
  /** SOCKS5 handshake, resolution and connect together (default 30 s). */
  handshakeTimeoutMs?: number;
  /** Open client connections per listener (default 1024); more are refused by the listener. */
  maxConnections?: number;
  /** Blocked-request events kept in `events.blocked` (default 1000). */
  maxEvents?: number;
  /** Called for every blocked request. */
  onBlocked?: BlockedListener;
  /**
   * The native tunnel relay (codex-proxy-relay) to hand decided CONNECT and SOCKS5 tunnels to,
   * started on the first tunnel: `file` is what to execute (the caller has verified it, e.g.
   * /proc/self/fd/N of the checked bytes), or a function asked for it on the first tunnel (its
   * error refuses every tunnel). Absent: tunnels are relayed in this process.
   */
  tunnelRelay?: { readonly file: TunnelRelayFile };
}

export interface ProxyEndpoint {
  /** Unix socket path (no credential needed: the directory is private to this user). */
  readonly unixSocketPath: string | undefined;
  /** Loopback TCP listener (the credential is needed). */
  readonly tcp: { readonly host: '127.0.0.1'; readonly port: number } | undefined;
  /** URL for clients of the TCP listener, credential included: `http://user:pass@127.0.0.1:port`, `socks5h://...`. */
  readonly url: string | undefined;
}

export interface ManagedProxy {
  readonly httpEndpoint: ProxyEndpoint;
  /** Absent when the policy has `enable_socks5 = false`. */
  readonly socksEndpoint: ProxyEndpoint | undefined;
  /** The per-run credential of the TCP listeners (absent without TCP). */
  readonly credential: ProxyCredential | undefined;
  /** The private directory holding the Unix sockets (absent without Unix sockets). */
  readonly socketDir: string | undefined;
  readonly events: ProxyEvents;
  /** Set once the tunnel relay has stopped: its tunnels were cut and later tunnels are refused (fail closed). */
  readonly relayFailure: string | undefined;
  /** Stops the listeners, destroys every open connection, removes the sockets and their directory. Idempotent. */
  close(): Promise<void>;
}

/** sockaddr_un.sun_path holds 108 bytes including the terminating NUL. */
const MAX_SOCKET_PATH = 107;
const DIR_PREFIX = 'codex-proxy-';
const SOCKET_NAMES = ['http.sock', 'socks.sock'];
const TEMPLATE_LENGTH = `/${DIR_PREFIX}${process.pid}-XXXXXX/socks.sock`.length;

/**
 * Removes a socket file; gone already is fine. (unlink, not rmSync: rmSync loads Node's rimraf,
 * ~0.4 ms at the end of every proxy-mode run.)
 */
function removeSocket(file: string): void {
  try {
    unlinkSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes socket directories of dead processes of this user under `parent` (what a SIGKILL left). */
export function sweepStaleSocketDirs(parent: string): void {
  let names: string[];
  try {
    names = readdirSync(parent);
  } catch {
    return;
  }
  const uid = process.geteuid?.();
  for (const name of names) {
    const m = new RegExp(`^${DIR_PREFIX}(\\d+)-`).exec(name);
    if (m === null || Number(m[1]) === process.pid || pidAlive(Number(m[1]))) continue;
    const dir = join(parent, name);
    try {
      const st = lstatSync(dir);
      if (!st.isDirectory() || (uid !== undefined && st.uid !== uid)) continue;
      for (const sock of SOCKET_NAMES) removeSocket(join(dir, sock));
      rmdirSync(dir); // fails, and keeps the directory, if anything else is in it
    } catch {
      // Someone else's, or gone already.
    }
  }
}

function makeSocketDir(explicitParent: string | undefined): string {
  const candidates = explicitParent !== undefined ? [explicitParent] : [tmpdir(), '/tmp'];
  const parent = candidates.find((p) => Buffer.byteLength(p) + TEMPLATE_LENGTH <= MAX_SOCKET_PATH);
  if (parent === undefined) {
    throw new ProxyStartError(`socket directory parent ${candidates[0] ?? ''} is too long for a Unix socket path (at most ${MAX_SOCKET_PATH} bytes in all)`);
  }
  sweepStaleSocketDirs(parent);
  let dir: string;
  try {
    dir = mkdtempSync(join(parent, `${DIR_PREFIX}${process.pid}-`));
  } catch (err) {
    throw new ProxyStartError(`cannot create the proxy socket directory in ${parent}: ${(err as Error).message}`);
  }
  // mkdtemp creates 0700; check rather than trust, since everything rests on it.
  const st = lstatSync(dir);
  if (!st.isDirectory() || (st.mode & 0o077) !== 0 || (process.geteuid !== undefined && st.uid !== process.geteuid())) {
    rmdirSync(dir);
    throw new ProxyStartError(`the proxy socket directory ${dir} is not private (mode ${(st.mode & 0o777).toString(8)})`);
  }
  return dir;
}

/** Listens on 127.0.0.1:port (the Unix socket paths go through unix-listener.ts). */
function listenTcp(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => {
      server.removeListener('error', onError);
      resolve();
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
  });
}

function validPort(p: number | undefined, what: string): number {
  if (p === undefined) return 0;
  if (!Number.isInteger(p) || p < 0 || p > 65535) throw new ProxyStartError(`${what} port ${p} is not 0-65535`);
  return p;
}

/** Starts the managed proxy for `policy`; the caller must close() it when the run ends. */
export async function startManagedProxy(policy: NetworkPolicy, options: ManagedProxyOptions = {}): Promise<ManagedProxy> {
  const transport = options.transport ?? 'unix';
  const useUnix = transport === 'unix' || transport === 'both';
  const useTcp = transport === 'tcp' || transport === 'both';
  const httpPort = validPort(options.tcpPorts?.http, 'HTTP');
  const socksPort = validPort(options.tcpPorts?.socks, 'SOCKS5');
  let upstream: UpstreamConfig | undefined;
  if (policy.allowUpstreamProxy && options.upstreamEnv !== undefined) {
    const cfg = upstreamConfigFromEnv(options.upstreamEnv);
    if (cfg.http !== undefined || cfg.tunnel !== undefined) upstream = cfg;
  }
  const events = new EventLog(options.maxEvents ?? 1000);
  if (options.onBlocked !== undefined) events.subscribe(options.onBlocked);
  const open = new Set<Socket>();
  let closing = false;
  const track = (socket: Socket): void => {
    if (closing) {
      socket.destroy();
      return;
    }
    open.add(socket);
    socket.once('close', () => open.delete(socket));
  };
  const relay = options.tunnelRelay === undefined ? undefined : new TunnelRelay(options.tunnelRelay.file);
  const dial: DialContext = {
    policy,
    resolve: options.resolve ?? systemResolver,
    connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
    upstream,
    track,
    relay,
  };
  const credential = useTcp ? generateCredential() : undefined;
  const servers: Server[] = [];
  const unixListeners: UnixListener[] = [];
  const agents: Array<() => void> = [];
  const makeHttp = (cred: ProxyCredential | undefined): Server => {
    const h = createHttpProxyServer({ ...dial, events }, cred);
    agents.push(h.destroyAgents);
    return h.server;
  };
  const makeSocks = (cred: ProxyCredential | undefined): Server =>
    createSocksProxyServer({ ...dial, events, handshakeTimeoutMs: options.handshakeTimeoutMs ?? 30_000 }, cred);
  const register = (server: Server): Server => {
    server.maxConnections = options.maxConnections ?? 1024;
    server.on('connection', (socket: Socket) => track(socket));
    servers.push(server);
    return server;
  };

  let socketDir: string | undefined;
  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closed ??= (async () => {
      closing = true;
      // The relay first: killing it cuts every tunnel it holds.
      await relay?.close();
      const stopping = [...unixListeners.map((listener) => listener.close()), ...servers.map(closeServer)];
      // Resolve only once every handle is really gone, so that "closed" means nothing is left.
      const gone = [...open].map((socket) => new Promise<void>((resolve) => (socket.closed ? resolve() : socket.once('close', () => resolve()))));
      for (const socket of open) socket.destroy();
      for (const destroy of agents) destroy();
      await Promise.all([...stopping, ...gone]);
      if (socketDir !== undefined) {
        const dir = socketDir;
        try {
          for (const name of SOCKET_NAMES) removeSocket(join(dir, name));
          rmdirSync(dir);
        } catch {
          // Something else in it (only this user can write there), or a socket that would not go.
          rmSync(dir, { recursive: true, force: true });
        }
      }
      events.clearListeners();
    })();
    return closed;
  };

  try {
    let httpUnix: string | undefined;
    let socksUnix: string | undefined;
    let httpTcp: number | undefined;
    let socksTcp: number | undefined;
    if (useUnix) {
      socketDir = makeSocketDir(options.socketParentDir);
      httpUnix = join(socketDir, 'http.sock');
      // The servers are made on the first connection (unix-listener.ts).
      unixListeners.push(await listenUnix(httpUnix, () => register(makeHttp(undefined))));
      chmodSync(httpUnix, 0o600);
      if (policy.enableSocks5) {
        socksUnix = join(socketDir, 'socks.sock');
        unixListeners.push(await listenUnix(socksUnix, () => register(makeSocks(undefined))));
        chmodSync(socksUnix, 0o600);
      }
    }
    if (useTcp) {
      const h = register(makeHttp(credential));
      await listenTcp(h, httpPort);
      httpTcp = (h.address() as { port: number }).port;
      if (policy.enableSocks5) {
        const s = register(makeSocks(credential));
        await listenTcp(s, socksPort);
        socksTcp = (s.address() as { port: number }).port;
      }
    }
    const userinfo = credential === undefined ? '' : `${credential.username}:${credential.password}@`;
    const endpoint = (scheme: string, path: string | undefined, port: number | undefined): ProxyEndpoint => ({
      unixSocketPath: path,
      tcp: port === undefined ? undefined : { host: '127.0.0.1', port },
      url: port === undefined ? undefined : `${scheme}://${userinfo}127.0.0.1:${port}`,
    });
    return {
      httpEndpoint: endpoint('http', httpUnix, httpTcp),
      socksEndpoint: policy.enableSocks5 ? endpoint('socks5h', socksUnix, socksTcp) : undefined,
      credential,
      socketDir,
      events,
      get relayFailure() {
        return relay?.failure;
      },
      close,
    };
  } catch (err) {
    await close();
    if (err instanceof ProxyStartError) throw err;
    throw new ProxyStartError(`cannot start the managed proxy: ${(err as Error).message}`);
  }
}
