// The two ways a deny-glob search root is scanned, which must report the same hits for the same
// tree: ripgrep listing the regular files plus `find` listing everything else (directories,
// symlinks, FIFOs, sockets, devices: `rg --files` lists none of those), or an in-process walker.
// Either way the globs are matched here, with one matcher (picomatch, the policy's dialect), so the
// two differ only in how the tree is listed. A hit is any entry, of any kind, whose path relative
// to the root matches a glob; symlinked directories are never followed, and a matching directory is
// one hit (entries below it are dropped: its mask covers them). Owns only the scanning; it must NOT
// canonicalise hits, apply the match limit, or decide what a hit means for the sandbox
// (deny-globs.ts and filesystem-args.ts do).

import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import picomatch from 'picomatch';
import { compileGlobWalk, type GlobWalkState } from './deny-glob-prune.js';
import { DenyGlobError } from './errors.js';

export type ScanHitKind = 'file' | 'dir' | 'symlink' | 'other';

export interface ScanHit {
  /** Path relative to the search root, `/`-separated, as matched against the globs. */
  relative: string;
  kind: ScanHitKind;
}

/** A hit as listed, with the raw bytes when some component of it is not UTF-8. */
interface ListedHit extends ScanHit {
  notUtf8?: Buffer;
}

/** The external tools of the native scan, each an absolute path found outside writable places. */
export interface ScanTools {
  rg: string;
  find: string;
}

/** Matches a root-relative path against the globs, as both scanners do for what they decide in JS. */
export function compileGlobMatcher(root: string, globs: readonly string[]): (relative: string) => boolean {
  try {
    // The policy's matcher options exactly (its deny-glob-match.ts): a leading `!` is a character.
    return picomatch([...globs], { dot: true, noextglob: true, strictBrackets: false, nonegate: true });
  } catch (error) {
    throw new DenyGlobError(`unreadable glob pattern is invalid for ${root}: ${(error as Error).message}`);
  }
}

/**
 * Sorted by path; entries strictly below a matching directory removed (its mask covers them).
 * A remaining hit whose name is not UTF-8 cannot be handed to bwrap: refused, never left unmasked.
 */
function outermostHits(root: string, hits: readonly ListedHit[]): ScanHit[] {
  const sorted = [...new Map(hits.map((hit) => [hit.relative, hit])).values()].sort((a, b) =>
    a.relative < b.relative ? -1 : a.relative > b.relative ? 1 : 0,
  );
  const dirs = new Set(sorted.filter((hit) => hit.kind === 'dir').map((hit) => hit.relative));
  const kept = sorted.filter((hit) => {
    for (let slash = hit.relative.indexOf('/'); slash >= 0; slash = hit.relative.indexOf('/', slash + 1)) {
      if (dirs.has(hit.relative.slice(0, slash))) return false;
    }
    return true;
  });
  const odd = kept.find((hit) => hit.notUtf8 !== undefined);
  if (odd?.notUtf8 !== undefined) throw nonUtf8Error(root, odd.notUtf8);
  return kept.map(({ relative, kind }) => ({ relative, kind }));
}

/**
 * ripgrep (regular files) and `find` (every other entry) list the tree natively; the globs are
 * matched here. Resolves to null when either tool is not there (the caller then walks in-process).
 */
export async function scanWithTools(tools: ScanTools, root: string, globs: readonly string[], maxDepth: number | undefined): Promise<ScanHit[] | null> {
  const matches = compileGlobMatcher(root, globs);
  const [files, others] = await Promise.all([listRegularFiles(tools.rg, root, maxDepth), listNonRegular(tools.find, root, maxDepth)]);
  if (files === null || others === null) return null;
  const hits: ListedHit[] = [];
  const add = (entry: { relative: string; notUtf8?: Buffer }, kind: ScanHitKind): void => {
    hits.push({ relative: entry.relative, kind, ...(entry.notUtf8 === undefined ? {} : { notUtf8: entry.notUtf8 }) });
  };
  for (const file of files) if (matches(file.relative)) add(file, 'file');
  for (const entry of others) {
    if (!matches(entry.relative)) continue;
    const kind = kindOf(entry.notUtf8 === undefined ? `${root}/${entry.relative}` : Buffer.concat([Buffer.from(`${root}/`), entry.notUtf8]));
    if (kind !== null) add(entry, kind);
  }
  return outermostHits(root, hits);
}

