// The filesystem part of the bwrap argv (L15-L23): the base view, writable roots, read-only
// carve-outs (the policy's, protected metadata, and the front end's own state such as CODEX_HOME),
// deny masks, the self-binds that pin their writable ancestors, and the placeholders bwrap will
// create on the host. Owns the ordering rules and the symlink / placeholder decisions; it only
// reads filesystem metadata (lstat, stat, realpath, readdir of candidate placeholders) and must NOT
// create, change or delete anything, spawn processes, or decide namespaces, network or seccomp
// (bwrap-args.ts does).

import * as fs from 'node:fs';
import * as path from 'node:path';
import { PROTECTED_METADATA_NAMES, type WritableRoot } from '@codex-sandbox/policy';
import { BwrapArgsError } from './errors.js';
import { AncestorPins } from './mount-guards.js';

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

/** A mount target bwrap creates on the host (or an existing empty placeholder it reuses). */
export interface SyntheticTarget {
  path: string;
  kind: 'file' | 'dir';
  /** True when the empty placeholder already existed (left by a concurrent or killed run). */
  preexisting: boolean;
}

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

export const WSL_PATHS: WslPaths = { interopDir: '/run/WSL', distroView: '/mnt/wslg/distro' };

export interface FilesystemArgs {
  args: string[];
  syntheticTargets: SyntheticTarget[];
}

const PROTECTED_NAMES: ReadonlySet<string> = new Set(PROTECTED_METADATA_NAMES);

export function isWithin(candidate: string, ancestor: string): boolean {
  if (ancestor === '/') return true;
  return candidate === ancestor || candidate.startsWith(`${ancestor}/`);
}

function isStrictlyWithin(candidate: string, ancestor: string): boolean {
  return candidate !== ancestor && isWithin(candidate, ancestor);
}

function depthOf(p: string): number {
  return p.split('/').filter((part) => part !== '').length;
}

/** Shallowest first, unique; stable, so equal depths keep the caller's (policy's) order. */
export function sortByDepth(paths: Iterable<string>): string[] {
  return [...new Set(paths)].sort((a, b) => depthOf(a) - depthOf(b));
}

/** `/a/b/c` -> `/a`, `/a/b`, `/a/b/c`. */
function prefixesOf(p: string): string[] {
  const parts = p.split('/').filter((part) => part !== '');
  return parts.map((_, index) => `/${parts.slice(0, index + 1).join('/')}`);
}

// throwIfNoEntry: a missing path is the common answer here, and an exception per miss is costly.
function lstatOrNull(p: string): fs.Stats | null {
  try {
    return fs.lstatSync(p, { throwIfNoEntry: false }) ?? null;
  } catch {
    return null;
  }
}

function statOrNull(p: string): fs.Stats | null {
  try {
    return fs.statSync(p, { throwIfNoEntry: false }) ?? null;
  } catch {
    return null;
  }
}

function normalizeAbsolute(p: string, what: string): string {
  if (!path.isAbsolute(p)) throw new BwrapArgsError(`${what} ${p} is not an absolute path; the resolved policy must contain absolute paths only`);
  // As text `a/lnk/..` is `a`, but the kernel goes to the parent of lnk's target: never guess.
  if (p.split('/').includes('..')) {
    throw new BwrapArgsError(`${what} ${p} has a .. component; the resolved policy must spell paths without them (resolveSandboxPolicy resolves them as the kernel does)`);
  }
  const normalized = path.posix.normalize(p);
  return normalized.length > 1 && normalized.endsWith('/') ? normalized.slice(0, -1) : normalized;
}

function hasSymlinkComponent(p: string): boolean {
  for (const prefix of prefixesOf(p)) {
    const stat = lstatOrNull(prefix);
    if (stat === null) return false;
    if (stat.isSymbolicLink()) return true;
  }
  return false;
}

