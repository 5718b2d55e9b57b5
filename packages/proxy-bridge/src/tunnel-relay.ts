// The native data path of decided tunnels: codex-proxy-relay, one process per running proxy,
// started on the first tunnel, to which both connected sockets of a CONNECT or SOCKS5 tunnel are
// handed (Node's handle passing over an IPC channel) once the policy has allowed the target, the
// checked address is connected and the client has its answer. The relay joins them with splice(2),
// so a tunnel's bytes no longer pass through this process (bench/README.md has the numbers).
//
// Fail closed (N19): if the relay dies, every tunnel it holds is cut by the kernel, tunnels being
// handed over are destroyed, later ones are refused, and `failure` says why; the relay dies with
// this process (PR_SET_PDEATHSIG) and with its channel. Must NOT decide anything, connect anything or
// look at the bytes; callers hand over only sockets the policy has already allowed.
import { spawn, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';

/** The part of a socket's native handle (Node's TCP or Pipe wrap) this module relies on. */
interface StreamHandle {
  readStop(): number;
  reading: boolean;
  fd: number;
}

function streamHandle(socket: Socket): StreamHandle | undefined {
  const handle = (socket as unknown as { _handle?: Partial<StreamHandle> | null })._handle;
  if (handle === null || handle === undefined || typeof handle.readStop !== 'function' || typeof handle.fd !== 'number' || handle.fd < 0) return undefined;
  return handle as StreamHandle;
}

/**
 * Stops `socket` reading at once (not just pausing the stream), so that no byte the peer sends
 * from now on enters this process: it stays in the kernel for whoever relays the tunnel. A later
 * pipe()/resume() starts reading again. False when the socket has no such handle.
 */
export function holdReads(socket: Socket): boolean {
  const handle = streamHandle(socket);
  if (handle === undefined) return false;
  socket.pause();
  if (handle.reading) {
    handle.readStop();
    handle.reading = false;
  }
  return true;
}

/** Can these two sockets be handed to the relay as they are: native handles, nothing read into JS. */
export function canHandOver(client: Socket, target: Socket): boolean {
  return streamHandle(client) !== undefined && streamHandle(target) !== undefined && client.readableLength === 0 && target.readableLength === 0;
}

function flushed(socket: Socket): Promise<void> {
  if (socket.writableLength === 0 || socket.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      socket.removeListener('drain', done);
      socket.removeListener('close', done);
      resolve();
    };
    socket.once('drain', done);
    socket.once('close', done);
  });
}

interface Handover {
  readonly sockets: readonly [Socket, Socket];
  readonly done: () => void;
}

const STDERR_KEPT = 2048;

/** What to execute: a path (or /proc/self/fd/N), or a function that finds and verifies it on first use. */
export type TunnelRelayFile = string | (() => string | Promise<string>);

export class TunnelRelay {
  readonly #file: TunnelRelayFile;
  #child: ChildProcess | undefined;
  #starting: Promise<ChildProcess | undefined> | undefined;
  #failure: string | undefined;
  #closing = false;
  #exited: Promise<void> | undefined;
  #nextId = 1;
  readonly #handovers = new Map<number, Handover>();
  readonly #active = new Set<number>();
  #stderr = '';

  /** `file`: the verified codex-proxy-relay to execute. */
  constructor(file: TunnelRelayFile) {
    this.#file = file;
  }

  /** Why the relay stopped, once it has (tunnels are then refused). */
  get failure(): string | undefined {
    return this.#failure;
  }

  /** Tunnels the relay holds now. */
  get active(): number {
    return this.#active.size;
  }

  #fail(message: string): void {
    if (this.#failure !== undefined) return;
    this.#failure = message;
    this.#active.clear();
    for (const { sockets, done } of this.#handovers.values()) {
      for (const s of sockets) s.destroy();
      done();
    }
    this.#handovers.clear();
  }

