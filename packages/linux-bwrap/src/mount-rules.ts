// The mount rules of the filesystem argv, applied one target at a time: which rule covers a path
// (Boundaries: the most specific wins), and the builder that emits each read-only carve-out, deny
// mask, placeholder and ancestor pin in a safe form (refusing what the command could redirect).
// Reads metadata only; must NOT decide which targets exist or their order (filesystem-args.ts
// plans that) and must NOT create, change or delete anything.

import * as path from 'node:path';
import { canonicalSpelling, isWithin, PROTECTED_METADATA_NAMES, type WritableRoot } from '@codex-sandbox/policy';
import { BwrapArgsError } from './errors.js';
import { AncestorPins } from './mount-guards.js';
import { isEmptyPlaceholder, isStrictlyWithin, lstatOrNull, pathState, prefixesOf, sortByDepth, statOrNull, writableSymlinkOn, type PathState } from './mount-paths.js';

/** A mount target bwrap creates on the host (or an existing empty placeholder it reuses). */
export interface SyntheticTarget {
  path: string;
  kind: 'file' | 'dir';
  /** True when the empty placeholder already existed (left by a concurrent or killed run). */
  preexisting: boolean;
}

export interface MountedRoot {
  /** The root as the policy spells it. */
  logical: string;
  /** Where it is bound: its canonical target when any component is a symlink. */
  mount: string;
  source: WritableRoot;
}

const PROTECTED_NAMES: ReadonlySet<string> = new Set(PROTECTED_METADATA_NAMES);

const MAX_SYMLINK_HOPS = 40;

/** Subtrees a self-bind must never cover: bwrap's private /dev and the /proc it mounts later. */
const NEVER_PINNED = ['/dev', '/proc'] as const;

/**
 * Every path a rule is attached to, with what the rule does there. The rule nearest above a path
 * decides what the sandbox shows at it (most specific wins, P19): under a deny nothing is visible
 * until a deeper read or write grant reopens it.
 */
type BoundaryKind = 'deny' | 'read' | 'write';

export class Boundaries {
  /** The first rule added at each path, keyed without a trailing slash (as isWithin reads it). */
  private readonly byPath = new Map<string, { path: string; kind: BoundaryKind }>();
  /** Every path a rule was added at, exactly as spelled. */
  private readonly spelled = new Set<string>();

  add(p: string, kind: BoundaryKind): void {
    this.spelled.add(p);
    const key = p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p;
    // At equal depth the first rule added wins (the policy's order).
    if (!this.byPath.has(key)) this.byPath.set(key, { path: p, kind });
  }

  /**
   * The deepest rule strictly above `p` (or at `p` too when `inclusive`): `p`'s own ancestors are
   * looked up, deepest first, so the cost is `p`'s depth, not the number of rules (a deny glob can
   * add thousands, and this is asked for every ancestor of every mount target).
   */
  nearest(p: string, inclusive = false): { path: string; kind: BoundaryKind } | undefined {
    if (inclusive) {
      const at = this.byPath.get(p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p);
      if (at !== undefined) return at;
    }
    for (let slash = p.lastIndexOf('/'); slash >= 0; slash = slash === 0 ? -1 : p.lastIndexOf('/', slash - 1)) {
      const ancestor = slash === 0 ? '/' : p.slice(0, slash);
      if (ancestor === p) continue;
      const found = this.byPath.get(ancestor);
      if (found !== undefined) return found;
    }
    return undefined;
  }

  /** Hidden: the nearest rule above (or at, when inclusive) is a deny. */
  isHidden(p: string, inclusive: boolean): boolean {
    return this.nearest(p, inclusive)?.kind === 'deny';
  }

  /** A rule sits exactly at `p` (so `p` gets a mount of its own). */
  has(p: string): boolean {
    return this.spelled.has(p);
  }
}

/**
 * A deny mask of an existing path that nothing is mounted into or reopened below: an empty
 * mode-000 read-only file, or an empty mode-000 read-only tmpfs. Its arguments are the
 * `length` tokens from `start` in the argv; codex-mask-helper can make it instead (G11).
 */
export interface LeafMask {
  path: string;
  kind: 'file' | 'dir';
  start: number;
  length: number;
}

/** Collects the argv and the host-side targets while the rules below run. */
export class FilesystemArgsBuilder {
  readonly args: string[] = [];
  readonly syntheticTargets: SyntheticTarget[] = [];
  readonly leafMasks: LeafMask[] = [];
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

  /** The spelling to mount on and what is there now; undefined once a blocked path is covered. */
  private mountTarget(requested: string, what: 'read-only' | 'deny-read'): { target: string; state: Exclude<PathState, { kind: 'blocked' }> } | undefined {
    const target = this.resolveForMount(requested, what);
    const state = pathState(target);
    if (state.kind !== 'blocked') return { target, state };
    this.coverBlocked(target, state.by, what);
    return undefined;
  }

  /** L20: keep S read-only inside a writable root, creating an empty read-only stand-in if missing. */
  readOnly(requested: string, hops = 0): void {
    const found = this.mountTarget(requested, 'read-only');
    if (found === undefined) return;
    const { target: subpath, state } = found;
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
    const found = this.mountTarget(requested, 'deny-read');
    if (found === undefined) return;
    const { target: denied, state } = found;
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
      this.leafMask(denied, 'file', ['--perms', '000', '--ro-bind-data', this.emptyDataFd, denied]);
      return;
    }
    const reopened = (this.reopenedUnder.get(requested) ?? []).filter((grant) => statOrNull(grant.path) !== null);
    if (reopened.length === 0) {
      this.leafMask(denied, 'dir', ['--perms', '000', '--tmpfs', denied, '--remount-ro', denied]);
      return;
    }
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

  private leafMask(p: string, kind: LeafMask['kind'], tokens: readonly string[]): void {
    this.leafMasks.push({ path: p, kind, start: this.args.length, length: tokens.length });
    this.args.push(...tokens);
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