type PathState =
  /** `stat` follows a final symlink; `dangling` is set when that symlink points nowhere. */
  | { kind: 'exists'; stat: fs.Stats; danglingTarget?: string }
  /** `first` is the first missing component; bwrap would create it. */
  | { kind: 'missing'; first: string }
  /** An existing non-directory (or dangling link) sits above the path, so it cannot exist as spelled. */
  | { kind: 'blocked'; by: string };

function pathState(p: string): PathState {
  const prefixes = prefixesOf(p);
  for (let index = 0; index < prefixes.length; index++) {
    const prefix = prefixes[index] as string;
    const link = lstatOrNull(prefix);
    if (link === null) return { kind: 'missing', first: prefix };
    const stat = statOrNull(prefix);
    if (index === prefixes.length - 1) {
      if (stat !== null) return { kind: 'exists', stat };
      if (!link.isSymbolicLink()) {
        // Gone between the two looks (a concurrent run removed its placeholder): missing now.
        return { kind: 'missing', first: prefix };
      }
      let target: string;
      try {
        target = fs.readlinkSync(prefix);
      } catch {
        return { kind: 'missing', first: prefix };
      }
      return { kind: 'exists', stat: link, danglingTarget: path.posix.resolve(path.posix.dirname(prefix), target) };
    }
    if (stat === null || !stat.isDirectory()) return { kind: 'blocked', by: prefix };
  }
  return { kind: 'exists', stat: fs.statSync('/') };
}

/**
 * The spelling the kernel will mount on: symlinks in the existing part resolved (bwrap follows
 * them anyway), so "is it inside a writable root" is decided on the real location.
 */
function canonicalSpelling(p: string): string {
  const prefixes = prefixesOf(p);
  for (let index = prefixes.length - 1; index >= 0; index--) {
    const prefix = prefixes[index] as string;
    try {
      const real = fs.realpathSync.native(prefix);
      return real === '/' ? p.slice(prefix.length) || '/' : real + p.slice(prefix.length);
    } catch {
      // Keep walking up to the deepest existing prefix.
    }
  }
  return p;
}

const MAX_SYMLINK_HOPS = 40;

/**
 * Whether an existing protected path is an empty placeholder (a file or directory a sandbox run's
 * bwrap created as a mount point): those get the same stand-in as a missing path. A directory that
 * vanished since it was stat'ed was one too: another run removed its placeholder, and bwrap will
 * create the mount point again. Binding it as a real directory would fail ("Can't find source").
 */
export function isEmptyPlaceholder(p: string, stat: fs.Stats): 'file' | 'dir' | null {
  if (stat.isFile() && stat.size === 0) return 'file';
  if (stat.isDirectory()) {
    try {
      return fs.readdirSync(p).length === 0 ? 'dir' : null;
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'dir' : null;
    }
  }
  return null;
}

interface MountedRoot {
  /** The root as the policy spells it. */
  logical: string;
  /** Where it is bound: its canonical target when any component is a symlink. */
  mount: string;
  source: WritableRoot;
}

/**
 * Every path a rule is attached to, with what the rule does there. The rule nearest above a path
 * decides what the sandbox shows at it (most specific wins, P19): under a deny nothing is visible
 * until a deeper read or write grant reopens it.
 */
type BoundaryKind = 'deny' | 'read' | 'write';

class Boundaries {
  private readonly entries: Array<{ path: string; kind: BoundaryKind }> = [];

  add(p: string, kind: BoundaryKind): void {
    this.entries.push({ path: p, kind });
  }

  /** The deepest rule strictly above `p` (or at `p` too when `inclusive`). */
  nearest(p: string, inclusive = false): { path: string; kind: BoundaryKind } | undefined {
    let best: { path: string; kind: BoundaryKind } | undefined;
    for (const entry of this.entries) {
      const covers = inclusive ? isWithin(p, entry.path) : isStrictlyWithin(p, entry.path);
      if (covers && (best === undefined || depthOf(entry.path) > depthOf(best.path))) best = entry;
    }
    return best;
  }

