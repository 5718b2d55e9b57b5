// Answers "what may this path do" for one profile and context (P19, P20, P24, P26, P27):
// the most specific entry, then protected metadata and read-only subpaths of writable roots, then
// deny globs (as patterns, or as the concrete paths a backend's scan masks), each in the path's
// spelling and its canonical spelling, a deny in either winning. Resolves once per query object.
// Reads the filesystem only to canonicalise spellings. Must NOT change the resolved policy.
import { compileDenyGlobs, concreteDenyMatcher, type DenyGlobMatcher } from './deny-glob-match.js';
import { depthOf, isPathPrefix } from './paths.js';
import { bestEntry, policyCwd, rawAccess, resolveEntries, resolvePath, resolveSandboxPolicy, type ResolveContext, type ResolvedEntry } from './resolve.js';
import { canonicalSpelling, resolveTopLevelAlias } from './spelling.js';
import type { FileSystemAccessMode, PermissionProfile, ResolvedSandboxPolicy, WritableRoot } from './types.js';

/** Answers access questions for one profile + context; resolves once. */
export interface AccessQuery {
  /** P19 only: entries, most specific wins; ignores metadata protection and globs. */
  entryAccess(p: string): FileSystemAccessMode;
  /** What a sandboxed process may do: P19, then protected metadata (P26/P27), then deny globs. */
  access(p: string): FileSystemAccessMode;
  canRead(p: string): boolean;
  canWrite(p: string): boolean;
  /**
   * The deny-glob pattern that matches `p` or one of its ancestors (spelled or canonical), whether
   * or not the sandbox masks it (see AccessQueryOptions.denyGlobMatches). Undefined when none does.
   */
  denyGlobFor(p: string): string | undefined;
}

export interface AccessQueryOptions {
  /**
   * The concrete paths a backend masks for the deny globs (its scan at start, canonical). Given,
   * a deny glob denies exactly these and their subtrees, so the answer is what the run enforces;
   * absent, every path a pattern matches is denied (what the policy says).
   */
  denyGlobMatches?: readonly string[];
}

export function createAccessQuery(
  profile: PermissionProfile,
  ctx: ResolveContext,
  /** The result of `resolveSandboxPolicy(profile, ctx)` when the caller has it already. */
  resolvedPolicy?: ResolvedSandboxPolicy,
  options: AccessQueryOptions = {},
): AccessQuery {
  const cwd = policyCwd(ctx);
  const policy = resolvedPolicy ?? resolveSandboxPolicy(profile, ctx);
  if (policy.kind !== 'restricted' || profile.type !== 'managed' || profile.fileSystem.type !== 'restricted') {
    const all = (): FileSystemAccessMode => 'write';
    return { entryAccess: all, access: all, canRead: () => true, canWrite: () => true, denyGlobFor: () => undefined };
  }
  const resolved = resolveEntries(profile.fileSystem.entries, ctx, cwd);
  const patterns = compileDenyGlobs(policy.unreadableGlobs);
  const globs: DenyGlobMatcher | 'invalid' =
    patterns === 'invalid' || options.denyGlobMatches === undefined ? patterns : concreteDenyMatcher(options.denyGlobMatches);
  const entryAccess = (p: string): FileSystemAccessMode => rawAccess(resolved, resolvePath(cwd, p));
  // P24: a path is checked in its lexical spelling against the entries as written, and in its
  // canonical spelling against canonicalised entries and roots (what the mounts will really
  // cover). A deny in either spelling wins; otherwise the canonical answer is the truth.
  let canon: { entries: ResolvedEntry[]; roots: WritableRoot[] } | undefined;
  const canonical = (): { entries: ResolvedEntry[]; roots: WritableRoot[] } =>
    (canon ??= {
      entries: resolved.map((r) => ({ ...r, path: canonicalSpelling(r.path) })),
      roots: policy.writableRoots.map((w) => ({
        root: canonicalSpelling(w.root),
        readOnlySubpaths: w.readOnlySubpaths.map(canonicalSpelling),
        protectedMetadataNames: w.protectedMetadataNames,
      })),
    });
  const access = (input: string): FileSystemAccessMode => {
    const p = resolvePath(cwd, input);
    const lexical = accessIn(p, resolved, policy.writableRoots);
    if (lexical === 'deny') return 'deny';
    const c = canonical();
    return accessIn(canonicalSpelling(p), c.entries, c.roots);
  };
  const accessIn = (p: string, entries: ResolvedEntry[], roots: WritableRoot[]): FileSystemAccessMode => {
    // P24: a malformed deny glob denies every read (fail closed).
    if (globs === 'invalid') return 'deny';
    const best = bestEntry(entries, p);
    // A deny glob acts as a deny entry at the path it matches: only a deeper grant beats it.
    const globDepth = globs.deniedDepth(p);
    if (globDepth >= 0 && globDepth >= best.depth) return 'deny';
    const base = best.access;
    if (base !== 'write' || policy.fullDiskWrite) return base;
    // Writable roots carry their top-level alias resolved; compare in the same spelling.
    const pn = resolveTopLevelAlias(p);
    let root: WritableRoot | undefined;
    for (const w of roots) {
      if ((isPathPrefix(w.root, pn) || isPathPrefix(w.root, p)) && (root === undefined || depthOf(w.root) > depthOf(root.root))) root = w;
    }
    if (root === undefined) return base;
    const rootDepth = depthOf(root.root);
    const allReadOnly = roots.flatMap((w) => w.readOnlySubpaths);
    if (allReadOnly.some((s) => (isPathPrefix(s, p) || isPathPrefix(s, pn)) && depthOf(s) > rootDepth)) return 'read';
    const q = isPathPrefix(root.root, p) ? p : pn;
    const first = q === root.root ? undefined : q.slice(root.root === '/' ? 1 : root.root.length + 1).split('/')[0];
    if (first !== undefined && (root.protectedMetadataNames as readonly string[]).includes(first)) return 'read';
    return base;
  };
  const denyGlobFor = (input: string): string | undefined => {
    if (patterns === 'invalid') return policy.unreadableGlobs[0];
    const p = resolvePath(cwd, input);
    return patterns.denying(p) ?? patterns.denying(canonicalSpelling(p));
  };
  return {
    entryAccess,
    access,
    canRead: (p) => access(p) !== 'deny',
    canWrite: (p) => access(p) === 'write',
    denyGlobFor,
  };
}

/** Effective access for one path (see AccessQuery.access). Relative paths join onto ctx.cwd. */
export function accessForPath(profile: PermissionProfile, ctx: ResolveContext, p: string): FileSystemAccessMode {
  return createAccessQuery(profile, ctx).access(p);
}

export function canRead(profile: PermissionProfile, ctx: ResolveContext, p: string): boolean {
  return createAccessQuery(profile, ctx).canRead(p);
}

export function canWrite(profile: PermissionProfile, ctx: ResolveContext, p: string): boolean {
  return createAccessQuery(profile, ctx).canWrite(p);
}
