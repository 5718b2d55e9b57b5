// The Unix-socket part of a proxy-only run (N15-N17): which host sockets the command may connect
// to and where each is bound for codex-netns-helper's connect supervisor, or, for
// `dangerously_allow_all_unix_sockets`, which directories are hidden so that the command cannot
// reach other runs' proxies. Decides from the request and filesystem metadata (realpath, lstat)
// only: must NOT open, bind or connect sockets, and must NOT decide the seccomp program itself.

import * as fs from 'node:fs';
import * as path from 'node:path';

import { SandboxRequestError } from './runtime-errors.js';
import type { UnixSocketFilter } from './seccomp.js';

/** What the caller asks for Unix sockets in a proxy-only run. */
export type UnixSocketRequest =
  /**
   * Exactly these host sockets (absolute paths), nothing else; an empty list: none (N13 as without
   * it). A `deny` entry naming the same socket (as written or canonical) wins: it is not allowed.
   */
  | { allowAll: false; allow: readonly string[]; deny?: readonly string[] }
  /**
   * Any Unix socket the command can see (`dangerously_allow_all_unix_sockets`); `hiddenDirectories`
   * (the managed proxies' socket directories) are masked so it cannot reach another run's proxy.
   */
  | { allowAll: true; hiddenDirectories: readonly string[] };

/** One allowed host socket: the names the command may use, and where the helper has it. */
export interface PlannedUnixSocket {
  /** As written, then the canonical path when it differs. */
  names: string[];
  /** Canonical host path (bound into the sandbox). */
  hostPath: string;
  /** Where bwrap binds it inside the sandbox (only the helper uses this path). */
  socketInSandbox: string;
}

export type UnixSocketPlan =
  | { kind: 'none' }
  | { kind: 'allowlist'; sockets: PlannedUnixSocket[] }
  | { kind: 'all'; hiddenDirectories: string[] };

/** sockaddr_un.sun_path holds 108 bytes including the terminating NUL. */
const MAX_SOCKET_PATH_BYTES = 107;
/** The helper's limits (netns_helper.c). */
const MAX_SOCKETS = 64;

function inSandbox(dir: string, index: number): string {
  return `${dir}/unix-${index}.sock`;
}

function refuse(what: string, why: string): never {
  throw new SandboxRequestError(`Unix socket ${what} cannot be allowed: ${why}`);
}

/** The socket behind `written` now: its canonical path (the socket itself must exist). */
function resolveSocket(written: string): string {
  if (!path.isAbsolute(written) || path.normalize(written) !== written || written.includes('\0')) {
    refuse(JSON.stringify(written), 'the path must be absolute and normalised (no `.`, `..`, `//` or trailing `/`)');
  }
  if (Buffer.byteLength(written) > MAX_SOCKET_PATH_BYTES) refuse(written, `the path is longer than ${MAX_SOCKET_PATH_BYTES} bytes, so no program can connect to it by name`);
  let real: string;
  try {
    real = fs.realpathSync.native(written);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    refuse(written, `${code === 'ENOENT' ? 'it does not exist' : code} (the socket must exist when the run starts: it is bound into the sandbox then)`);
  }
  const stat = fs.lstatSync(real);
  if (!stat.isSocket()) refuse(written, `${real === written ? 'it' : real} is not a socket (a directory or file cannot be allowed: name each socket)`);
  return real;
}

/**
 * The plan: absent or empty allowlist -> none; otherwise each socket resolved now and bound at
 * `<dir>/unix-N.sock` (several names for one socket share one bind).
 */
export function planUnixSockets(request: UnixSocketRequest | undefined, dir: string): UnixSocketPlan {
  if (request === undefined) return { kind: 'none' };
  if (request.allowAll) {
    for (const hidden of request.hiddenDirectories) {
      if (!path.isAbsolute(hidden) || path.normalize(hidden) !== hidden) throw new SandboxRequestError(`hidden socket directory ${hidden} must be an absolute, normalised path`);
    }
    return { kind: 'all', hiddenDirectories: [...new Set(request.hiddenDirectories)] };
  }
  const denied = new Set<string>();
  for (const entry of request.deny ?? []) {
    denied.add(entry);
    try {
      denied.add(fs.realpathSync.native(entry));
    } catch {
      // A denied path that does not exist denies nothing else.
    }
  }
  const byReal = new Map<string, PlannedUnixSocket>();
  for (const written of request.allow) {
    if (denied.has(written)) continue;
    const real = resolveSocket(written);
    if (denied.has(real)) continue;
    let planned = byReal.get(real);
    if (planned === undefined) {
      if (byReal.size === MAX_SOCKETS) refuse(written, `at most ${MAX_SOCKETS} sockets can be allowed`);
      planned = { names: [], hostPath: real, socketInSandbox: inSandbox(dir, byReal.size) };
      byReal.set(real, planned);
    }
    for (const name of [written, real]) if (!planned.names.includes(name)) planned.names.push(name);
  }
  return byReal.size === 0 ? { kind: 'none' } : { kind: 'allowlist', sockets: [...byReal.values()] };
}

/** The seccomp rule the plan needs (undefined: no AF_UNIX socket at all). */
export function unixSocketFilter(plan: UnixSocketPlan): UnixSocketFilter | undefined {
  return plan.kind === 'all' ? 'all' : plan.kind === 'allowlist' ? 'supervised' : undefined;
}

/** bwrap options that bind the allowed sockets; they come after the filesystem options (below `--dev /dev`). */
export function unixSocketMounts(plan: UnixSocketPlan): string[] {
  return plan.kind === 'allowlist' ? plan.sockets.flatMap((s) => ['--ro-bind', s.hostPath, s.socketInSandbox]) : [];
}

/** Directories the filesystem part masks like denied paths (allow-all: the proxies' sockets). */
export function unixSocketHiddenPaths(plan: UnixSocketPlan | undefined): string[] {
  return plan?.kind === 'all' ? plan.hiddenDirectories : [];
}

/** The dry run's rows. */
export function describeUnixSocketPlan(plan: UnixSocketPlan): string[] {
  switch (plan.kind) {
    case 'none':
      return ['none: the command cannot create AF_UNIX sockets (socketpair only)'];
    case 'all':
      return [
        'all (dangerously_allow_all_unix_sockets): any socket the command can see',
        ...plan.hiddenDirectories.map((dir) => `hidden: ${dir} (the managed proxies' sockets)`),
      ];
    case 'allowlist':
      return [
        'allowlist: every connect(2) is decided by the helper; other socket paths get EACCES, datagram AF_UNIX sockets EPERM',
        ...plan.sockets.map((s) => `allowed: ${s.names.join(' = ')}`),
      ];
  }
}
