// The filesystem part of the bwrap argv (L15-L23): the base view, writable roots, read-only
// carve-outs (the policy's, protected metadata, and the front end's own state such as CODEX_HOME),
// deny masks, the self-binds that pin their writable ancestors, and the placeholders bwrap will
// create on the host. Owns the ordering rules and the symlink / placeholder decisions; it only
// reads filesystem metadata (lstat, stat, realpath, readdir of candidate placeholders) and must NOT
// create, change or delete anything, spawn processes, or decide namespaces, network or seccomp
// (bwrap-args.ts does).

import * as fs from 'node:fs';
import * as path from 'node:path';
import { canonicalSpelling, depthOf, isWithin, type WritableRoot } from '@codex-sandbox/policy';
import { BwrapArgsError } from './errors.js';
import { Boundaries, FilesystemArgsBuilder, type LeafMask, type MountedRoot, type SyntheticTarget } from './mount-rules.js';
import {
  hasSymlinkComponent,
  isSameDirectory,
  isStrictlyWithin,
  lstatOrNull,
  requireCleanAbsolute,
  sortByDepth,
  statOrNull,
  writableSymlinkOn,
} from './mount-paths.js';

/** System locations readable when the policy includes platform defaults (`:minimal = read`). */
export const PLATFORM_DEFAULT_READ_ROOTS = [
  '/bin',
  '/sbin',
  '/usr',
  '/etc',
  '/lib',
  '/lib64',
  '/nix/store',
  '/run/current-system/sw',
] as const;

export interface FilesystemArgsInput {
  fullDiskRead: boolean;
  /** Everything writable: the base is `--bind / /` and `/` is the only writable root. */
  fullDiskWrite: boolean;
  includePlatformDefaults: boolean;
  readableRoots: readonly string[];
  writableRoots: readonly WritableRoot[];
  /** Concrete denied paths: explicit unreadable roots plus expanded deny-glob matches. */
  unreadablePaths: readonly string[];
  /** Paths bound read-only after everything else when the command could otherwise write them. */
  extraReadOnlyBinds: readonly string[];
  /**
   * Host paths that must stay read-only whatever the policy says (the front end's own state:
   * CODEX_HOME and the config files it reads), handled like protected metadata: bound read-only
   * when they exist inside a writable root, a read-only placeholder when missing there (so the
   * command cannot create them), at their canonical location. Default none.
   */
  protectedPaths?: readonly string[];
  /** Descriptor of an open /dev/null used for every `--ro-bind-data` and `--file`. */
  emptyDataFd: number;
  /** Where WSL2 exposes Windows interop and a second view of `/`; tests point these elsewhere. */
  wslPaths?: WslPaths;
}

export interface WslPaths {
  /** Interop sockets: through them a sandboxed command could start Windows programs. */
  interopDir: string;
  /** WSLg's view of the distro root: a way around every mount made on the real `/`. */
  distroView: string;
}

const WSL_PATHS: WslPaths = { interopDir: '/run/WSL', distroView: '/mnt/wslg/distro' };

export interface FilesystemArgs {
  args: string[];
  syntheticTargets: SyntheticTarget[];
  /** The deny masks in `args` that another stage could make instead (G11). */
  leafMasks: LeafMask[];
}