  /** Hidden: the nearest rule above (or at, when inclusive) is a deny. */
  isHidden(p: string, inclusive: boolean): boolean {
    return this.nearest(p, inclusive)?.kind === 'deny';
  }

  /** A rule sits exactly at `p` (so `p` gets a mount of its own). */
  has(p: string): boolean {
    return this.entries.some((entry) => entry.path === p);
  }
}

/** Subtrees a self-bind must never cover: bwrap's private /dev and the /proc it mounts later. */
const NEVER_PINNED = ['/dev', '/proc'] as const;

/** The first component of `p` that is a symlink inside a place the command can write, if any. */
function writableSymlinkOn(p: string, isWritable: (candidate: string) => boolean): string | null {
  for (const prefix of prefixesOf(p)) {
    const stat = lstatOrNull(prefix);
    if (stat === null) return null;
    if (stat.isSymbolicLink() && isWritable(prefix)) return prefix;
  }
  return null;
}

/** Collects the argv and the host-side targets while the rules below run. */
class FilesystemArgsBuilder {
  readonly args: string[] = [];
  readonly syntheticTargets: SyntheticTarget[] = [];
  private readonly allowedWrite: string[];
  private readonly writeMounts: string[];
  /** Read-only mounts made so far inside writable roots: nothing can be created below them. */
  private readonly readOnlyMounts: string[] = [];
  /** Host paths given a placeholder mount point so far: one mount per path (item 10). */
  private readonly placeholders = new Set<string>();
  private readonly pins: AncestorPins;

  constructor(
    roots: readonly MountedRoot[],
    private readonly boundaries: Boundaries,
    /** Grants (read or write) that must stay reachable below each deny, keyed by that deny. */
    private readonly reopenedUnder: ReadonlyMap<string, ReadonlyArray<{ path: string; kind: 'read' | 'write' }>>,
    private readonly emptyDataFd: string,
    /** Canonical protected paths (front-end state): placeholders like protected metadata names. */
    private readonly protectedPaths: ReadonlySet<string>,
  ) {
    this.allowedWrite = [...new Set(roots.flatMap((root) => [root.logical, root.mount]))];
    this.writeMounts = roots.map((root) => root.mount);
    this.pins = new AncestorPins((dir) => this.needsPin(dir));
  }

  isWritable(p: string): boolean {
    return this.allowedWrite.some((root) => isWithin(p, root));
  }

  /** Gets a missing path an empty read-only directory (not a file) as its placeholder. */
  private isProtected(p: string): boolean {
    return PROTECTED_NAMES.has(path.posix.basename(p)) || this.protectedPaths.has(p);
  }

  /**
   * A directory the command could rename or replace: writable in the sandbox (the nearest rule
   * above it is a write grant, no read-only mount of ours covers it), not already a mount point of
   * ours (a rule sits exactly there), and a real directory now.
   */
  private needsPin(dir: string): boolean {
    if (NEVER_PINNED.some((subtree) => isWithin(dir, subtree))) return false;
    if (this.boundaries.has(dir) || this.boundaries.nearest(dir)?.kind !== 'write') return false;
    if (this.isUnderReadOnlyMount(dir)) return false;
    const stat = lstatOrNull(dir);
    return stat !== null && stat.isDirectory();
  }

  /**
   * Item 8: makes each writable directory between a writable root and `target` a mount point
   * before `target` is mounted (a self-bind of it made later would hide what is mounted below).
   */
  pinAncestors(target: string): void {
    for (const dir of this.pins.take(target)) this.args.push('--bind', dir, dir);
  }

  /** True when `p` lies under a read-only mount we made, with no writable root rebound in between. */
  private isUnderReadOnlyMount(p: string): boolean {
    return this.readOnlyMounts.some(
      (mount) => isWithin(p, mount) && !this.writeMounts.some((w) => isStrictlyWithin(w, mount) && isWithin(p, w)),
    );
  }

