// Owns how the policy spells paths against the filesystem: the one rule for turning a path as
// written into the path the kernel will reach when the spelling contains `..` (every policy path,
// entries, workspace roots, `$TMPDIR`, `gitdir:` targets, deny-glob prefixes and queried paths,
// goes through `resolveSpelling` before it is compared or handed to a backend), the canonical
// spelling of P24 and the top-level alias of P27. Reads only `lstat`/`readlink`/`realpath`. Must
// NOT resolve symlinks that no `..` depends on in `resolveSpelling` (those keep their spelling:
// backends mount on them and check them themselves), and must NOT collapse a `..` as text where
// the filesystem says otherwise.
import fs from 'node:fs';
import path from 'node:path';
import { PolicyError } from './errors.js';
import { normalizeAbsolute } from './paths.js';

/** Linux follows at most 40 symbolic links while resolving one path (ELOOP beyond). */
export const MAX_SYMLINK_FOLLOWS = 40;

/** A path whose `..` cannot be resolved the way the kernel would (a symlink loop). */
export class PathSpellingError extends PolicyError {
  readonly path: string;
  constructor(path: string, message: string) {
    super(message);
    this.name = 'PathSpellingError';
    this.path = path;
  }
}

function components(p: string): string[] {
  return p.split('/').filter((c) => c !== '' && c !== '.');
}

/**
 * The path the kernel reaches for absolute `p`, spelled without `.`, `..` or duplicate slashes.
 *
 * Walks the components up to the last `..` as the kernel does: a symlink is replaced by its
 * target (absolute targets restart at `/`, relative ones continue from the link's directory), so
 * a `..` after a symlink goes to the parent of the link's target, not to the directory the link
 * sits in; at most MAX_SYMLINK_FOLLOWS links (more is a PathSpellingError). From the first
 * component that does not exist (or is not a directory, or cannot be looked up) the rest is taken
 * as written: nothing there can redirect a `..` today. Components after the last `..` are kept as
 * spelled, symlinks included. A path without `..` is only tidied, never looked up.
 */
export function resolveSpelling(p: string): string {
  if (!p.startsWith('/')) throw new PolicyError(`path \`${p}\` must be absolute to be resolved`);
  const parts = components(p);
  const lastUp = parts.lastIndexOf('..');
  if (lastUp < 0) return `/${parts.join('/')}`;
  const resolved = walk(p, parts.slice(0, lastUp + 1));
  return `/${[...resolved, ...parts.slice(lastUp + 1)].join('/')}`;
}

/** Characters after which a pattern is no longer a literal path (the backends' split point). */
const GLOB_META = /[*?[\]{}\\]/;

/**
 * An absolute deny-glob pattern with its literal directory prefix (up to the last `/` before the
 * first glob character) resolved like a path: `/ws/lnk/../*.env` scans the parent of the link's
 * target. The part after that `/` is kept as written (a `..` there is the backend's to refuse).
 */
export function resolveGlobSpelling(pattern: string): string {
  const first = pattern.search(GLOB_META);
  if (first < 0) return resolveSpelling(pattern);
  const cut = pattern.lastIndexOf('/', first);
  const prefix = resolveSpelling(pattern.slice(0, cut) || '/');
  return `${prefix === '/' ? '' : prefix}/${pattern.slice(cut + 1)}`;
}

function walk(original: string, head: string[]): string[] {
  const todo = [...head];
  // Components of a real directory (no symlink among them) until `lexical` is set.
  const current: string[] = [];
  let lexical = false;
  let follows = 0;
  while (todo.length > 0) {
    const c = todo.shift() as string;
    if (c === '..') {
      current.pop();
      continue;
    }
    current.push(c);
    if (lexical) continue;
    const here = `/${current.join('/')}`;
    let st: fs.Stats | undefined;
    try {
      st = fs.lstatSync(here, { throwIfNoEntry: false });
    } catch {
      // EACCES, ENOTDIR: whoever runs the policy cannot look further; neither can the command.
      st = undefined;
    }
    if (st === undefined) {
      lexical = true;
      continue;
    }
    if (st.isSymbolicLink()) {
      follows += 1;
      if (follows > MAX_SYMLINK_FOLLOWS) {
        throw new PathSpellingError(
          original,
          `path \`${original}\` cannot be resolved: more than ${MAX_SYMLINK_FOLLOWS} symbolic links at ${here} (a symlink loop?); fix the link or write the path without \`..\``,
        );
      }
      let target: string;
      try {
        target = fs.readlinkSync(here);
      } catch {
        lexical = true;
        continue;
      }
      current.pop();
      if (target.startsWith('/')) current.length = 0;
      todo.unshift(...components(target));
      continue;
    }
    // A `..` below a non-directory fails in the kernel (ENOTDIR); as text it names what the path
    // would reach if that component became a directory, which is the best reading there is.
    if (!st.isDirectory()) lexical = true;
  }
  return current;
}

/** Canonical spelling (P24): the deepest existing ancestor resolved with realpath, the rest appended. Input without `..`. */
export function canonicalSpelling(p: string): string {
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

/** The real location of `p` (realpath), or `p` itself when it cannot be resolved (missing, dangling). */
export function realPathOrSelf(p: string): string {
  try {
    return fs.realpathSync.native(p);
  } catch {
    return p;
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
