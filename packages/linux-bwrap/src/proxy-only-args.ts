// The proxy-only part of a bwrap argv (N8, N12-N14): where the inner helper (codex-netns-helper)
// and the proxy's Unix sockets appear inside the sandbox, and the command line that puts the
// helper in front of the command. The helper, not bwrap, installs the `proxy-routed` seccomp
// program, on the command only (the bridge it runs needs AF_UNIX sockets). Pure: must NOT open
// descriptors, read the filesystem or build seccomp programs.

import * as path from 'node:path';
import { BwrapArgsError } from './errors.js';
import { unixSocketMounts, type UnixSocketPlan } from './unix-socket-plan.js';

/** One way out of a proxy-only sandbox: 127.0.0.1:`listenPort` inside, bridged to `socketPath` on the host. */
export interface ProxyRoute {
  /** Port of the listener inside the command's network namespace (1-65535). */
  listenPort: number;
  /** Absolute host path of the Unix socket (the managed proxy's) the listener forwards to. */
  socketPath: string;
  /**
   * The caller holds this socket's listener open for the whole run (a front end's own managed
   * proxy): the helper does not probe it before starting the command. Absent: it connects once and
   * refuses the run when nobody listens (a proxy that died, a stale socket file).
   */
  heldOpen?: boolean;
}

/** Where the helper and the bound sockets live inside the sandbox: bwrap's private /dev tmpfs. */
export const NETNS_DIR_IN_SANDBOX = '/dev/.codex-netns';
const NETNS_HELPER_IN_SANDBOX = `${NETNS_DIR_IN_SANDBOX}/helper`;

export interface ProxyOnlyOptions {
  routes: readonly ProxyRoute[];
  /** Descriptor holding the helper's bytes (copied by bwrap into a read-only 0555 file). */
  helperFd: number;
  /** Descriptor holding the encoded NetnsHelperSpec (inherited by the helper, which reads and closes it). */
  specFd: number;
  /** The Unix sockets of the run (N15-N17); default none. */
  unixSockets?: UnixSocketPlan;
}

export interface ProxyOnlyArgs {
  /** bwrap options; they must come after the filesystem options (they mount below `--dev /dev`). */
  mounts: string[];
  /** The command line bwrap executes instead of the command. */
  command: string[];
  /** The routes as the helper sees them (socket paths inside the sandbox). */
  sandboxRoutes: ProxyRoute[];
}

/** The path inside the sandbox where route `index`'s socket is bound. */
function routeSocketInSandbox(index: number): string {
  return `${NETNS_DIR_IN_SANDBOX}/route-${index}.sock`;
}

/** Refuses routes the helper could not honour (no route at all, a bad or repeated port, a relative path). */
export function checkProxyRoutes(routes: readonly ProxyRoute[] | undefined): readonly ProxyRoute[] {
  if (routes === undefined || routes.length === 0) {
    throw new BwrapArgsError('proxy-only network needs at least one proxy route (a loopback port bridged to the proxy\'s Unix socket); nothing would be reachable');
  }
  const ports = new Set<number>();
  for (const route of routes) {
    if (!Number.isInteger(route.listenPort) || route.listenPort < 1 || route.listenPort > 65535) {
      throw new BwrapArgsError(`proxy route port ${route.listenPort} is not usable; allowed: 1-65535`);
    }
    if (ports.has(route.listenPort)) throw new BwrapArgsError(`proxy route port ${route.listenPort} is given twice; each route needs its own port`);
    ports.add(route.listenPort);
    if (!path.isAbsolute(route.socketPath) || path.normalize(route.socketPath) !== route.socketPath) {
      throw new BwrapArgsError(`proxy route socket ${route.socketPath} must be an absolute, normalised path`);
    }
  }
  return routes;
}

export function buildProxyOnlyArgs(command: readonly string[], opts: ProxyOnlyOptions): ProxyOnlyArgs {
  const routes = checkProxyRoutes(opts.routes);
  const mounts = ['--perms', '0555', '--ro-bind-data', String(opts.helperFd), NETNS_HELPER_IN_SANDBOX];
  const sandboxRoutes = routes.map((route, index) => {
    const inside = routeSocketInSandbox(index);
    // Read-only is enough to connect(2); the command cannot use it anyway (no AF_UNIX sockets).
    mounts.push('--ro-bind', route.socketPath, inside);
    return { listenPort: route.listenPort, socketPath: inside, ...(route.heldOpen === true ? { heldOpen: true } : {}) };
  });
  // Only the helper connects there (N16); the command names the socket by its host path.
  if (opts.unixSockets !== undefined) mounts.push(...unixSocketMounts(opts.unixSockets));
  return {
    mounts,
    command: [NETNS_HELPER_IN_SANDBOX, '--spec-fd', String(opts.specFd), '--', ...command],
    sandboxRoutes,
  };
}