/** Builds the filesystem arguments; throws BwrapArgsError when a rule cannot be enforced. */
export function buildFilesystemArgs(input: FilesystemArgsInput): FilesystemArgs {
  const emptyDataFd = String(input.emptyDataFd);
  // Full-disk write is the writable root `/` with nothing carved out of it.
  const allRoots: MountedRoot[] = input.fullDiskWrite
    ? [{ logical: '/', mount: '/', source: { root: '/', readOnlySubpaths: [], protectedMetadataNames: [] } }]
    : mountedWritableRoots(input.writableRoots);
  const remap = (p: string): string => remapUnderSymlinkedRoot(p, allRoots);

  // Every denied path, spelled where it will be mounted.
  const denied = sortByDepth(input.unreadablePaths.map((p) => remap(requireCleanAbsolute(p, 'deny-read path'))).sort()).filter(
    (p) => p !== '/',
  );
  const deniedSet = new Set(denied);
  // A deny on the very path of a grant wins (a deny-glob hit on a writable file, say).
  const roots = allRoots.filter((root) => !deniedSet.has(root.mount) && !deniedSet.has(root.logical));
  const writeMounts = roots.map((root) => root.mount);
  const insideWritable = (p: string): boolean => writeMounts.some((mount) => isWithin(p, mount));
  const deepestRootOf = (p: string): MountedRoot | undefined =>
    roots.filter((root) => isWithin(p, root.mount)).sort((a, b) => depthOf(b.mount) - depthOf(a.mount))[0];

  // Read-only carve-outs inside writable roots (minus those that are denials), owned by the deepest
  // writable root containing them so a nested root never re-exposes them.
  const readOnlyByRoot = new Map<MountedRoot, string[]>();
  const readOnlyPaths: string[] = [];
  for (const root of roots) {
    const subpaths = [
      ...root.source.readOnlySubpaths.map((p) => requireCleanAbsolute(p, 'read-only path')),
      ...root.source.protectedMetadataNames.map((name) => path.posix.join(root.logical, name)),
    ];
    for (const subpath of subpaths.map(remap)) {
      // A carve-out that is itself denied, or is a writable root, is not a read-only carve-out.
      if (deniedSet.has(subpath) || writeMounts.includes(subpath)) continue;
      const owner = deepestRootOf(subpath) ?? root;
      readOnlyByRoot.set(owner, [...(readOnlyByRoot.get(owner) ?? []), subpath]);
      readOnlyPaths.push(subpath);
    }
  }

  // Readable roots outside the writable roots (those inside are read-only carve-outs already).
  const readableRoots = input.readableRoots
    .map((p) => requireCleanAbsolute(p, 'readable root'))
    .filter((p) => p !== '/' && !insideWritable(p) && !deniedSet.has(p));
  const rootReadable = input.fullDiskRead || input.readableRoots.some((p) => requireCleanAbsolute(p, 'readable root') === '/');

  const boundaries = new Boundaries();
  for (const p of writeMounts) boundaries.add(p, 'write');
  for (const p of [...readOnlyPaths, ...readableRoots]) boundaries.add(p, 'read');
  // Shallowest first: a deny whose nearest rule above is another deny is already hidden by that
  // one's mask (and a mask inside a read-only tmpfs could not even be mounted).
  const masked: string[] = [];
  for (const p of denied) {
    if (boundaries.isHidden(p, false)) continue;
    boundaries.add(p, 'deny');
    masked.push(p);
  }
  const reopenedUnder = new Map<string, Array<{ path: string; kind: 'read' | 'write' }>>();
  const reopen = (p: string, kind: 'read' | 'write'): void => {
    const nearest = boundaries.nearest(p);
    if (nearest?.kind !== 'deny') return;
    reopenedUnder.set(nearest.path, [...(reopenedUnder.get(nearest.path) ?? []), { path: p, kind }]);
  };
  for (const p of writeMounts) reopen(p, 'write');
  for (const p of [...readOnlyPaths, ...readableRoots]) reopen(p, 'read');
  const isReopenedRead = (p: string): boolean => boundaries.nearest(p)?.kind === 'deny';

  // Front-end state (item 5) joins the carve-outs of the deepest writable root holding it. Added
  // after the masks are chosen and never reopened: it must never make a denied path readable.
  const protectedPaths = protectedTargets(input.protectedPaths ?? [], remap, roots);
  const looseProtected: string[] = [];
  for (const target of protectedPaths) {
    if (deniedSet.has(target) || boundaries.isHidden(target, false)) continue;
    const owner = deepestRootOf(target);
    // Outside every writable root it is read-only already, unless it is a dangling link into one.
    if (owner === undefined) {
      looseProtected.push(target);
      continue;
    }
    boundaries.add(target, 'read');
    readOnlyByRoot.set(owner, [...(readOnlyByRoot.get(owner) ?? []), target]);
  }

  const builder = new FilesystemArgsBuilder(roots, boundaries, reopenedUnder, emptyDataFd, new Set(protectedPaths));
  const args = builder.args;

  // L15 base view.
  if (writeMounts.includes('/')) {
    // Binding `/` writable after `--dev /dev` would bring the host /dev back: bind first.
    args.push('--bind', '/', '/', '--dev', '/dev', '--bind-try', '/dev/shm', '/dev/shm');
  } else if (rootReadable) {
    args.push('--ro-bind', '/', '/', '--dev', '/dev');
  } else {
    args.push('--tmpfs', '/', '--dev', '/dev');
    const candidates = [...readableRoots, ...(input.includePlatformDefaults ? PLATFORM_DEFAULT_READ_ROOTS : [])];
    for (const readable of sortByDepth(candidates)) {
      // Readable roots below a deny are bound again right after that mask instead.
      if (statOrNull(readable) === null || isReopenedRead(readable) || boundaries.isHidden(readable, false)) continue;
      args.push('--ro-bind', readable, readable);
    }
  }

  // Deny masks go to the deepest writable root containing them; the rest are ancestors of a
  // writable root (masked first, L17) or unrelated to any (masked last).
  const ancestorMasks = masked.filter((p) => deepestRootOf(p) === undefined && writeMounts.some((m) => isStrictlyWithin(m, p)));
  const unrelatedMasks = masked.filter((p) => deepestRootOf(p) === undefined && !ancestorMasks.includes(p));

  for (const p of ancestorMasks) builder.deny(p);

  // L18, shallowest root first so nested roots are bound over their parents' carve-outs.
  for (const root of [...roots].sort((a, b) => depthOf(a.mount) - depthOf(b.mount))) {
    // A nested root's ancestors inside its parent root are pinned too: moving one would carry the
    // nested root's carve-outs (its .git, say) away with it.
    builder.pinAncestors(root.mount);
    builder.reopenUnderMask(root.mount);
    if (root.mount !== '/') args.push('--bind', root.mount, root.mount);
    for (const subpath of sortByDepth(readOnlyByRoot.get(root) ?? [])) {
      // Below a deny, a carve-out is either bound again right after that mask or stays hidden.
      if (boundaries.isHidden(subpath, false) || isReopenedRead(subpath)) continue;
      builder.readOnly(subpath);
    }
    for (const p of masked) if (deepestRootOf(p) === root) builder.deny(p);
  }

  for (const p of unrelatedMasks) builder.deny(p);
  for (const p of looseProtected) builder.readOnly(p);

  // WSL2 (L23): hide the interop sockets and the duplicate view of `/` unless the policy
  // lets the command write everything anyway.
  if (!input.fullDiskWrite) {
    const wsl = input.wslPaths ?? WSL_PATHS;
    for (const candidate of [wsl.interopDir, wsl.distroView]) {
      if (!(lstatOrNull(candidate)?.isDirectory() ?? false) || boundaries.isHidden(candidate, true)) continue;
      if (candidate === wsl.distroView && !isSameDirectory(candidate, '/')) continue;
      builder.deny(candidate);
    }
  }

  for (const extra of input.extraReadOnlyBinds.map((p) => requireCleanAbsolute(p, 'read-only bind'))) {
    if (!builder.isWritable(extra) || boundaries.isHidden(extra, true)) continue;
    if (lstatOrNull(extra) === null) {
      throw new BwrapArgsError(`read-only bind ${extra} does not exist; it must exist before the sandbox is built`);
    }
    builder.pinAncestors(extra);
    args.push('--ro-bind', extra, extra);
    // The bind brings back what the masks above hid below it: mask those again.
    for (const p of masked) if (isStrictlyWithin(p, extra)) builder.deny(p);
  }
  return { args, syntheticTargets: builder.syntheticTargets, leafMasks: builder.leafMasks };
}

