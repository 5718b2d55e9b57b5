// Owns spelling the resolved policy's paths as the Seatbelt input needs them (M5, M6, M7, M8,
// M10): readable roots and denied paths canonicalised, writable roots checked for symlinks below
// their top-level component (refused) with top-level aliases resolved, read-only carve-outs with
// their canonical spelling, protected ancestors, the canonical-prefix variant of each deny glob,
// Unix-socket paths. Reads only lstat/realpath. Must NOT build policy text (seatbelt-policy.ts).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { canonicalSpelling as canonicalPath, resolveTopLevelAlias as resolveTopLevel, type ResolvedSandboxPolicy } from '@codex-sandbox/policy';
import { SeatbeltPolicyError } from './errors.js';
import type { SeatbeltProfileKind } from './fixed-sections.js';
import type { SeatbeltNetwork, UnixSocketAccess } from './network-section.js';
import type { SeatbeltInput, SeatbeltWritableRoot } from './seatbelt-policy.js';

export interface SeatbeltHostOptions {
  profile?: SeatbeltProfileKind;
  /** `--allow-unix-socket` paths (absolute) and a proxy's allowed sockets. */
  unixSocketPaths?: readonly string[];
  /** `dangerously_allow_all_unix_sockets`. */
  allowAllUnixSockets?: boolean;
  /** The proxy the command must go through (managed network), with its loopback ports. */
  proxy?: { ports: readonly number[]; allowLocalBinding: boolean };
}

function lstatOrUndefined(p: string): fs.Stats | undefined {
  try {
    return fs.lstatSync(p, { throwIfNoEntry: false }) ?? undefined;
  } catch {
    return undefined;
  }
}

/**
 * M6: a writable root as Seatbelt anchors it. A symlink below the top-level component is refused
 * (the rules would follow it to wherever it points, and it can be re-pointed while the command runs).
 */
export function normalizeWritableRoot(root: string): { root: string; filter: 'subpath' | 'literal' } {
  const normalized = resolveTopLevel(root);
  const parts = normalized.split('/').filter((c) => c !== '');
  for (let i = 1; i <= parts.length; i += 1) {
    const prefix = `/${parts.slice(0, i).join('/')}`;
    const st = lstatOrUndefined(prefix);
    if (st === undefined) break;
    if (st.isSymbolicLink()) {
      throw new SeatbeltPolicyError(`writable root ${root} contains symlink component ${prefix}; symlinked writable roots are not supported`);
    }
  }
  const st = lstatOrUndefined(normalized);
  return { root: normalized, filter: st !== undefined && !st.isDirectory() ? 'literal' : 'subpath' };
}

/** M7: each ancestor of a read-only path's parent directory strictly inside the writable root. */
export function protectedAncestorsOf(root: string, readOnlyPaths: readonly string[]): string[] {
  const out = new Set<string>();
  for (const ro of readOnlyPaths) {
    let dir = path.posix.dirname(ro);
    while (dir !== root && dir.startsWith(root === '/' ? '/' : `${root}/`)) {
      out.add(dir);
      dir = path.posix.dirname(dir);
    }
  }
  return [...out].sort();
}

/** The part of a glob before its first glob character, cut back to the last `/`. */
function staticPrefix(pattern: string): { prefix: string; rest: string } {
  const first = pattern.search(/[*?[\]{}\\]/);
  if (first < 0) return { prefix: pattern, rest: '' };
  const slash = pattern.lastIndexOf('/', first);
  return { prefix: pattern.slice(0, Math.max(slash, 0)), rest: pattern.slice(slash) };
}

/** M8: the pattern and, when its static prefix has another canonical spelling, that variant. */
export function denyGlobVariants(pattern: string): string[] {
  const { prefix, rest } = staticPrefix(pattern);
  if (prefix === '' || prefix === '/') return [pattern];
  const canonical = canonicalPath(prefix);
  return canonical === prefix ? [pattern] : [pattern, `${canonical}${rest}`];
}

function requireAbsolute(p: string, what: string): void {
  if (!path.posix.isAbsolute(p)) throw new SeatbeltPolicyError(`${what} ${JSON.stringify(p)} is not an absolute path`);
}

function unixSocketAccess(options: SeatbeltHostOptions): UnixSocketAccess {
  if (options.allowAllUnixSockets === true) return { kind: 'all' };
  const paths = (options.unixSocketPaths ?? []).map((p) => {
    requireAbsolute(p, 'Unix socket path');
    return canonicalPath(path.posix.normalize(p));
  });
  return paths.length === 0 ? { kind: 'none' } : { kind: 'paths', paths: [...new Set(paths)] };
}

/** The Seatbelt input for a resolved policy, spelled as this host has its paths. */
export function seatbeltInputFor(policy: ResolvedSandboxPolicy, options: SeatbeltHostOptions = {}): SeatbeltInput {
  const unreadable = [...new Set(policy.unreadableRoots.flatMap((u) => [u, canonicalPath(u)]))].sort();
  const writableRoots: SeatbeltWritableRoot[] = [];
  const ancestors = new Set<string>();
  if (!policy.fullDiskWrite) {
    for (const w of policy.writableRoots) {
      const { root, filter } = normalizeWritableRoot(w.root);
      const excluded = w.readOnlySubpaths.map((sub) => {
        const spelled = resolveTopLevel(sub);
        const resolved = canonicalPath(spelled);
        return resolved === spelled ? { path: spelled } : { path: spelled, resolved };
      });
      protectedAncestorsOf(root, excluded.map((e) => e.path)).forEach((a) => ancestors.add(a));
      writableRoots.push({ root, filter, excluded, protectedMetadataNames: [...w.protectedMetadataNames] });
    }
  }
  const network: SeatbeltNetwork = {
    policy: policy.network,
    ...(options.proxy !== undefined ? { proxy: options.proxy } : {}),
    unixSockets: unixSocketAccess(options),
  };
  return {
    ...(options.profile !== undefined ? { profile: options.profile } : {}),
    fullDiskRead: policy.fullDiskRead,
    fullDiskWrite: policy.fullDiskWrite,
    includePlatformDefaults: policy.includePlatformDefaults,
    readableRoots: [...new Set(policy.readableRoots.map(canonicalPath))].sort(),
    unreadableRoots: unreadable,
    writableRoots,
    protectedAncestors: [...ancestors].sort(),
    denyGlobs: [...new Set(policy.unreadableGlobs.flatMap(denyGlobVariants))],
    network,
  };
}
