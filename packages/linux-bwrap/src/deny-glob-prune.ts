// Which directories of a deny-glob search root can lead to a match, and which names in a listed
// directory are worth handing to the full matcher: each glob is cut into its `/`-separated segments
// and followed segment by segment as the walker descends (a `**` segment consumes any number of
// names). Lets the walker skip subtrees no glob can reach and test most names with one cheap check.
// Pure. Must NOT decide what matches: it only rules out; every hit is confirmed by the full matcher
// (deny-glob-scan.ts), so a glob this module cannot take apart exactly (a `{...}`, `[...]` or `\`
// spanning a `/`, an empty segment) is followed as "anything may match anywhere", never guessed.

import picomatch from 'picomatch';

/**
 * A compiled segment: `**`, or one name's test: equal to the segment's text (picomatch's own first
 * check) or matched by picomatch's regular expression for it (null for a literal).
 */
type Segment = { globstar: true } | { globstar: false; text: string; re: RegExp | null };

function testSegment(segment: { text: string; re: RegExp | null }, name: string): boolean {
  return name === segment.text || (segment.re !== null && segment.re.test(name));
}

/** One glob's segments, or `null` when it is followed as "may match anything". */
type Plan = Segment[] | null;

/** Where the walk stands in every glob at one directory. Opaque outside this module. */
export interface GlobWalkState {
  /** Per glob: the set of segment positions reached (closed over `**`), or null (unprunable). */
  readonly positions: ReadonlyArray<readonly number[] | null>;
  /** The names that can complete a glob at this directory; null when any name may. */
  readonly completes: { readonly texts: ReadonlySet<string>; readonly re: RegExp | null } | null;
}

export interface GlobWalk {
  /** The state at the search root. */
  readonly start: GlobWalkState;
  /** The state inside child directory `name`, or null when no entry below it can match any glob. */
  descend(state: GlobWalkState, name: string): GlobWalkState | null;
  /** False only when no glob can match the entry `name` of a directory at `state`. */
  mayMatch(state: GlobWalkState, name: string): boolean;
}

// The policy's matcher options exactly (deny-glob-match.ts; deny-glob-scan.ts's compileGlobMatcher),
// so a segment test agrees with the full matcher on the segment it covers.
const OPTIONS = { dot: true, noextglob: true, strictBrackets: false, nonegate: true } as const;
const META = /[*?[\]{}\\]/;

/**
 * `a/{b,c}/*.env` -> ['a', '{b,c}', '*.env']; null when a `/` sits inside braces or brackets or
 * after a backslash (the pattern then does not split into independent segments) or a segment is empty.
 */
export function splitGlobSegments(glob: string): string[] | null {
  const segments: string[] = [];
  let braces = 0;
  let bracket = false;
  let start = 0;
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i];
    if (ch === '\\') {
      if (glob[i + 1] === '/' || i + 1 >= glob.length) return null;
      i++;
    } else if (bracket) {
      if (ch === ']') bracket = false;
      else if (ch === '/') return null;
    } else if (ch === '[') {
      bracket = true;
    } else if (ch === '{') {
      braces++;
    } else if (ch === '}') {
      if (braces > 0) braces--;
    } else if (ch === '/') {
      if (braces > 0) return null;
      segments.push(glob.slice(start, i));
      start = i + 1;
    }
  }
  segments.push(glob.slice(start));
  return segments.every((segment) => segment !== '') ? segments : null;
}

function planOf(glob: string): Plan {
  const parts = splitGlobSegments(glob);
  if (parts === null) return null;
  return parts.map((part): Segment => {
    if (part === '**') return { globstar: true };
    return { globstar: false, text: part, re: META.test(part) ? picomatch.makeRe(part, OPTIONS) : null };
  });
}

/** `positions` plus every position reachable from them by letting a `**` match nothing. */
function closure(plan: Segment[], positions: Iterable<number>): number[] {
  const out = new Set<number>();
  for (const start of positions) {
    let i = start;
    out.add(i);
    while (i < plan.length && plan[i]?.globstar === true) out.add(++i);
  }
  return [...out].sort((a, b) => a - b);
}

/** Positions after one name is consumed at `positions` (closed). */
function step(plan: Segment[], positions: readonly number[], name: string): number[] {
  const next: number[] = [];
  for (const i of positions) {
    const segment = plan[i];
    if (segment === undefined) continue;
    if (segment.globstar) next.push(i);
    else if (testSegment(segment, name)) next.push(i + 1);
  }
  return closure(plan, next);
}

function stateOf(plans: readonly Plan[], positions: ReadonlyArray<readonly number[] | null>): GlobWalkState {
  const texts = new Set<string>();
  const sources = new Set<string>();
  let any = false;
  positions.forEach((at, index) => {
    const plan = plans[index];
    if (at === null || plan === null || plan === undefined) {
      any = true;
      return;
    }
    for (const i of at) {
      const segment = plan[i];
      if (segment === undefined) continue;
      // Consuming a name here must be able to reach the end of the glob.
      const after = closure(plan, [segment.globstar ? i : i + 1]);
      if (!after.includes(plan.length)) continue;
      if (segment.globstar) {
        any = true;
      } else {
        texts.add(segment.text);
        if (segment.re !== null) sources.add(`(?:${segment.re.source})`);
      }
    }
  });
  // One expression for all of them: one test per name however many globs there are.
  const re = sources.size === 0 ? null : new RegExp([...sources].join('|'));
  return { positions, completes: any ? null : { texts, re } };
}

/** Compiles the globs (relative to one search root) once for a whole walk. */
export function compileGlobWalk(globs: readonly string[]): GlobWalk {
  const plans = globs.map(planOf);
  const start = stateOf(
    plans,
    plans.map((plan) => (plan === null ? null : closure(plan, [0]))),
  );
  return {
    start,
    descend(state, name) {
      let alive = false;
      const positions = state.positions.map((at, index) => {
        const plan = plans[index];
        if (at === null || plan === null || plan === undefined) {
          alive = true;
          return null;
        }
        const next = step(plan, at, name);
        // Below this directory a glob needs a segment still to consume.
        if (next.some((i) => i < plan.length)) alive = true;
        return next;
      });
      return alive ? stateOf(plans, positions) : null;
    },
    mayMatch(state, name) {
      const { completes } = state;
      return completes === null || completes.texts.has(name) || (completes.re !== null && completes.re.test(name));
    },
  };
}
