// Lexical path helpers shared by compilation and resolution: normalisation, home expansion,
// component-wise prefix tests, glob detection. Pure string functions: must NOT touch the fs, and
// must NOT be used to remove a `..` from a path the user wrote (spelling.ts owns that).
import path from 'node:path';

/** Characters that make a config key a glob (P2). */
export function hasGlobChars(s: string): boolean {
  return /[*?[\]]/.test(s);
}

/** Collapses `.`/`..` and duplicate slashes without consulting the filesystem; no trailing slash. */
export function normalizeAbsolute(p: string): string {
  const n = path.posix.normalize(p);
  return n.length > 1 && n.endsWith('/') ? n.slice(0, -1) : n;
}

/**
 * Collapses `.` and duplicate slashes but keeps every `..`: what a `..` reaches depends on the
 * symlinks before it, so only resolveSpelling (spelling.ts) may remove one. No trailing slash.
 */
export function tidyAbsolute(p: string): string {
  const parts = p.split('/').filter((c) => c !== '' && c !== '.');
  return `/${parts.join('/')}`;
}

/** `p` made absolute against `base` with tidyAbsolute: `..` components are kept for resolveSpelling. */
export function joinUnresolved(base: string, p: string): string {
  return tidyAbsolute(p.startsWith('/') ? p : `${base}/${p}`);
}

/** An absolute path with no empty, `.` or `..` component and no trailing slash (`/` included). */
const NORMAL_ABSOLUTE = /^\/(?:(?!\.\.?(?:\/|$))[^/]+(?:\/(?!\.\.?(?:\/|$))[^/]+)*)?$/;
/** A single path component other than `.` and `..`. */
const PLAIN_NAME = /^(?!\.\.?$)[^/]+$/;

/**
 * `path.resolve(base, entry, name)` for a PATH walk: `entry` a PATH entry (empty means `base`),
 * `name` a command name. Equal to path.resolve for every input; when `entry` is already a normal
 * absolute directory and `name` one plain component (the usual case) it only concatenates, because
 * Node's normaliser walks every character of the result in JS, and a long PATH walked per command
 * lookup made it hot enough to start the optimizing compiler (~4 MB of peak RSS).
 */
export function resolveEntry(base: string, entry: string, name: string): string {
  if (NORMAL_ABSOLUTE.test(entry) && PLAIN_NAME.test(name)) return entry === '/' ? `/${name}` : `${entry}/${name}`;
  return path.resolve(base, entry === '' ? '.' : entry, name);
}

/** `~` and `~/x` expand against homeDir; everything else is returned unchanged. */
export function expandHome(p: string, homeDir: string): string {
  if (p === '~') return homeDir;
  if (p.startsWith('~/')) return path.posix.join(homeDir, p.slice(2));
  return p;
}

/** Absolute, lexically normalised: relative input is joined onto base. */
export function absolutize(p: string, base: string): string {
  return normalizeAbsolute(path.posix.isAbsolute(p) ? p : path.posix.join(base, p));
}

/** Number of components of a normalised absolute path (`/` has 0): how specific a rule is. */
export function depthOf(p: string): number {
  return p === '/' ? 0 : p.split('/').length - 1;
}

/**
 * The one containment test: `p` equals `ancestor` or lies below it, component-wise (`/a/bc` is not
 * within `/a/b`). Both absolute; a trailing slash on `ancestor` is allowed.
 */
export function isWithin(p: string, ancestor: string): boolean {
  if (ancestor === '/') return p.startsWith('/');
  const base = ancestor.endsWith('/') ? ancestor.slice(0, -1) : ancestor;
  return p === base || p.startsWith(`${base}/`);
}

/** True when `prefix` equals `p` or is a component-wise ancestor of it (both normalised). */
export function isPathPrefix(prefix: string, p: string): boolean {
  return isWithin(p, prefix);
}

/** True when `p` lies strictly below `root`. */
export function isStrictlyUnder(root: string, p: string): boolean {
  return p !== root && isPathPrefix(root, p);
}

/** A relative subpath made only of normal components (no `.`, `..`, empty, or leading `/`). */
export function isDescendantSubpath(s: string): boolean {
  if (s.length === 0 || s.startsWith('/')) return false;
  const parts = s.split('/').filter((c) => c.length > 0);
  return parts.length > 0 && parts.every((c) => c !== '.' && c !== '..');
}

/** Joins a validated descendant subpath onto an absolute root. */
export function joinSubpath(root: string, sub: string | undefined): string {
  return sub === undefined ? root : normalizeAbsolute(path.posix.join(root, sub));
}
