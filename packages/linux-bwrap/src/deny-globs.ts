// Expansion of deny-read globs into concrete paths (bwrap can only mask paths that exist), with
// ripgrep when it is available and an in-process walker otherwise, and discovery of trusted
// executables on PATH. Owns the scan decisions; it must NOT build bwrap arguments or decide what
// the matches mean (bwrap-args masks them). Every failure is fatal: a scan that cannot be trusted
// must never turn into a sandbox with fewer masks.

import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import picomatch from 'picomatch';
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
  const root = path.posix.normalize(pattern.slice(0, lastSlash) || '/');
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
  pathEnv?: string;
  /** Locations the sandboxed command can write (workspace, writable roots): never trusted for `rg`. */
  excludeUnder?: readonly string[];
}

/** The real location of every existing file or symlink matching one of `patterns`; sorted, unique. */
export async function expandDenyGlobs(patterns: readonly string[], options: ExpandDenyGlobsOptions = {}): Promise<string[]> {
  const { maxDepth } = options;
  if (maxDepth !== undefined && (!Number.isInteger(maxDepth) || maxDepth < 0)) {
    throw new DenyGlobError(`glob scan depth ${maxDepth} is invalid; use a non-negative integer or leave it unset`);
  }
  const byRoot = new Map<string, string[]>();
  for (const pattern of patterns) {
    const { root, glob } = splitDenyGlob(pattern);
    const globs = byRoot.get(root) ?? [];
    globs.push(escapeUnclosedBrackets(glob));
    byRoot.set(root, globs);
  }
  if (maxDepth === 0 || byRoot.size === 0) return [];
  const rgPath =
    options.rgPath === undefined
      ? findExecutableOnPath('rg', options.pathEnv ?? process.env.PATH, options.excludeUnder ?? [])
      : options.rgPath;

  const found = new Set<string>();
  for (const [root, globs] of byRoot) {
    if (!isDirectory(root)) continue;
    const hits = rgPath ? await scanWithRipgrep(rgPath, root, globs, maxDepth) : scanWithWalker(root, globs, maxDepth);
    const collected = new Set<string>();
    for (const hit of hits ?? scanWithWalker(root, globs, maxDepth)) {
      // A hit spelled through a symlink is replaced by its real location: masking that hides the
      // data whatever the link later points to, and a mask on the link spelling inside a writable
      // root would be refused as crossing a writable symlink. A dangling link hides nothing.
      const canonical = canonicalOrNull(hit);
      if (canonical !== null) collected.add(canonical);
      if (collected.size > MAX_GLOB_MATCHES_PER_ROOT) {
        throw new DenyGlobError(
          `unreadable glob expansion for ${root} matched more than ${MAX_GLOB_MATCHES_PER_ROOT} paths; narrow the pattern or set glob_scan_max_depth`,
        );
      }
    }
    for (const p of collected) found.add(p);
  }
  return [...found].sort();
}

/** Resolves to the hits, or `null` when `rg` is not there (the caller then walks in-process). */
function scanWithRipgrep(rgPath: string, root: string, globs: readonly string[], maxDepth: number | undefined): Promise<string[] | null> {
  // ripgrep matches --glob overrides relative to its working directory, and a slash-free glob at any
  // depth; running in the root and prefixing `/` anchors every glob at the root, like the walker.
  const args = ['--files', '--hidden', '--no-ignore', '--no-config', '--null'];
  if (maxDepth !== undefined) args.push('--max-depth', String(maxDepth));
  for (const glob of globs) args.push('--glob', `/${glob}`);
  args.push('--', '.');
  return new Promise((resolve, reject) => {
    execFile(
      rgPath,
      args,
      { cwd: root, encoding: 'buffer', maxBuffer: 256 * 1024 * 1024, env: { PATH: process.env.PATH ?? '' } },
      (error, stdout, stderr) => {
        const stderrText = stderr.toString('utf8').trim();
        if (error) {
          const code: unknown = (error as { code?: unknown }).code;
          if (code === 'ENOENT') {
            resolve(null);
            return;
          }
          if (code === 1 && stderrText === '') {
            resolve([]);
            return;
          }
          reject(new DenyGlobError(`ripgrep unreadable glob scan failed for ${root}: ${stderrText || error.message}`));
          return;
        }
        const hits: string[] = [];
        let start = 0;
        while (start < stdout.length) {
          let end = stdout.indexOf(0, start);
          if (end < 0) end = stdout.length;
          if (end > start) {
            const entry = decodeFileName(stdout.subarray(start, end));
            if (entry === null) {
              reject(nonUtf8Error(root, stdout.subarray(start, end)));
              return;
            }
            hits.push(path.resolve(root, entry));
          }
          start = end + 1;
        }
        resolve(hits);
      },
    );
  });
}

function scanWithWalker(root: string, globs: readonly string[], maxDepth: number | undefined): string[] {
  let matches: (candidate: string) => boolean;
  try {
    matches = picomatch([...globs], { dot: true, noextglob: true, strictBrackets: false });
  } catch (error) {
    throw new DenyGlobError(`unreadable glob pattern is invalid for ${root}: ${(error as Error).message}`);
  }
  const hits: string[] = [];
  const visit = (dir: string, relative: string, depth: number): void => {
    let entries: fs.Dirent<Buffer>[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true, encoding: 'buffer' });
    } catch (error) {
      throw new DenyGlobError(`unreadable glob scan failed for ${root}: cannot list ${dir}: ${(error as Error).message}`);
    }
    for (const entry of entries) {
      const name = decodeFileName(entry.name);
      const lossyName = name ?? entry.name.toString('utf8');
      const childRelative = relative === '' ? lossyName : `${relative}/${lossyName}`;
      const childPath = path.join(dir, lossyName);
      const descend = entry.isDirectory() && (maxDepth === undefined || depth < maxDepth);
      const hit = !entry.isDirectory() && (entry.isFile() || entry.isSymbolicLink()) && matches(childRelative);
      // A name that is not UTF-8 cannot be passed to bwrap: refuse rather than leave it unmasked.
      if (name === null && (descend || hit)) throw nonUtf8Error(root, Buffer.concat([Buffer.from(`${dir}/`), entry.name]));
      if (descend) {
        visit(childPath, childRelative, depth + 1);
      } else if (hit) {
        hits.push(childPath);
        if (hits.length > MAX_GLOB_MATCHES_PER_ROOT) return;
      }
    }
  };
  visit(root, '', 1);
  return hits;
}

/** The name as a string, or null when its bytes are not valid UTF-8 (it would not round-trip). */
function decodeFileName(bytes: Buffer): string | null {
  const text = bytes.toString('utf8');
  return Buffer.from(text, 'utf8').equals(bytes) ? text : null;
}

function nonUtf8Error(root: string, bytes: Buffer): DenyGlobError {
  return new DenyGlobError(
    `unreadable glob scan for ${root} found a path that is not valid UTF-8 (${JSON.stringify(bytes.toString('latin1'))}); it cannot be masked, rename it`,
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

function isWithin(child: string, parent: string): boolean {
  if (parent === '/') return true;
  return child === parent || child.startsWith(`${parent}/`);
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