  // A placeholder already made for another carve-out below the same missing path covers this one
  // too: nothing below an empty read-only file or directory can be created.
  private placeholderFile(target: string, preexisting: boolean): void {
    if (this.placeholders.has(target)) return;
    this.placeholders.add(target);
    this.pinAncestors(target);
    this.args.push('--ro-bind-data', this.emptyDataFd, target);
    this.syntheticTargets.push({ path: target, kind: 'file', preexisting });
  }

  private placeholderDir(target: string, preexisting: boolean): void {
    if (this.placeholders.has(target)) return;
    this.placeholders.add(target);
    this.pinAncestors(target);
    this.args.push('--perms', '555', '--tmpfs', target, '--remount-ro', target);
    this.readOnlyMounts.push(target);
    this.syntheticTargets.push({ path: target, kind: 'dir', preexisting });
  }

  /** Refuses a path the command could redirect; returns the spelling to mount on. */
  private resolveForMount(p: string, what: 'read-only' | 'deny-read'): string {
    const crossed = writableSymlinkOn(p, (candidate) => this.isWritable(candidate));
    if (crossed !== null) {
      throw new BwrapArgsError(`cannot enforce sandbox ${what} path ${p} because it crosses writable symlink ${crossed}`);
    }
    return canonicalSpelling(p);
  }

  /** L20: keep S read-only inside a writable root, creating an empty read-only stand-in if missing. */
  readOnly(requested: string, hops = 0): void {
    const subpath = this.resolveForMount(requested, 'read-only');
    const state = pathState(subpath);
    if (state.kind === 'blocked') {
      this.coverBlocked(subpath, state.by, 'read-only');
      return;
    }
    if (state.kind === 'missing') {
      // Outside the writable roots, or below a read-only mount, the command cannot create it.
      if (!this.isWritable(state.first) || this.isUnderReadOnlyMount(state.first)) return;
      if (this.isProtected(state.first)) this.placeholderDir(state.first, false);
      else this.placeholderFile(state.first, false);
      return;
    }
    if (state.danglingTarget !== undefined) {
      // A link outside the writable roots into one: protect the place it names.
      if (hops < MAX_SYMLINK_HOPS) this.readOnly(state.danglingTarget, hops + 1);
      return;
    }
    if (!this.isWritable(subpath)) return;
    if (this.isProtected(subpath)) {
      const placeholder = isEmptyPlaceholder(subpath, state.stat);
      if (placeholder === 'dir') return this.placeholderDir(subpath, true);
      if (placeholder === 'file') return this.placeholderFile(subpath, true);
    }
    if (this.isUnderReadOnlyMount(subpath)) return;
    this.pinAncestors(subpath);
    this.args.push('--ro-bind', subpath, subpath);
    this.readOnlyMounts.push(subpath);
  }

  /**
   * L21: hide U behind an empty, unreadable stand-in. Grants below it stay reachable: the mask
   * is traversable (111), their directories (and file mount points) are made before it turns
   * read-only, and read grants are bound again right after it (write grants are bound with their
   * writable root).
   */
  deny(requested: string, hops = 0): void {
    const denied = this.resolveForMount(requested, 'deny-read');
    const state = pathState(denied);
    if (state.kind === 'blocked') {
      this.coverBlocked(denied, state.by, 'deny-read');
      return;
    }
    if (state.kind === 'missing') {
      if (this.isWritable(state.first) && !this.isUnderReadOnlyMount(state.first)) this.placeholderFile(state.first, false);
      return;
    }
    if (state.danglingTarget !== undefined) {
      if (hops < MAX_SYMLINK_HOPS) this.deny(state.danglingTarget, hops + 1);
      return;
    }
    this.pinAncestors(denied);
    if (!state.stat.isDirectory()) {
      this.args.push('--perms', '000', '--ro-bind-data', this.emptyDataFd, denied);
      return;
    }
    const reopened = (this.reopenedUnder.get(requested) ?? []).filter((grant) => statOrNull(grant.path) !== null);
    this.args.push('--perms', reopened.length > 0 ? '111' : '000', '--tmpfs', denied);
    const directories: string[] = [];
    const files: string[] = [];
    for (const grant of reopened) {
      const isDirectory = statOrNull(grant.path)?.isDirectory() ?? false;
      const leaf = isDirectory ? grant.path : path.posix.dirname(grant.path);
      for (const prefix of prefixesOf(leaf)) if (isStrictlyWithin(prefix, denied)) directories.push(prefix);
      if (!isDirectory) files.push(grant.path);
    }
    for (const dir of sortByDepth(directories)) this.args.push('--dir', dir);
    // A file mount point cannot be created once the mask is read-only; make it now.
    for (const file of sortByDepth(files)) this.args.push('--file', this.emptyDataFd, file);
    this.args.push('--remount-ro', denied);
    for (const grant of sortByDepth(reopened.filter((g) => g.kind === 'read').map((g) => g.path))) {
      const target = this.resolveForMount(grant, 'read-only');
      this.args.push('--ro-bind', target, target);
      if (this.isWritable(target)) this.readOnlyMounts.push(target);
    }
  }

