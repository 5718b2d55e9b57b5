// The proxy's Unix socket listener (unix-listener.ts), with real sockets in a temp directory: the
// server is made on the first connection and serves every connection after it, maxConnections is
// honoured, a path in use is refused the way net refuses it, and close() stops accepting.
import { createServer, connect, type Server, type Socket } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { listenUnix, type UnixListener } from '../src/unix-listener.js';
import { Fixture } from './support/fixture.js';

const fx = new Fixture();
afterEach(() => fx.closeAll());

/** An echo server that prefixes what it echoes, and counts how many times it was made. */
function echoFactory(): { make: () => Server; made: () => number; servers: Server[] } {
  const servers: Server[] = [];
  return {
    make: () => {
      const server = createServer({ allowHalfOpen: true }, (socket) => {
        socket.on('data', (chunk: Buffer) => socket.write(`echo:${chunk.toString()}`));
        socket.on('end', () => socket.end());
      });
      servers.push(server);
      return server;
    },
    made: () => servers.length,
    servers,
  };
}

function listening(listener: UnixListener): UnixListener {
  fx.add({ close: () => listener.close() });
  return listener;
}

/** Connects, sends `text`, half-closes, and returns everything the server sent before closing. */
function exchange(socketPath: string, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect({ path: socketPath });
    let got = '';
    socket.on('data', (chunk: Buffer) => (got += chunk.toString()));
    socket.once('connect', () => socket.end(text));
    socket.once('close', () => resolve(got));
    socket.once('error', reject);
  });
}

test('the server is made on the first connection, once, and serves every connection (half-close included)', async () => {
  const socketPath = join(fx.tempDir(), 'http.sock');
  const factory = echoFactory();
  listening(await listenUnix(socketPath, factory.make));
  expect(factory.made()).toBe(0);
  expect(await exchange(socketPath, 'one')).toBe('echo:one');
  expect(factory.made()).toBe(1);
  expect(await Promise.all([exchange(socketPath, 'two'), exchange(socketPath, 'three')])).toEqual(['echo:two', 'echo:three']);
  expect(factory.made()).toBe(1);
});

test("the server's maxConnections is honoured: a connection over it is closed at once", async () => {
  const socketPath = join(fx.tempDir(), 'http.sock');
  const held: Socket[] = [];
  const factory = (): Server => {
    const server = createServer((socket) => {
      held.push(socket);
      socket.write('hello');
    });
    server.maxConnections = 1;
    return server;
  };
  listening(await listenUnix(socketPath, factory));
  const first = connect({ path: socketPath });
  fx.add({ close: () => void first.destroy() });
  await new Promise<void>((resolve) => first.once('data', () => resolve()));
  // The second gets no greeting: closed before any server sees it.
  const over = await new Promise<string>((resolve) => {
    const socket = connect({ path: socketPath });
    let got = '';
    socket.on('data', (chunk: Buffer) => (got += chunk.toString()));
    socket.on('error', () => undefined);
    socket.once('close', () => resolve(got));
  });
  expect(over).toBe('');
  expect(held).toHaveLength(1);
  for (const socket of held) socket.destroy();
});

test('a path that is taken is refused as net refuses it (EADDRINUSE), and nothing is made', async () => {
  const socketPath = join(fx.tempDir(), 'http.sock');
  writeFileSync(socketPath, '');
  const factory = echoFactory();
  await expect(listenUnix(socketPath, factory.make)).rejects.toMatchObject({ code: 'EADDRINUSE', syscall: 'listen', message: expect.stringContaining(socketPath) });
  expect(factory.made()).toBe(0);
});

test('close() stops accepting and removes the socket; a second close() is the same promise', async () => {
  const socketPath = join(fx.tempDir(), 'http.sock');
  const factory = echoFactory();
  const listener = await listenUnix(socketPath, factory.make);
  expect(await exchange(socketPath, 'before')).toBe('echo:before');
  const closing = listener.close();
  expect(listener.close()).toBe(closing);
  await closing;
  const refused = await new Promise<string>((resolve) => {
    const socket = connect({ path: socketPath });
    socket.once('connect', () => resolve('connected'));
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
  });
  expect(refused).toBe('ENOENT');
});