/**
 * What the walker sees: the same hits as scanWithTools, listing only what can matter. A directory
 * no glob can reach below (deny-glob-prune.ts) is not listed, nor is anything below a matching
 * directory (its mask covers it); a name is handed to the full matcher only when some glob can end
 * on it. Entry kinds come from the listing (no stat per entry). Names are read as text, and a
 * directory holding a name that is not UTF-8 is listed again by its bytes, so nothing is skipped.
 * Any directory that must be listed and cannot be fails the scan. Hits are sorted at the end, so
 * the order listings complete in does not matter.
 */
export async function scanWithWalker(root: string, globs: readonly string[], maxDepth: number | undefined): Promise<ScanHit[]> {
  const matches = compileGlobMatcher(root, globs);
  const walk = compileGlobWalk(globs);
  const hits: ListedHit[] = [];
  const rootBytes = Buffer.from(root);
  const cannotList = (dir: string | Buffer, error: unknown): DenyGlobError =>
    new DenyGlobError(`unreadable glob scan failed for ${root}: cannot list ${dir.toString()}: ${(error as Error).message}`);
  const descends = (depth: number): boolean => maxDepth === undefined || depth < maxDepth;

  // By bytes: a directory whose path or some entry of which is not UTF-8.
  const visitBytes = (dir: Buffer, relative: string, utf8: boolean, depth: number, state: GlobWalkState): void => {
    let entries: fs.Dirent<Buffer>[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true, encoding: 'buffer' });
    } catch (error) {
      throw cannotList(dir, error);
    }
    for (const entry of entries) {
      const name = decodeFileName(entry.name);
      const text = name ?? entry.name.toString('utf8');
      const childUtf8 = utf8 && name !== null;
      const childRelative = relative === '' ? text : `${relative}/${text}`;
      const childBytes = Buffer.concat([dir, SLASH, entry.name]);
      const hit = walk.mayMatch(state, text) && matches(childRelative);
      if (hit) hits.push({ relative: childRelative, kind: direntKind(entry), ...(childUtf8 ? {} : { notUtf8: childBytes.subarray(rootBytes.length + 1) }) });
      if (hit || !entry.isDirectory() || !descends(depth)) continue;
      const below = walk.descend(state, text);
      if (below !== null) visitBytes(childBytes, childRelative, childUtf8, depth + 1, below);
    }
  };

  // Each listed directory's entries: hits recorded, directories to list next returned.
  const take = (dir: string, relative: string, depth: number, state: GlobWalkState, entries: fs.Dirent[]): Pending[] => {
    // A name that is not UTF-8 reads as U+FFFD: list this directory again by its bytes.
    if (entries.some((entry) => entry.name.includes('\uFFFD'))) {
      visitBytes(Buffer.from(dir), relative, true, depth, state);
      return [];
    }
    const deeper = descends(depth);
    const next: Pending[] = [];
    // The hot loop of a large tree: most names are ruled out by one test, and no path is built
    // for them.
    for (const entry of entries) {
      const name = entry.name;
      if (walk.mayMatch(state, name)) {
        const childRelative = relative === '' ? name : `${relative}/${name}`;
        if (matches(childRelative)) {
          hits.push({ relative: childRelative, kind: direntKind(entry) });
          continue;
        }
      }
      if (!deeper || !entry.isDirectory()) continue;
      const below = walk.descend(state, name);
      if (below !== null) next.push({ dir: `${dir}/${name}`, relative: relative === '' ? name : `${relative}/${name}`, depth: depth + 1, state: below });
    }
    return next;
  };

  // Up to LISTINGS_IN_FLIGHT directories are listed at once on libuv's thread pool, so the kernel's
  // listing of one overlaps the matching of another. The first failure ends the scan.
  await new Promise<void>((resolve, reject) => {
    const queue: Pending[] = [{ dir: root, relative: '', depth: 1, state: walk.start }];
    let inFlight = 0;
    let failed = false;
    const pump = (): void => {
      while (!failed && inFlight < LISTINGS_IN_FLIGHT && queue.length > 0) {
        const job = queue.pop() as Pending;
        inFlight++;
        fs.readdir(job.dir, { withFileTypes: true }, (error, entries) => {
          inFlight--;
          if (failed) return;
          try {
            if (error) throw cannotList(job.dir, error);
            for (const next of take(job.dir, job.relative, job.depth, job.state, entries)) queue.push(next);
          } catch (thrown) {
            failed = true;
            reject(thrown);
            return;
          }
          if (queue.length === 0 && inFlight === 0) resolve();
          else pump();
        });
      }
    };
    pump();
  });
  return outermostHits(root, hits);
}

const SLASH = Buffer.from('/');

