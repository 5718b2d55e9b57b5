// Resolves a PermissionProfile against a working directory and workspace roots into the facts a
// backend enforces (reference 1.6-1.8, P18-P29, P32), and answers "what may this path do".
// Reads the filesystem only to test existence, follow a top-level symlink alias, and read `.git`
// pointer files. Must NOT spawn processes, expand globs on disk, or build sandbox arguments.
import fs from 'node:fs';
import path from 'node:path';
import picomatch from 'picomatch';
import { WORKSPACE_ROOTS_GLOB_PREFIX } from './compile.js';
import { PolicyError } from './errors.js';
import { absolutize, depthOf, isPathPrefix, isStrictlyUnder, joinSubpath, normalizeAbsolute } from './paths.js';
import { readPolicyTextFile } from './read-file.js';
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
  const roots = ctx.workspaceRoots.length > 0 ? ctx.workspaceRoots.map((r) => absolutize(r, cwd)) : [cwd];
  return [...new Set(roots)];
}

/** P18: the concrete paths an entry stands for (globs, `:minimal`, unknown: none). */
function entryPaths(e: FileSystemSandboxEntry, ctx: ResolveContext, cwd: string): string[] {
  const p = e.path;
  if (p.type === 'path') return [absolutize(p.path, cwd)];
  if (p.type === 'glob_pattern') return [];
  const v = p.value;
  switch (v.kind) {
    case 'root':
      return ['/'];
    case 'workspace_roots':
      return rootsOf(ctx, cwd).map((r) => joinSubpath(r, v.subpath));
    case 'tmpdir': {
      const t = ctx.env['TMPDIR'];
      return t !== undefined && t.length > 0 && path.posix.isAbsolute(t) ? [normalizeAbsolute(t)] : [];
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
      for (const r of rootsOf(ctx, cwd)) out.add(`${r === '/' ? '' : r}/${sub}`);
    } else if (pat.startsWith('/')) {
      out.add(pat);
    } else {
      out.add(`${cwd === '/' ? '' : cwd}/${pat}`);
    }
  }
  return [...out].sort();
}

/** P19 over already-resolved entries: most specific wins, then deny > write > read; none = deny. */
function rawAccess(resolved: ResolvedEntry[], p: string): FileSystemAccessMode {
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
  return access;
}

/** "Same target" of P21: paths exactly, specials by kind+subpath, `:root` = `/`, `:slash_tmp` = `/tmp`. */
function targetKey(e: FileSystemSandboxEntry): string | undefined {
  const p = e.path;
  if (p.type === 'path') return `p:${normalizeAbsolute(p.path)}`;
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

/** Canonical spelling: the deepest existing ancestor resolved with realpath, the rest appended. */
function canonicalSpelling(p: string): string {
  const rest: string[] = [];
  let cur = p;
  for (;;) {
    try {
      // Missing paths are common here (protected names that do not exist yet): an lstat that does
      // not throw skips them cheaply; realpath runs only on something that exists.
      if (fs.lstatSync(cur, { throwIfNoEntry: false }) !== undefined) {
        const real = fs.realpathSync.native(cur);
        return rest.length === 0 ? real : normalizeAbsolute(`${real}/${rest.reverse().join('/')}`);
      }
    } catch {
      // A dangling symlink or an unreadable directory: resolve the parent instead.
    }
    if (cur === '/') return p;
    rest.push(path.posix.basename(cur));
    cur = path.posix.dirname(cur);
  }
}

/** Resolves a symlinked top-level component (`/var -> /private/var`); deeper symlinks stay logical. */
export function resolveTopLevelAlias(p: string): string {
  const parts = p.split('/');
  const top = parts[1];
  if (top === undefined || top.length === 0) return p;
  try {
    if (!fs.lstatSync(`/${top}`).isSymbolicLink()) return p;
    const real = fs.realpathSync.native(`/${top}`);
    return normalizeAbsolute([real, ...parts.slice(2)].join('/'));
  } catch {
    return p;
  }
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
    const target = absolutize(value, root);
    return statKind(target) === 'dir' ? target : undefined;
  }
  return undefined;
}

/** P25: default protected subpaths of a writable root, `gitdir` target first. */
function defaultProtectedSubpaths(root: string, cwd: string): string[] {
  const out: string[] = [];
  const git = path.posix.join(root, '.git');
  const gitKind = statKind(git);
  if (gitKind === 'dir' || gitKind === 'file') {
    if (gitKind === 'file') {
      const target = gitdirTarget(root);
      if (target !== undefined) out.push(target);
    }
    out.push(git);
  }
  const agents = path.posix.join(root, '.agents');
  if (statKind(agents) === 'dir') out.push(agents);
  const codex = path.posix.join(root, '.codex');
  if (statKind(codex) === 'dir' || root === cwd || root === resolveTopLevelAlias(cwd)) out.push(codex);
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
  const cwd = absolutize(ctx.cwd, '/');
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
}

function compileGlobs(globs: string[]): ((p: string) => boolean) | 'invalid' {
  try {
    const matchers = globs.map((g) => picomatch(g, { dot: true, strictBrackets: false, nonegate: true, noextglob: true }));
    return (p) => matchers.some((m) => m(p));
  } catch {
    return 'invalid';
  }
}

export function createAccessQuery(
  profile: PermissionProfile,
  ctx: ResolveContext,
  /** The result of `resolveSandboxPolicy(profile, ctx)` when the caller has it already. */
  resolvedPolicy?: ResolvedSandboxPolicy,
): AccessQuery {
  const cwd = absolutize(ctx.cwd, '/');
  const policy = resolvedPolicy ?? resolveSandboxPolicy(profile, ctx);
  if (policy.kind !== 'restricted' || profile.type !== 'managed' || profile.fileSystem.type !== 'restricted') {
    const all = (): FileSystemAccessMode => 'write';
    return { entryAccess: all, access: all, canRead: () => true, canWrite: () => true };
  }
  const resolved = resolveEntries(profile.fileSystem.entries, ctx, cwd);
  const globMatch = compileGlobs(policy.unreadableGlobs);
  const entryAccess = (p: string): FileSystemAccessMode => rawAccess(resolved, absolutize(p, cwd));
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
    const p = absolutize(input, cwd);
    const lexical = accessIn(p, resolved, policy.writableRoots);
    if (lexical === 'deny') return 'deny';
    const c = canonical();
    return accessIn(canonicalSpelling(p), c.entries, c.roots);
  };
  const accessIn = (p: string, entries: ResolvedEntry[], roots: WritableRoot[]): FileSystemAccessMode => {
    // P24: a malformed deny glob denies every read (fail closed).
    if (globMatch === 'invalid' || globMatch(p)) return 'deny';
    const base = rawAccess(entries, p);
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
  return {
    entryAccess,
    access,
    canRead: (p) => access(p) !== 'deny',
    canWrite: (p) => access(p) === 'write',
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
