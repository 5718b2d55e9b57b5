// Boundaries.nearest looks a path's ancestors up instead of scanning every rule: it must give the
// answer of the scan (the deepest covering rule, the first added at equal depth) on every table row.
// Rules are normalised absolute paths, as the policy hands them over.
import { depthOf, isWithin } from '@codex-sandbox/policy';
import { Boundaries } from '../src/mount-rules.js';

type Kind = 'deny' | 'read' | 'write';
const RULES: Array<[string, Kind]> = [
  ['/', 'read'],
  ['/home/u/ws', 'write'],
  ['/home/u/ws/.git', 'read'],
  ['/home/u/ws/a/x.env', 'deny'],
  ['/home/u/ws/a/x.env', 'read'],
  ['/home/u/ws/secret', 'deny'],
  ['/home/u/ws/secret/open', 'read'],
  ['/opt/t', 'deny'],
];

/** The scan Boundaries used to do. */
function reference(p: string, inclusive: boolean): { path: string; kind: Kind } | undefined {
  let best: { path: string; kind: Kind } | undefined;
  for (const [path, kind] of RULES) {
    const covers = inclusive ? isWithin(p, path) : p !== path && isWithin(p, path);
    if (covers && (best === undefined || depthOf(path) > depthOf(best.path))) best = { path, kind };
  }
  return best;
}

describe('Boundaries.nearest', () => {
  const boundaries = new Boundaries();
  for (const [path, kind] of RULES) boundaries.add(path, kind);
  const PATHS = ['/', '/home', '/home/u/ws', '/home/u/ws/src/f.ts', '/home/u/ws/.git', '/home/u/ws/.git/config', '/home/u/ws/a/x.env',
    '/home/u/ws/a/x.env/below', '/home/u/ws/secret', '/home/u/ws/secret/f', '/home/u/ws/secret/open/g', '/home/u/wsx', '/opt/t', '/opt/tt', '/opt/t/f'];
  it.each(PATHS.flatMap((p) => [[p, false], [p, true]] as const))('%s (inclusive %s) as the full scan says', (p, inclusive) => {
    expect(boundaries.nearest(p, inclusive)).toEqual(reference(p, inclusive));
  });

  it('has() is exact, and the first rule at a path wins', () => {
    expect(boundaries.has('/home/u/ws/secret')).toBe(true);
    expect(boundaries.has('/home/u/ws/secret/f')).toBe(false);
    expect(boundaries.nearest('/home/u/ws/a/x.env', true)?.kind).toBe('deny');
  });
});
