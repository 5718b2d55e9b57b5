// Test support: loopback origin servers for the network tests (the managed proxy's e2e suites).
import * as http from 'node:http';
import type * as net from 'node:net';

/** Listens on an ephemeral 127.0.0.1 port; resolves with the port. */
export function listenLoopback(server: net.Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)));
}

/** A request handler that answers `NAME:METHOD URL`, so a test sees which origin it reached. */
export function namedAnswer(name: string): (req: http.IncomingMessage, res: http.ServerResponse) => void {
  return (req, res) => res.end(`${name}:${req.method} ${req.url}\n`);
}

/** An HTTP origin answering with namedAnswer. */
export function namedOrigin(name: string): http.Server {
  return http.createServer(namedAnswer(name));
}
