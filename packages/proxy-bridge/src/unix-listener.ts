// Owns listening on the proxy's Unix socket paths. Where Node's pipe handle can be reached (the
// `pipe_wrap` binding that net.Server itself listens through), the path is bound and listened on
// through it, and the net.Server that serves it is made only when the first client connects: a
// run whose command sends nothing through the proxy never loads node:net and what it pulls in
// (~1.5 ms of a proxy-mode start). Each accepted connection becomes a net.Socket on the accepted
// handle, as net.Server's own accept does, and is given to the server as a 'connection'.
// Elsewhere the server is made at once and listens the usual way.
// Must NOT read from a connection or decide anything about it: the server does.
import net, { type Server, type Socket, type SocketConstructorOpts } from 'node:net';
import { getSystemErrorMap } from 'node:util';

import { privateBinding } from '@codex-sandbox/process-launch';

/** A listening Unix socket; close() stops accepting (open connections are the server's). */
export interface UnixListener {
  close(): Promise<void>;
}

/** The part of Node's pipe handle this module uses (lib/net.js uses the same). */
interface PipeHandle {
  bind(path: string): number;
  listen(backlog: number): number;
  close(callback?: () => void): void;
  onconnection: ((status: number, client: PipeHandle | undefined) => void) | null;
}

interface PipeBinding {
  Pipe: new (type: number) => PipeHandle;
  constants: { SERVER: number };
}

const BACKLOG = 511;

let pipeBindingCache: PipeBinding | null | undefined;

/** The pipe binding, or null where it cannot be reached (privateBinding) or is not the shape expected. */
function pipeBinding(): PipeBinding | null {
  if (pipeBindingCache !== undefined) return pipeBindingCache;
  pipeBindingCache = null;
  const candidate = privateBinding('pipe_wrap') as Partial<PipeBinding> | undefined;
  const prototype = typeof candidate?.Pipe === 'function' ? (candidate.Pipe.prototype as Partial<PipeHandle>) : undefined;
  if (prototype !== undefined && typeof prototype.bind === 'function' && typeof prototype.listen === 'function' && typeof candidate?.constants?.SERVER === 'number') {
    pipeBindingCache = candidate as PipeBinding;
  }
  return pipeBindingCache;
}

/** A negative libuv status as the Error net.Server's listen gives (`listen EADDRINUSE: address already in use /path`). */
function listenError(status: number, socketPath: string): NodeJS.ErrnoException {
  const [code, description] = getSystemErrorMap().get(status) ?? [`E${-status}`, 'unknown error'];
  const error: NodeJS.ErrnoException = new Error(`listen ${code}: ${description} ${socketPath}`);
  error.code = code;
  error.errno = status;
  error.syscall = 'listen';
  return error;
}

/** Server options net.Server keeps as properties (not part of its typings). */
interface ServerSettings {
  allowHalfOpen?: boolean;
  pauseOnConnect?: boolean;
}

/**
 * Listens on `socketPath` (which must not exist) and serves its connections with the server
 * `makeServer` returns, made on the first connection. The server's `maxConnections` is honoured as
 * net.Server honours it: a connection over the limit is closed at once.
 */
export function listenUnix(socketPath: string, makeServer: () => Server): Promise<UnixListener> {
  const binding = pipeBinding();
  if (binding === null) return listenThroughServer(makeServer(), socketPath);
  const handle = new binding.Pipe(binding.constants.SERVER);
  let status = handle.bind(socketPath);
  if (status === 0) status = handle.listen(BACKLOG);
  if (status !== 0) {
    handle.close();
    return Promise.reject(listenError(status, socketPath));
  }
  let server: Server | undefined;
  let open = 0;
  handle.onconnection = (acceptStatus, client) => {
    // A failed accept (EMFILE, say) leaves nothing to serve; net.Server would only report it.
    if (acceptStatus !== 0 || client === undefined) return;
    server ??= makeServer();
    if (server.maxConnections > 0 && open >= server.maxConnections) {
      client.close();
      return;
    }
    const settings = server as Server & ServerSettings;
    const socket: Socket = new net.Socket({
      handle: client,
      allowHalfOpen: settings.allowHalfOpen === true,
      pauseOnCreate: settings.pauseOnConnect === true,
      readable: true,
      writable: true,
    } as SocketConstructorOpts);
    open += 1;
    socket.once('close', () => {
      open -= 1;
    });
    server.emit('connection', socket);
  };
  let closed: Promise<void> | undefined;
  return Promise.resolve({
    close: () => (closed ??= new Promise<void>((resolve) => handle.close(() => resolve()))),
  });
}

/** net.Server's own listen step, under the name Node keeps for it ("legacy alias" of setupListenHandle). */
interface ListenStep {
  _pipeName?: string;
  _listen2?: (address: string, port: number, addressType: number, backlog: number) => void;
}

/**
 * The server listens itself, without `server.listen()`'s detour through the cluster module where
 * it can: Node 20 loads `cluster` (and with it child_process) on every first listen only to ask
 * whether this is a cluster worker, a question `exclusive: true` makes moot (~0.9 ms).
 */
function listenThroughServer(server: Server, socketPath: string): Promise<UnixListener> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    const done = (): void => {
      server.removeListener('error', onError);
      let closed: Promise<void> | undefined;
      resolve({
        close: () => (closed ??= new Promise<void>((closeDone) => (server.listening ? server.close(() => closeDone()) : closeDone()))),
      });
    };
    const step = server as unknown as ListenStep;
    if (typeof step._listen2 !== 'function') {
      server.listen({ path: socketPath, exclusive: true }, done);
      return;
    }
    server.once('listening', done);
    step._pipeName = socketPath;
    step._listen2(socketPath, -1, -1, BACKLOG);
  });
}
