// Resolves a PermissionProfile against a working directory and workspace roots into the facts a
// backend enforces (P18-P29, P32), and answers "what may this path do".
// Reads the filesystem only to test existence, resolve spellings (spelling.ts: `..` as the kernel
// walks it, canonical and top-level-alias spellings), and read `.git` pointer files. Must NOT
// spawn processes, expand globs on disk, or build sandbox arguments.
import fs from 'node:fs';
import path from 'node:path';
import { WORKSPACE_ROOTS_GLOB_PREFIX } from './compile.js';
import { compileDenyGlobs, concreteDenyMatcher, type DenyGlobMatcher } from './deny-glob-match.js';
import { PolicyError } from './errors.js';
import { depthOf, isPathPrefix, isStrictlyUnder, joinSubpath, joinUnresolved, tidyAbsolute } from './paths.js';
import { readPolicyTextFile } from './read-file.js';
import { canonicalSpelling, resolveGlobSpelling, resolveSpelling, resolveTopLevelAlias } from './spelling.js';
import {
  PROTECTED_METADATA_NAMES,
  type FileSystemAccessMode,
  type FileSystemSandboxEntry,
  type PermissionProfile,
  type ProtectedMetadataName,
  type ResolvedSandboxPolicy,
  type WritableRoot,
} from './types.js';

export interface ResolveContext {
  /** Absolute directory the policy is resolved against. */
  cwd: string;
  /** Absolute workspace roots; empty means `[cwd]`. */
  workspaceRoots: string[];
  env: Record<string, string | undefined>;
}

export { resolveTopLevelAlias } from './spelling.js';

/** A path as written, made absolute against `base` and resolved as the kernel walks its `..`. */
function resolvePath(base: string, p: string): string {
  return resolveSpelling(joinUnresolved(base, p));
}

/** The context's cwd as the policy spells it (absolute, `..` resolved). */
export function policyCwd(ctx: ResolveContext): string {
  return resolveSpelling(tidyAbsolute(ctx.cwd));
}

const ACCESS_RANK: Record<FileSystemAccessMode, number> = { read: 0, write: 1, deny: 2 };

interface ResolvedEntry {
  path: string;
  access: FileSystemAccessMode;
  entry: FileSystemSandboxEntry;
}

