// Large-chunk reads for the download direction of a tunnel: the target socket reads straight into
// 256 KiB buffers from a small pool (Node's `onread` option) and each buffer is written to the
// client as it is, then returned to the pool once written. Against Node's default 64 KiB reads
// into fresh buffers this roughly halves the per-byte cost of relaying (see bench/README.md).
// Must NOT look at the bytes, and must keep backpressure: a slow client pauses the target.
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';

const CHUNK = 256 * 1024;
/** Idle buffers kept for reuse (4 MiB); in-flight ones are bounded by backpressure per tunnel. */
const POOL_LIMIT = 16;
const pool: Buffer[] = [];

function takeBuffer(): Buffer {
  // Unsafe allocation is fine: only the bytes a read filled (`subarray(0, n)`) are ever written.
  return pool.pop() ?? Buffer.allocUnsafe(CHUNK);
}

function giveBuffer(b: Buffer): void {
  if (pool.length < POOL_LIMIT) pool.push(b);
}

/** Read side of one target socket; create it before connecting and pass `onread` to net.connect. */
export class FastReader {
  #socket: Socket | undefined;
  #sink: Duplex | undefined;
  #pending: Array<{ buf: Buffer; n: number }> = [];

  readonly onread = {
    buffer: (): Buffer => takeBuffer(),
    callback: (n: number, buf: Buffer): boolean => this.#onRead(n, buf),
  };

  bind(socket: Socket): void {
    this.#socket = socket;
  }

  #onRead(n: number, buf: Buffer): boolean {
    if (this.#sink === undefined) {
      // Bytes the target sent before the tunnel was joined (a server banner): keep them, and stop
      // reading until someone takes them.
      this.#pending.push({ buf, n });
      return false;
    }
    return this.#write(buf, n);
  }

  #write(buf: Buffer, n: number): boolean {
    const sink = this.#sink;
    if (sink === undefined) return false;
    const ok = sink.write(buf.subarray(0, n), () => giveBuffer(buf));
    if (ok) return true;
    sink.once('drain', () => this.#socket?.resume());
    return false;
  }

  /** Starts passing everything read to `sink` (pending bytes first); the end of the target ends the sink. */
  pipeTo(sink: Duplex): void {
    this.#sink = sink;
    const pending = this.#pending;
    this.#pending = [];
    let flowing = true;
    for (const { buf, n } of pending) flowing = this.#write(buf, n) && flowing;
    const socket = this.#socket;
    if (socket?.readableEnded === true) sink.end();
    else socket?.once('end', () => sink.end());
    if (flowing) socket?.resume();
  }
}
