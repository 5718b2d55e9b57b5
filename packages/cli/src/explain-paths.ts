// Owns which paths the dry-run table lists, so that it says each thing once and correctly: a
// readable root already covered by a broader readable one is not repeated (unless a denied path
// lies between them, where it is a real re-grant), writable roots are listed only under
// "writable" (writable implies readable), and a carve-out that is denied is not called read-only.
// Pure over the resolved policy; must NOT format text (explain.ts does).
import { isWithin, type ResolvedSandboxPolicy } from '@codex-sandbox/policy';

/** True when `p` is a denied path or lies under one. */
function isDeniedPath(policy: ResolvedSandboxPolicy, p: string): boolean {
  return policy.unreadableRoots.some((denied) => isWithin(p, denied));
}

/** A denied path strictly between `ancestor` and `p` (so `p` being granted is news). */
function deniedBetween(policy: ResolvedSandboxPolicy, ancestor: string, p: string): boolean {
  return policy.unreadableRoots.some((denied) => denied !== ancestor && isWithin(denied, ancestor) && isWithin(p, denied));
}

/** The readable roots worth listing: not writable roots, not covered by another listed grant. */
export function listedReadableRoots(policy: ResolvedSandboxPolicy): string[] {
  const writable = new Set(policy.writableRoots.map((w) => w.root));
  const grants = [...policy.readableRoots, ...writable];
  return policy.readableRoots.filter(
    (root) => !writable.has(root) && !grants.some((other) => other !== root && isWithin(root, other) && !deniedBetween(policy, other, root)),
  );
}

/** A writable root's read-only carve-outs, without those that are denied outright. */
export function listedReadOnlySubpaths(policy: ResolvedSandboxPolicy, carveOuts: readonly string[]): string[] {
  return carveOuts.filter((p) => !isDeniedPath(policy, p));
}