  #start(): Promise<ChildProcess | undefined> {
    this.#starting ??= (async () => {
      let file: string;
      try {
        file = typeof this.#file === 'string' ? this.#file : await this.#file();
      } catch (err) {
        this.#fail(`the managed proxy's tunnel relay cannot be used: ${err instanceof Error ? err.message : String(err)}; tunnels are refused`);
        return undefined;
      }
      if (this.#closing) return undefined;
      return this.#spawn(file);
    })();
    return this.#starting;
  }

  #spawn(file: string): ChildProcess {
    // No environment, nothing inherited but the channel; its own session, so a terminal's ^C
    // reaches the command, not the relay (the proxy decides when the relay ends).
    const child = spawn(file, ['--channel-fd', '3', '--parent-pid', String(process.pid)], {
      argv0: 'codex-proxy-relay',
      env: {},
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      serialization: 'json',
      detached: true,
    });
    this.#child = child;
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (text: string) => {
      this.#stderr = (this.#stderr + text).slice(-STDERR_KEPT);
    });
    this.#exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        if (this.#closing) this.#fail('the managed proxy was closed');
        const why = signal !== null ? `was killed by ${signal}` : `exited with status ${code ?? 'unknown'}`;
        const detail = this.#stderr.trim();
        this.#fail(`the managed proxy's tunnel relay (codex-proxy-relay) ${why}${detail === '' ? '' : `: ${detail}`}; its tunnels were cut and later ones refused`);
        resolve();
      });
    });
    child.on('error', (err) => this.#fail(`the managed proxy's tunnel relay (codex-proxy-relay) cannot run: ${err.message}; tunnels are refused`));
    child.on('message', (message: unknown) => this.#onMessage(message));
    return child;
  }

  #onMessage(message: unknown): void {
    if (typeof message !== 'object' || message === null) return;
    const m = message as { started?: unknown; failed?: unknown; ended?: unknown };
    const id = typeof m.started === 'number' ? m.started : typeof m.failed === 'number' ? m.failed : undefined;
    if (id !== undefined) {
      const handover = this.#handovers.get(id);
      this.#handovers.delete(id);
      if (handover === undefined) return;
      if (typeof m.started === 'number') this.#active.add(id);
      // The relay has its own descriptors now (or closed them, for `failed`): ours go.
      for (const s of handover.sockets) s.destroy();
      handover.done();
      return;
    }
    if (typeof m.ended === 'number') this.#active.delete(m.ended);
  }

  /**
   * Hands a decided tunnel to the relay, after what was written to either socket has gone out.
   * Resolves once the relay holds both sockets (ours are then destroyed), or once both are
   * destroyed because the relay failed. Only for sockets where canHandOver() is true.
   */
  async take(client: Socket, target: Socket): Promise<void> {
    if (this.#failure !== undefined) {
      client.destroy();
      target.destroy();
      return;
    }
    holdReads(client);
    holdReads(target);
    const [child] = await Promise.all([this.#start(), flushed(client), flushed(target)]);
    const a = streamHandle(client);
    const b = streamHandle(target);
    if (child === undefined || this.#failure !== undefined || a === undefined || b === undefined || client.destroyed || target.destroyed) {
      client.destroy();
      target.destroy();
      return;
    }
    const id = this.#nextId++;
    await new Promise<void>((resolve) => {
      this.#handovers.set(id, { sockets: [client, target], done: resolve });
      // Node sends one handle at a time (the second after the relay acknowledged the first).
      const send = child.send as unknown as (message: unknown, handle: unknown, callback: (err: Error | null) => void) => boolean;
      const onSent = (err: Error | null): void => {
        if (err !== null) this.#fail(`the managed proxy's tunnel relay (codex-proxy-relay) cannot take a tunnel: ${err.message}`);
      };
      send.call(child, { tunnel: id, side: 0 }, a, onSent);
      send.call(child, { tunnel: id, side: 1 }, b, onSent);
    });
  }

  /** Stops the relay (cutting its tunnels) and resolves once it has exited. */
  async close(): Promise<void> {
    this.#closing = true;
    await this.#starting;
    const child = this.#child;
    if (child === undefined) return;
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await this.#exited;
  }
}
