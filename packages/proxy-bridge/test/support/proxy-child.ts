// A managed proxy in its own process, for tests that kill the process that owns it or run it as
// another user: starts a proxy with the JSON options in argv[2] ({ table, socketParentDir,
// tunnelRelay, resolve, transport }), prints its endpoints (and the built-in modules it loaded for
// them that name `cluster`) as one JSON line, then waits until it is killed.
import { compileNetworkPolicy, startManagedProxy } from '../../src/index.js';

async function main(): Promise<void> {
  const opts = JSON.parse(process.argv[2] ?? '{}') as {
    table?: Record<string, unknown>;
    socketParentDir?: string;
    tunnelRelay?: string;
    resolve?: Record<string, string[]>;
    transport?: 'unix' | 'tcp' | 'both';
  };
  const map = opts.resolve;
  const proxy = await startManagedProxy(compileNetworkPolicy(opts.table ?? {}), {
    transport: opts.transport ?? 'both',
    ...(opts.socketParentDir !== undefined ? { socketParentDir: opts.socketParentDir } : {}),
    ...(opts.tunnelRelay !== undefined ? { tunnelRelay: { file: opts.tunnelRelay } } : {}),
    ...(map !== undefined ? { resolve: async (host: string) => map[host] ?? [] } : {}),
  });
  const cluster = (process as unknown as { moduleLoadList: string[] }).moduleLoadList.filter((m) => m.includes('cluster'));
  process.stdout.write(`${JSON.stringify({ socketDir: proxy.socketDir, http: proxy.httpEndpoint, socks: proxy.socksEndpoint, cluster })}\n`);
  setInterval(() => undefined, 1 << 30);
}

main().catch((err: unknown) => {
  process.stderr.write(`${String(err)}\n`);
  process.exit(1);
});