function lexists(p: string): boolean {
  try {
    fs.lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

function statKind(p: string): 'dir' | 'file' | 'other' | undefined {
  try {
    const st = fs.statSync(p);
    return st.isDirectory() ? 'dir' : st.isFile() ? 'file' : 'other';
  } catch {
    return undefined;
  }
}

function rootsOf(ctx: ResolveContext, cwd: string): string[] {
  const roots = ctx.workspaceRoots.length > 0 ? ctx.workspaceRoots.map((r) => resolvePath(cwd, r)) : [cwd];
  return [...new Set(roots)];
}

/** P18: the concrete paths an entry stands for (globs, `:minimal`, unknown: none). */
function entryPaths(e: FileSystemSandboxEntry, ctx: ResolveContext, cwd: string): string[] {
  const p = e.path;
  if (p.type === 'path') return [resolvePath(cwd, p.path)];
  if (p.type === 'glob_pattern') return [];
  const v = p.value;
  switch (v.kind) {
    case 'root':
      return ['/'];
    case 'workspace_roots':
      return rootsOf(ctx, cwd).map((r) => joinSubpath(r, v.subpath));
    case 'tmpdir': {
      const t = ctx.env['TMPDIR'];
      return t !== undefined && t.length > 0 && path.posix.isAbsolute(t) ? [resolveSpelling(t)] : [];
    }
    case 'slash_tmp':
      return statKind('/tmp') === 'dir' ? ['/tmp'] : [];
    case 'minimal':
    case 'unknown':
      return [];
  }
}

function resolveEntries(entries: FileSystemSandboxEntry[], ctx: ResolveContext, cwd: string): ResolvedEntry[] {
  const out: ResolvedEntry[] = [];
  for (const e of entries) {
    for (const p of entryPaths(e, ctx, cwd)) {
      if (e.missingPathBehavior === 'skip' && !lexists(p)) continue;
      out.push({ path: p, access: e.access, entry: e });
    }
  }
  return out;
}

/** Deny glob patterns made absolute: per workspace root for symbolic ones, else against cwd. */
function resolveDenyGlobs(entries: FileSystemSandboxEntry[], ctx: ResolveContext, cwd: string): string[] {
  const out = new Set<string>();
  for (const e of entries) {
    if (e.path.type !== 'glob_pattern' || e.access !== 'deny') continue;
    const pat = e.path.pattern;
    if (pat.startsWith(WORKSPACE_ROOTS_GLOB_PREFIX)) {
      const sub = pat.slice(WORKSPACE_ROOTS_GLOB_PREFIX.length);
      for (const r of rootsOf(ctx, cwd)) out.add(resolveGlobSpelling(`${r === '/' ? '' : r}/${sub}`));
    } else if (pat.startsWith('/')) {
      out.add(resolveGlobSpelling(pat));
    } else {
      out.add(resolveGlobSpelling(`${cwd === '/' ? '' : cwd}/${pat}`));
    }
  }
  return [...out].sort();
}

/** P19 over already-resolved entries: most specific wins, then deny > write > read; none = deny (depth -1). */
function bestEntry(resolved: ResolvedEntry[], p: string): { access: FileSystemAccessMode; depth: number } {
  let best: { depth: number; rank: number } | undefined;
  let access: FileSystemAccessMode = 'deny';
  for (const r of resolved) {
    if (!isPathPrefix(r.path, p)) continue;
    const depth = depthOf(r.path);
    const rank = ACCESS_RANK[r.access];
    if (best === undefined || depth > best.depth || (depth === best.depth && rank > best.rank)) {
      best = { depth, rank };
      access = r.access;
    }
  }
  return { access, depth: best?.depth ?? -1 };
}

function rawAccess(resolved: ResolvedEntry[], p: string): FileSystemAccessMode {
  return bestEntry(resolved, p).access;
}

/** "Same target" of P21: paths exactly, specials by kind+subpath, `:root` = `/`, `:slash_tmp` = `/tmp`. */
function targetKey(e: FileSystemSandboxEntry): string | undefined {
  const p = e.path;
  if (p.type === 'path') return `p:${p.path.startsWith('/') ? resolveSpelling(p.path) : tidyAbsolute(p.path)}`;
  if (p.type === 'glob_pattern') return undefined;
  const v = p.value;
  if (v.kind === 'root') return 'p:/';
  if (v.kind === 'slash_tmp') return 'p:/tmp';
  if (v.kind === 'workspace_roots') return `s:workspace_roots:${v.subpath ?? ''}`;
  if (v.kind === 'unknown') return `s:unknown:${v.path}:${v.subpath ?? ''}`;
  return `s:${v.kind}`;
}

function isSpecial(e: FileSystemSandboxEntry, kind: string): boolean {
  return e.path.type === 'special' && e.path.value.kind === kind;
}

function hasFullDiskRead(entries: FileSystemSandboxEntry[]): boolean {
  return entries.some((e) => isSpecial(e, 'root') && e.access !== 'deny') && !entries.some((e) => e.access === 'deny');
}

function hasFullDiskWrite(entries: FileSystemSandboxEntry[]): boolean {
  if (!entries.some((e) => isSpecial(e, 'root') && e.access === 'write')) return false;
  const writeTargets = new Set(entries.filter((e) => e.access === 'write').map(targetKey).filter((k) => k !== undefined));
  const narrows = (e: FileSystemSandboxEntry): boolean => {
    if (e.access === 'write') return false;
    if (e.path.type === 'glob_pattern') return true;
    if (isSpecial(e, 'minimal') || isSpecial(e, 'unknown')) return false;
    if (isSpecial(e, 'root') && e.access === 'deny') return true;
    return !writeTargets.has(targetKey(e) as string);
  };
  return !entries.some(narrows);
}

/** A `.git` pointer file is one line; anything larger is not one. */
const GITDIR_FILE_MAX_BYTES = 64 * 1024;

/** `gitdir: <path>` target of a `.git` file, resolved against the root, if it exists. */
function gitdirTarget(root: string): string | undefined {
  let text: string | undefined;
  try {
    // A `.git` FIFO or device in a workspace must not hang or flood us; the `.git` itself stays protected.
    text = readPolicyTextFile(path.posix.join(root, '.git'), { what: '`.git` file', maxBytes: GITDIR_FILE_MAX_BYTES });
  } catch {
    return undefined;
  }
  if (text === undefined) return undefined;
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0 || line.slice(0, colon) !== 'gitdir') continue;
    const value = line.slice(colon + 1).trim();
    if (value.length === 0) return undefined;
    const target = resolvePath(root, value);
    return statKind(target) === 'dir' ? target : undefined;
  }
  return undefined;
}

/**
 * P25: default protected subpaths of a writable root, in PROTECTED_METADATA_NAMES order (`gitdir`
 * target first): `.git` when a directory or a file, `.codex` when a directory or the root is the
 * cwd (so first-time creation is blocked), any other name when a directory.
 */
