// Owns the managed proxy's lifetime for one sandbox object: started on the first run that needs
// it, reused by later runs, closed (sockets and their private directory removed) by close().
// Collects the blocked-request events of each run. Must NOT decide policy, ports or routes
// (managed-network.ts does) and must never hand out a route to a proxy that is not running.
import { startManagedProxy, type BlockedRequestEvent, type ManagedProxy } from '@codex-sandbox/proxy-bridge';
import type { ManagedNetworkPlan, ProxySockets } from './managed-network.js';

export interface ManagedProxyRuntime {
  /** The running proxy's sockets (starts it on first use). */
  sockets(): Promise<ProxySockets>;
  /**
   * Runs `fn`, returning with it the requests the proxy blocked meanwhile, and `failure` when the
   * proxy's tunnel relay stopped (its tunnels were cut, later ones refused).
   */
  track<T>(fn: () => Promise<T>): Promise<{ value: T; blocked: BlockedRequestEvent[]; failure?: string | undefined }>;
  close(): Promise<void>;
}

export interface ManagedProxyRuntimeOptions {
  /** Host environment: the upstream proxy when `allow_upstream_proxy` is set. */
  upstreamEnv: Readonly<Record<string, string | undefined>>;
  onBlocked?: ((event: BlockedRequestEvent) => void) | undefined;
  /** Name resolution (tests inject one; default: the system resolver). */
  resolve?: ((host: string) => Promise<readonly string[]>) | undefined;
  /** Where the proxy's private socket directory is made (default: the proxy's own choice, TMPDIR). */
  socketParentDir?: string | undefined;
  /** The verified native tunnel relay, asked for on the first tunnel (absent: tunnels are relayed in process). */
  tunnelRelay?: (() => string | Promise<string>) | undefined;
}

export function managedProxyRuntime(plan: ManagedNetworkPlan, options: ManagedProxyRuntimeOptions): ManagedProxyRuntime {
  let starting: Promise<ManagedProxy> | undefined;
  let closed = false;
  const proxy = (): Promise<ManagedProxy> => {
    if (closed) return Promise.reject(new Error('the managed network proxy of this sandbox was closed'));
    starting ??= startManagedProxy(plan.policy, {
      transport: 'unix',
      upstreamEnv: options.upstreamEnv,
      ...(options.onBlocked !== undefined ? { onBlocked: options.onBlocked } : {}),
      ...(options.resolve !== undefined ? { resolve: options.resolve } : {}),
      ...(options.socketParentDir !== undefined ? { socketParentDir: options.socketParentDir } : {}),
      ...(options.tunnelRelay !== undefined ? { tunnelRelay: { file: options.tunnelRelay } } : {}),
    });
    return starting;
  };
  return {
    async sockets() {
      const running = await proxy();
      const http = running.httpEndpoint.unixSocketPath;
      if (http === undefined) throw new Error('the managed network proxy has no Unix socket');
      return { http, socks: running.socksEndpoint?.unixSocketPath };
    },
    async track(fn) {
      const running = await proxy();
      const blocked: BlockedRequestEvent[] = [];
      const unsubscribe = running.events.subscribe((event) => blocked.push(event));
      try {
        const value = await fn();
        const failure = running.relayFailure;
        return { value, blocked, ...(failure !== undefined ? { failure } : {}) };
      } finally {
        unsubscribe();
      }
    },
    async close() {
      closed = true;
      const running = starting;
      starting = undefined;
      if (running !== undefined) await (await running.catch(() => undefined))?.close();
    },
  };
}
