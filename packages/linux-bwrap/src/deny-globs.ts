// Expansion of deny-read globs into concrete paths (bwrap can only mask paths that exist): splitting
// a pattern into its search root and glob, scanning (deny-glob-scan.ts: ripgrep + find, or the
// in-process walker), turning hits into real locations and enforcing the match limit; and
// discovery of trusted executables on PATH. Must NOT build bwrap arguments or decide what the
// matches mean (bwrap-args masks them). Every failure is fatal: a scan that cannot be trusted must
// never turn into a sandbox with fewer masks.

import * as fs from 'node:fs';
import * as path from 'node:path';

import { isWithin } from '@codex-sandbox/policy';
import { compileGlobMatcher, scanWithTools, scanWithWalker, type ScanHit, type ScanTools } from './deny-glob-scan.js';
import { DenyGlobError } from './errors.js';

/** More hits than this for one search root aborts sandbox construction. */
export const MAX_GLOB_MATCHES_PER_ROOT = 8192;

const GLOB_METACHARACTERS = new Set(['*', '?', '[', ']', '{', '}', '\\']);

export interface DenyGlobSplit {
  /** Existing-directory candidate the scan starts from (absolute, no trailing slash). */
  root: string;
  /** The rest of the pattern, relative to `root`. */
  glob: string;
}

/**
 * Cuts an absolute pattern at the last `/` before its first glob metacharacter. A pattern whose
 * static part is empty or `/` would mean scanning the whole filesystem and is refused.
 */
export function splitDenyGlob(pattern: string): DenyGlobSplit {
  if (!path.isAbsolute(pattern)) {
    throw new DenyGlobError(`unreadable glob \`${pattern}\` is not absolute; deny globs must be resolved against the working directory first`);
  }
  let firstMeta = pattern.length;
  for (let i = 0; i < pattern.length; i++) {
    if (GLOB_METACHARACTERS.has(pattern[i] as string)) {
      firstMeta = i;
      break;
    }
  }
  const lastSlash = pattern.lastIndexOf('/', firstMeta === pattern.length ? pattern.length - 1 : firstMeta);
  const prefix = pattern.slice(0, lastSlash) || '/';
  if (prefix.split('/').includes('..')) {
    // As text `a/lnk/..` is `a`; the kernel goes to the parent of lnk's target. The policy resolves
    // these before they get here (resolveGlobSpelling); anything else is refused, not guessed.
    throw new DenyGlobError(
      `unreadable glob \`${pattern}\` has a .. segment in its directory prefix; resolve the prefix first (the policy's resolveGlobSpelling does)`,
    );
  }
  const root = path.posix.normalize(prefix);
  const glob = pattern.slice(lastSlash + 1).replace(/\/{2,}/g, '/');
  if (glob.split('/').some((segment) => segment === '.' || segment === '..')) {
    throw new DenyGlobError(
      `unreadable glob \`${pattern}\` has a . or .. segment after its first glob character; no file path can match it, write the pattern without them`,
    );
  }
  if (root === '/' || root === '' || glob === '') {
    throw new DenyGlobError(
      `unreadable glob \`${pattern}\` cannot be safely expanded; use a pattern with a non-root directory prefix`,
    );
  }
  return { root, glob };
}

/** An `[` with no closing `]` is a literal character (as in Codex's matcher), not a class. */
export function escapeUnclosedBrackets(glob: string): string {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i] as string;
    if (ch === '\\') {
      out += glob.slice(i, i + 2);
      i++;
      continue;
    }
    if (ch === '[' && glob.indexOf(']', i + 2) < 0) {
      out += '\\[';
      continue;
    }
    out += ch;
  }
  return out;
}

export interface ExpandDenyGlobsOptions {
  /** Depth cap (1 = direct children of the search root); undefined = uncapped; 0 = no expansion. */
  maxDepth?: number;
  /**
   * Path of `rg`. `null` forces the internal walker. `undefined` looks `rg` up on `pathEnv`
   * (default `process.env.PATH`) skipping entries under `excludeUnder`.
   */
  rgPath?: string | null;
  /** Path of `find` (lists what `rg --files` cannot); same rules as `rgPath`. Both or the walker. */
  findPath?: string | null;
  pathEnv?: string;
  /** Locations the sandboxed command can write (workspace, writable roots): never trusted for `rg`/`find`. */
  excludeUnder?: readonly string[];
}

/**
 * The real location of every existing entry matching one of `patterns`, sorted and unique: a
 * matching file, FIFO or socket itself, a matching directory (its mask hides the whole subtree),
 * and for a matching symlink the place it resolves to (masking that hides what the link shows,
 * under every name that resolves there). Dangling links hide nothing and are dropped.
 */