  /**
   * A path below an existing non-directory cannot exist, but the command could replace that file
   * with a directory and create it unless the file is itself a mount point we control. An empty
   * file is taken as a placeholder (it usually is one: a concurrent run's, for another carve-out
   * below the same missing directory) and kept read-only like one; anything else is refused.
   */
  private coverBlocked(target: string, blocker: string, what: string): void {
    if (!this.isWritable(blocker) || this.writeMounts.includes(blocker)) return;
    if (this.placeholders.has(blocker) || this.isUnderReadOnlyMount(blocker)) return;
    const stat = lstatOrNull(blocker);
    if (stat !== null && stat.isFile() && stat.size === 0) {
      this.placeholderFile(blocker, true);
      return;
    }
    throw new BwrapArgsError(
      `cannot enforce sandbox ${what} path ${target} because ${blocker} is a writable non-directory above it; remove that entry or make ${blocker} a directory`,
    );
  }

  /** `--dir` for each directory from just below the mask that hides it down to the root. */
  reopenUnderMask(mount: string): void {
    const nearest = this.boundaries.nearest(mount);
    if (nearest?.kind !== 'deny') return;
    const isDirectory = statOrNull(mount)?.isDirectory() ?? false;
    const leaf = isDirectory ? mount : path.posix.dirname(mount);
    for (const prefix of prefixesOf(leaf)) if (isStrictlyWithin(prefix, nearest.path)) this.args.push('--dir', prefix);
  }
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
  const denied = sortByDepth(input.unreadablePaths.map((p) => remap(normalizeAbsolute(p, 'deny-read path'))).sort()).filter(
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
      ...root.source.readOnlySubpaths.map((p) => normalizeAbsolute(p, 'read-only path')),
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
    .map((p) => normalizeAbsolute(p, 'readable root'))
    .filter((p) => p !== '/' && !insideWritable(p) && !deniedSet.has(p));
  const rootReadable = input.fullDiskRead || input.readableRoots.some((p) => normalizeAbsolute(p, 'readable root') === '/');

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

  for (const extra of input.extraReadOnlyBinds.map((p) => normalizeAbsolute(p, 'read-only bind'))) {
    if (!builder.isWritable(extra) || boundaries.isHidden(extra, true)) continue;
    if (lstatOrNull(extra) === null) {
      throw new BwrapArgsError(`read-only bind ${extra} does not exist; it must exist before the sandbox is built`);
    }
    builder.pinAncestors(extra);
    args.push('--ro-bind', extra, extra);
  }
  return { args, syntheticTargets: builder.syntheticTargets };
}

function isSameDirectory(a: string, b: string): boolean {
  const first = statOrNull(a);
  const second = statOrNull(b);
  return first !== null && second !== null && first.dev === second.dev && first.ino === second.ino;
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
    const spelled = remap(normalizeAbsolute(requested, 'protected path'));
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
    const logical = normalizeAbsolute(source.root, 'writable root');
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