function defaultProtectedSubpaths(root: string, cwd: string): string[] {
  const out: string[] = [];
  for (const name of PROTECTED_METADATA_NAMES) {
    const candidate = path.posix.join(root, name);
    const kind = statKind(candidate);
    if (name === '.git') {
      if (kind === 'file') {
        const target = gitdirTarget(root);
        if (target !== undefined) out.push(target);
      }
      if (kind === 'dir' || kind === 'file') out.push(candidate);
    } else if (name === '.codex') {
      if (kind === 'dir' || root === cwd || root === resolveTopLevelAlias(cwd)) out.push(candidate);
    } else if (kind === 'dir') {
      out.push(candidate);
    }
  }
  return out;
}

function writableRootsOf(resolved: ResolvedEntry[], cwd: string): WritableRoot[] {
  const writeEntries = resolved.filter((r) => r.access === 'write' && rawAccess(resolved, r.path) === 'write');
  const seen = new Map<string, string>();
  for (const r of writeEntries) {
    const norm = resolveTopLevelAlias(r.path);
    if (!seen.has(norm)) seen.set(norm, r.path);
  }
  const roots: WritableRoot[] = [];
  const explicit = new Set(resolved.map((r) => r.path));
  const explicitWrites = new Set(resolved.filter((r) => r.access === 'write').map((r) => r.path));
  for (const [root, literal] of seen) {
    const readOnly: string[] = [];
    for (const p of defaultProtectedSubpaths(root, cwd)) if (!explicit.has(p)) readOnly.push(p);
    for (const r of resolved) {
      if (r.access === 'write') continue;
      if (isStrictlyUnder(literal, r.path) || isStrictlyUnder(root, r.path)) readOnly.push(r.path);
    }
    const protectedNames = PROTECTED_METADATA_NAMES.filter(
      (name) => !explicitWrites.has(path.posix.join(root, name)) && !explicitWrites.has(path.posix.join(literal, name)),
    ) as ProtectedMetadataName[];
    roots.push({ root, readOnlySubpaths: [...new Set(readOnly)], protectedMetadataNames: protectedNames });
  }
  return roots;
}

/** Derives everything a backend enforces. Reads the fs for existence/symlinks/.git files only. */
export function resolveSandboxPolicy(profile: PermissionProfile, ctx: ResolveContext): ResolvedSandboxPolicy {
  if (!ctx.cwd.startsWith('/')) throw new PolicyError(`policy cwd \`${ctx.cwd}\` must be an absolute path`);
  const cwd = policyCwd(ctx);
  if (profile.type !== 'managed' || profile.fileSystem.type === 'unrestricted') {
    const kind = profile.type === 'external' ? 'external-sandbox' : 'unrestricted';
    const network = profile.type === 'disabled' ? 'enabled' : profile.network;
    return {
      kind,
      cwd,
      network,
      fullDiskRead: true,
      fullDiskWrite: true,
      includePlatformDefaults: false,
      readableRoots: [],
      writableRoots: [],
      unreadableRoots: [],
      unreadableGlobs: [],
      // P32 without managed network: restricted network needs a sandbox unless fs is external.
      needsSandbox: network === 'restricted' && kind !== 'external-sandbox',
    };
  }
  const fsPerms = profile.fileSystem;
  const network = profile.network;
  const resolved = resolveEntries(fsPerms.entries, ctx, cwd);
  // Skip-missing entries that did not resolve take no part in the full-disk decisions either.
  const live = fsPerms.entries.filter((e) => e.missingPathBehavior !== 'skip' || resolved.some((r) => r.entry === e));
  const fullDiskRead = hasFullDiskRead(live);
  const fullDiskWrite = hasFullDiskWrite(live);
  const includePlatformDefaults = !fullDiskRead && live.some((e) => isSpecial(e, 'minimal') && e.access !== 'deny');
  const readableRoots = fullDiskRead
    ? []
    : [...new Set(resolved.filter((r) => r.access !== 'deny' && rawAccess(resolved, r.path) !== 'deny').map((r) => r.path))].sort();
  const writableRoots = fullDiskWrite ? [] : writableRootsOf(resolved, cwd);
  const unreadableRoots = [
    ...new Set(resolved.filter((r) => r.access === 'deny' && r.path !== '/' && rawAccess(resolved, r.path) === 'deny').map((r) => r.path)),
  ].sort();
  const out: ResolvedSandboxPolicy = {
    kind: 'restricted',
    cwd,
    network,
    fullDiskRead,
    fullDiskWrite,
    includePlatformDefaults,
    readableRoots,
    writableRoots,
    unreadableRoots,
    unreadableGlobs: resolveDenyGlobs(fsPerms.entries, ctx, cwd),
    needsSandbox: network === 'restricted' ? true : !fullDiskWrite,
  };
  if (fsPerms.globScanMaxDepth !== undefined) out.globScanMaxDepth = fsPerms.globScanMaxDepth;
  return out;
}

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