export async function expandDenyGlobs(patterns: readonly string[], options: ExpandDenyGlobsOptions = {}): Promise<string[]> {
  const { maxDepth } = options;
  if (maxDepth !== undefined && (!Number.isInteger(maxDepth) || maxDepth < 0)) {
    throw new DenyGlobError(`glob scan depth ${maxDepth} is invalid; use a non-negative integer or leave it unset`);
  }
  const byRoot = new Map<string, Array<{ pattern: string; glob: string }>>();
  for (const pattern of patterns) {
    const { root, glob } = splitDenyGlob(pattern);
    const globs = byRoot.get(root) ?? [];
    globs.push({ pattern, glob: escapeUnclosedBrackets(glob) });
    byRoot.set(root, globs);
  }
  if (maxDepth === 0 || byRoot.size === 0) return [];
  const lookUp = (name: string, given: string | null | undefined): string | null =>
    given === undefined ? findExecutableOnPath(name, options.pathEnv ?? process.env.PATH, options.excludeUnder ?? []) : given;
  const rg = lookUp('rg', options.rgPath);
  const find = rg === null ? null : lookUp('find', options.findPath);
  const tools: ScanTools | null = rg !== null && find !== null ? { rg, find } : null;

  const found = new Set<string>();
  for (const [root, entries] of byRoot) {
    if (!isDirectory(root)) continue;
    const globs = entries.map((entry) => entry.glob);
    const hits = (tools === null ? null : await scanWithTools(tools, root, globs, maxDepth)) ?? (await scanWithWalker(root, globs, maxDepth));
    const collected = new Set<string>();
    for (const hit of hits) {
      // A hit is replaced by its real location: masking that hides the data whatever a link later
      // points to, and a mask on a spelling through a symlink inside a writable root would be
      // refused as crossing a writable symlink. A dangling link hides nothing.
      const canonical = canonicalOrNull(path.join(root, hit.relative));
      if (canonical !== null) collected.add(canonical);
    }
    if (collected.size > MAX_GLOB_MATCHES_PER_ROOT) throw tooManyMatches(root, entries, hits, collected.size);
    for (const p of collected) found.add(p);
  }
  return [...found].sort();
}

/**
 * Fail closed, but say which pattern, how many, and what to do: one mask per match goes into
 * bubblewrap's argument list, and the kernel's limit on a command line's size is not far above.
 */
function tooManyMatches(root: string, entries: ReadonlyArray<{ pattern: string; glob: string }>, hits: readonly ScanHit[], total: number): DenyGlobError {
  const counts = entries
    .map((entry) => {
      const matches = compileGlobMatcher(root, [entry.glob]);
      return { pattern: entry.pattern, count: hits.filter((hit) => matches(hit.relative)).length };
    })
    .sort((a, b) => b.count - a.count || (a.pattern < b.pattern ? -1 : 1));
  const [top, ...rest] = counts;
  const others = rest.filter((c) => c.count > 0).map((c) => `\`${c.pattern}\`: ${c.count}`);
  return new DenyGlobError(
    `deny-read glob \`${top?.pattern ?? root}\` matched ${top?.count ?? total} paths under ${root}` +
      (others.length > 0 ? ` (${total} in all with ${others.join(', ')})` : '') +
      `; a sandbox can mask at most ${MAX_GLOB_MATCHES_PER_ROOT} per search directory, so it refuses to run. ` +
      'Narrow the pattern (a longer directory prefix or a more specific name), set `glob_scan_max_depth` in the profile\'s ' +
      '`filesystem` table to scan fewer levels, or remove the matching files.',
  );
}

function isDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function canonicalOrNull(p: string): string | null {
  try {
    return fs.realpathSync.native(p);
  } catch {
    return null;
  }
}

/**
 * First executable regular file called `name` on `pathEnv`, canonicalised, skipping any whose
 * canonical location lies under one of `excludeUnder` (places the sandboxed command can write, so
 * a planted binary there is never trusted). An exclusion of `/` itself is ignored so it cannot hide
 * every candidate. Relative PATH entries (and empty ones) resolve against `cwd`.
 */
export function findExecutableOnPath(
  name: string,
  pathEnv: string | undefined,
  excludeUnder: readonly string[],
  cwd: string = process.cwd(),
): string | null {
  if (!pathEnv || name === '' || name.includes('/')) return null;
  const exclusions = excludeUnder
    .map((p) => canonicalOrNull(p) ?? path.resolve(cwd, p))
    .filter((p) => p !== '/');
  for (const entry of pathEnv.split(':')) {
    const candidate = path.resolve(cwd, entry, name);
    let stat: fs.Stats | undefined;
    try {
      stat = fs.statSync(candidate, { throwIfNoEntry: false });
      if (stat?.isFile() !== true) continue;
      fs.accessSync(candidate, fs.constants.X_OK);
    } catch {
      continue;
    }
    const canonical = canonicalOrNull(candidate);
    if (canonical === null) continue;
    if (exclusions.some((excluded) => isWithin(canonical, excluded))) continue;
    return canonical;
  }
  return null;
}
