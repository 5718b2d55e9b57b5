// The typed handoff from a front end to codex-netns-helper, the inner stage of a proxy-only Linux
// sandbox (message NetnsHelperSpec in proto/netns_helper.proto): checks a spec and encodes it,
// and decodes one back (tests, diagnostics). Must NOT decide routes or build seccomp programs; the
// helper checks the same rules again on its side.
import { WireError } from './errors.js';
import * as pb from './gen/netns_helper.js';

export interface ProxyBridgeRouteSpec {
  /** Port of the 127.0.0.1 listener inside the command's network namespace. */
  listenPort: number;
  /** Absolute path, as the sandbox sees it, of the Unix socket the listener forwards to. */
  socketPath: string;
  /**
   * The front end holds this socket's listener open for the whole run (its managed proxy), so the
   * helper does not probe it first; absent or false: it probes, and refuses the run if nobody listens.
   */
  heldOpen?: boolean;
}

/** One host Unix socket the command may connect to (N16). */
export interface AllowedUnixSocketSpec {
  /** The addresses (absolute paths) the command may give for it; at least one. */
  names: readonly string[];
  /** Absolute path, as the sandbox sees it, where it is bound; the helper connects there itself. */
  socketPath: string;
}

export interface NetnsHelperSpec {
  routes: readonly ProxyBridgeRouteSpec[];
  /** Classic BPF program (struct sock_filter array) the helper installs on the command. */
  seccompProgram: Uint8Array;
  /**
   * Present when the program hands connect(2) to a listener: the helper installs it with one and
   * decides every connect (only these Unix sockets; IP as the namespace allows).
   */
  connectSupervision?: { unixSockets: readonly AllowedUnixSocketSpec[] };
}

/** sockaddr_un.sun_path holds 108 bytes including the terminating NUL. */
const MAX_SOCKET_PATH_BYTES = 107;
const SOCK_FILTER_BYTES = 8;
const MAX_BPF_INSNS = 4096;
const MAX_ROUTES = 64;
const MAX_UNIX_SOCKETS = 64;
const MAX_NAMES = 8;

function checkSocketPath(what: string, socketPath: string): void {
  if (!socketPath.startsWith('/') || socketPath.includes('\0')) {
    throw new WireError(`netns helper spec: ${what} ${JSON.stringify(socketPath)} must be absolute, without NUL`);
  }
  if (Buffer.byteLength(socketPath) > MAX_SOCKET_PATH_BYTES) {
    throw new WireError(`netns helper spec: ${what} ${socketPath} is longer than ${MAX_SOCKET_PATH_BYTES} bytes`);
  }
}

function checkSupervision(supervision: NonNullable<NetnsHelperSpec['connectSupervision']>): void {
  const sockets = supervision.unixSockets;
  if (sockets.length > MAX_UNIX_SOCKETS) throw new WireError(`netns helper spec: ${sockets.length} allowed Unix sockets (at most ${MAX_UNIX_SOCKETS})`);
  const names = new Set<string>();
  sockets.forEach((socket, i) => {
    checkSocketPath(`allowed Unix socket ${i} path`, socket.socketPath);
    if (socket.names.length === 0 || socket.names.length > MAX_NAMES) {
      throw new WireError(`netns helper spec: allowed Unix socket ${i} has ${socket.names.length} names (1-${MAX_NAMES})`);
    }
    for (const name of socket.names) {
      checkSocketPath(`allowed Unix socket ${i} name`, name);
      if (names.has(name)) throw new WireError(`netns helper spec: the Unix socket name ${name} is given twice`);
      names.add(name);
    }
  });
}

function checkSpec(spec: NetnsHelperSpec): void {
  if (spec.routes.length === 0) throw new WireError('netns helper spec: at least one proxy route is required');
  if (spec.routes.length > MAX_ROUTES) throw new WireError(`netns helper spec: ${spec.routes.length} routes (at most ${MAX_ROUTES})`);
  const ports = new Set<number>();
  spec.routes.forEach((route, i) => {
    const { listenPort, socketPath } = route;
    if (!Number.isInteger(listenPort) || listenPort < 1 || listenPort > 65535) {
      throw new WireError(`netns helper spec: route ${i} port ${listenPort} is not 1-65535`);
    }
    if (ports.has(listenPort)) throw new WireError(`netns helper spec: route ${i} port ${listenPort} is used twice`);
    ports.add(listenPort);
    checkSocketPath(`route ${i} socket path`, socketPath);
  });
  if (spec.connectSupervision !== undefined) checkSupervision(spec.connectSupervision);
  const len = spec.seccompProgram.length;
  if (len === 0 || len % SOCK_FILTER_BYTES !== 0 || len / SOCK_FILTER_BYTES > MAX_BPF_INSNS) {
    throw new WireError(`netns helper spec: the seccomp program has ${len} bytes (required: 1-${MAX_BPF_INSNS} instructions of ${SOCK_FILTER_BYTES} bytes)`);
  }
}

export function encodeNetnsHelperSpec(spec: NetnsHelperSpec): Uint8Array {
  checkSpec(spec);
  return pb.NetnsHelperSpec.encode({
    routes: spec.routes.map((r) => ({ listenPort: r.listenPort, socketPath: r.socketPath, heldOpen: r.heldOpen === true })),
    seccompProgram: Buffer.from(spec.seccompProgram),
    ...(spec.connectSupervision === undefined
      ? {}
      : { connectSupervision: { unixSockets: spec.connectSupervision.unixSockets.map((u) => ({ names: [...u.names], socketPath: u.socketPath })) } }),
  }).finish();
}

export function decodeNetnsHelperSpec(bytes: Uint8Array): NetnsHelperSpec {
  let m: pb.NetnsHelperSpec;
  try {
    m = pb.NetnsHelperSpec.decode(bytes);
  } catch (error) {
    throw new WireError(`netns helper spec: not a NetnsHelperSpec message: ${(error as Error).message}`);
  }
  const spec: NetnsHelperSpec = {
    routes: m.routes.map((r) => ({ listenPort: r.listenPort, socketPath: r.socketPath, ...(r.heldOpen ? { heldOpen: true } : {}) })),
    seccompProgram: m.seccompProgram,
    ...(m.connectSupervision === undefined
      ? {}
      : { connectSupervision: { unixSockets: m.connectSupervision.unixSockets.map((u) => ({ names: u.names, socketPath: u.socketPath })) } }),
  };
  checkSpec(spec);
  return spec;
}