/** Directories listed at once: libuv's thread pool has four threads. */
const LISTINGS_IN_FLIGHT = 4;

interface Pending {
  dir: string;
  relative: string;
  depth: number;
  state: GlobWalkState;
}

function direntKind(entry: fs.Dirent | fs.Dirent<Buffer>): ScanHitKind {
  if (entry.isFile()) return 'file';
  if (entry.isDirectory()) return 'dir';
  if (entry.isSymbolicLink()) return 'symlink';
  return 'other';
}

function kindOf(listedPath: string | Buffer): ScanHitKind | null {
  let stat: fs.Stats | undefined;
  try {
    stat = fs.lstatSync(listedPath, { throwIfNoEntry: false });
  } catch {
    stat = undefined;
  }
  // Gone since find listed it: nothing to hide.
  if (stat === undefined) return null;
  if (stat.isFile()) return 'file';
  if (stat.isDirectory()) return 'dir';
  if (stat.isSymbolicLink()) return 'symlink';
  return 'other';
}

/** Runs a tool in the search root; resolves to its stdout, or null when the tool is not there. */
function runTool(
  tool: string,
  label: string,
  args: readonly string[],
  root: string,
  noMatchIsExit1: boolean,
): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    execFile(
      tool,
      args,
      { cwd: root, encoding: 'buffer', maxBuffer: 256 * 1024 * 1024, env: { PATH: process.env.PATH ?? '', LC_ALL: 'C' } },
      (error, stdout, stderr) => {
        const stderrText = stderr.toString('utf8').trim();
        if (error) {
          const code: unknown = (error as { code?: unknown }).code;
          if (code === 'ENOENT') return resolve(null);
          if (noMatchIsExit1 && code === 1 && stderrText === '') return resolve(Buffer.alloc(0));
          return reject(new DenyGlobError(`${label} unreadable glob scan failed for ${root}: ${stderrText || error.message}`));
        }
        resolve(stdout);
      },
    );
  });
}

/** A listed path: lossy text for matching, the raw bytes kept when they are not UTF-8. */
interface Listed {
  relative: string;
  notUtf8?: Buffer;
}

// Made on the first listing: a TextDecoder costs its construction to every run, most of which scan nothing.
let strictUtf8: InstanceType<typeof TextDecoder> | undefined;

/** NUL-separated `./a/b` entries (both tools print paths under `.`) as `a/b`. */
function listedEntries(stdout: Buffer): Listed[] {
  let text: string | undefined;
  try {
    // One decode for the whole listing: a tree is nearly always all UTF-8, and decoding per entry
    // costs more than the scan itself on a large one.
    text = (strictUtf8 ??= new TextDecoder('utf-8', { fatal: true })).decode(stdout);
  } catch {
    text = undefined;
  }
  const out: Listed[] = [];
  if (text !== undefined) {
    for (const part of text.split('\0')) if (part !== '') out.push({ relative: part.startsWith('./') ? part.slice(2) : part });
    return out;
  }
  let start = 0;
  while (start < stdout.length) {
    let end = stdout.indexOf(0, start);
    if (end < 0) end = stdout.length;
    if (end > start) {
      const raw = stdout.subarray(start, end);
      const bytes = raw.length > 2 && raw[0] === 0x2e && raw[1] === 0x2f ? raw.subarray(2) : raw;
      const name = decodeFileName(bytes);
      out.push(name !== null ? { relative: name } : { relative: bytes.toString('utf8'), notUtf8: bytes });
    }
    start = end + 1;
  }
  return out;
}

async function listRegularFiles(rg: string, root: string, maxDepth: number | undefined) {
  // No --glob: ripgrep's glob dialect differs from picomatch's in corners (`[x]` classes, for one),
  // and the masks must be exactly what the policy's matcher says. Run in the root, so paths are `./…`.
  const args = ['--files', '--hidden', '--no-ignore', '--no-config', '--null'];
  if (maxDepth !== undefined) args.push('--max-depth', String(maxDepth));
  args.push('--', '.');
  const stdout = await runTool(rg, 'ripgrep', args, root, true);
  return stdout === null ? null : listedEntries(stdout);
}

async function listNonRegular(find: string, root: string, maxDepth: number | undefined) {
  // -P (the default): symlinks are reported, never followed; `.` keeps a symlinked root searchable.
  const args = ['.', '-mindepth', '1', ...(maxDepth === undefined ? [] : ['-maxdepth', String(maxDepth)]), '!', '-type', 'f', '-print0'];
  const stdout = await runTool(find, 'find', args, root, false);
  return stdout === null ? null : listedEntries(stdout);
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
