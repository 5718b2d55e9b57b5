// Owns what deny globs deny when one path is asked about: a pattern denies the path it matches
// and everything below it (a matching directory is masked with its whole subtree, so it acts like
// a deny entry at the matched path, and a more specific grant below it still wins, P19). Either
// the patterns themselves (what the policy says) or the concrete paths a backend's scan found
// (what a run enforces). Pure: must NOT read the filesystem or expand globs on disk.
import picomatch from 'picomatch';
import { depthOf } from './paths.js';

export interface DenyGlobMatcher {
  /** Depth of the deepest component-wise prefix of `p` (`p` included) that is denied; -1 when none. */
  deniedDepth(p: string): number;
  /** The pattern (or concrete match) denying the deepest denied prefix of `p`, if any. */
  denying(p: string): string | undefined;
}

/** `/a/b` -> `/a/b`, `/a` (deepest first; `/` is never a deny target). */
function prefixesDeepestFirst(p: string): string[] {
  const parts = p.split('/').filter((c) => c !== '');
  const out: string[] = [];
  for (let i = parts.length; i >= 1; i -= 1) out.push(`/${parts.slice(0, i).join('/')}`);
  return out;
}

function matcherOver(test: (candidate: string) => string | undefined): DenyGlobMatcher {
  const denying = (p: string): { at: string; by: string } | undefined => {
    for (const prefix of prefixesDeepestFirst(p)) {
      const by = test(prefix);
      if (by !== undefined) return { at: prefix, by };
    }
    return undefined;
  };
  return {
    deniedDepth: (p) => {
      const hit = denying(p);
      return hit === undefined ? -1 : depthOf(hit.at);
    },
    denying: (p) => denying(p)?.by,
  };
}

/**
 * The patterns as the policy states them ("`*`/`?` never cross `/`", an unclosed `[` is literal).
 * `invalid` when any pattern does not compile: the caller then denies every read (fail closed).
 */
export function compileDenyGlobs(globs: readonly string[]): DenyGlobMatcher | 'invalid' {
  let matchers: Array<{ glob: string; test: (p: string) => boolean }>;
  try {
    matchers = globs.map((glob) => ({ glob, test: picomatch(glob, { dot: true, strictBrackets: false, nonegate: true, noextglob: true }) }));
  } catch {
    return 'invalid';
  }
  return matcherOver((candidate) => matchers.find((m) => m.test(candidate))?.glob);
}

/** Exactly the given absolute paths (a backend's scan results) and their subtrees. */
export function concreteDenyMatcher(paths: readonly string[]): DenyGlobMatcher {
  const set = new Set(paths);
  return matcherOver((candidate) => (set.has(candidate) ? candidate : undefined));
}