/**
 * The canonical spelling of each protected path (deduplicated), where it will be mounted. One that
 * the command could redirect (through a symlink it can write) or that the policy makes a writable
 * root itself cannot be kept read-only: refused.
 */
function protectedTargets(paths: readonly string[], remap: (p: string) => string, roots: readonly MountedRoot[]): string[] {
  const allowedWrite = roots.flatMap((root) => [root.logical, root.mount]);
  const isWritable = (p: string): boolean => allowedWrite.some((root) => isWithin(p, root));
  const out = new Set<string>();
  for (const requested of paths) {
    const spelled = remap(requireCleanAbsolute(requested, 'protected path'));
    const crossed = writableSymlinkOn(spelled, isWritable);
    if (crossed !== null) {
      throw new BwrapArgsError(`cannot enforce sandbox read-only path ${spelled} because it crosses writable symlink ${crossed}`);
    }
    const target = canonicalSpelling(spelled);
    if (roots.some((root) => root.mount === target)) {
      throw new BwrapArgsError(
        `cannot keep ${target} read-only: the policy makes it a writable root, but it holds the sandbox's own configuration; remove that write grant (or run from another directory), or use another CODEX_HOME`,
      );
    }
    out.add(target);
  }
  return [...out];
}

/** Existing writable roots (missing ones, nested or not, are skipped), each with its mount point. */
function mountedWritableRoots(writableRoots: readonly WritableRoot[]): MountedRoot[] {
  const seen = new Set<string>();
  const out: MountedRoot[] = [];
  for (const source of writableRoots) {
    const logical = requireCleanAbsolute(source.root, 'writable root');
    if (statOrNull(logical) === null) continue;
    const mount = hasSymlinkComponent(logical) ? fs.realpathSync.native(logical) : logical;
    if (seen.has(mount)) continue;
    seen.add(mount);
    out.push({ logical, mount, source });
  }
  return out;
}

/** A path spelled through a symlinked writable root is rewritten under the root's real location. */
function remapUnderSymlinkedRoot(p: string, roots: readonly MountedRoot[]): string {
  let best: MountedRoot | undefined;
  for (const root of roots) {
    if (root.logical === root.mount || !isWithin(p, root.logical)) continue;
    if (best === undefined || depthOf(root.logical) > depthOf(best.logical)) best = root;
  }
  return best === undefined ? p : best.mount + p.slice(best.logical.length);
}
