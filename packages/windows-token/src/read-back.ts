// Owns the fail-closed check of a prepared run (W7): what the OS reports back about the token and
// the DACLs, compared with the plan. Any difference is a reason to refuse: the backend checks
// rather than assumes. Pure: the runner gathers the facts through Win32; must NOT call Win32 here.
import { INHERITED_ACE, SUBTREE_INHERIT } from './access-masks.js';
import type { WindowsSandboxPlan } from './plan.js';

export interface TokenFacts {
  /** IsTokenRestricted. */
  isRestricted: boolean;
  /** TokenRestrictedSids as string SIDs, in the token's order; undefined when the query failed. */
  restrictingSids: string[] | undefined;
}

export interface AceFact {
  type: 'allow' | 'deny' | 'other';
  sid: string;
  mask: number;
  flags: number;
}

/** The DACL of one path as read back; `aces` undefined when it could not be read. */
export interface DaclFacts {
  path: string;
  aces: AceFact[] | undefined;
  /** A NULL DACL: everyone has every access (so allows hold and denies cannot). */
  nullDacl?: boolean;
}

/** Every way the prepared state differs from the plan; empty means it matches. */
export function readBackMismatches(plan: WindowsSandboxPlan, token: TokenFacts, dacls: readonly DaclFacts[]): string[] {
  const problems: string[] = [];
  if (!token.isRestricted) problems.push('IsTokenRestricted reports that the new token is not restricted');
  if (token.restrictingSids === undefined) {
    problems.push("the new token's restricting SIDs cannot be read back");
  } else if (JSON.stringify(token.restrictingSids) !== JSON.stringify(plan.token.restrictingSids)) {
    problems.push(`the new token's restricting SIDs are [${token.restrictingSids.join(', ')}], not [${plan.token.restrictingSids.join(', ')}]`);
  }
  const byPath = new Map(dacls.map((d) => [d.path, d]));
  for (const planned of plan.aces) {
    const facts = byPath.get(planned.path);
    if (facts?.nullDacl === true) {
      if (planned.type === 'deny') problems.push(`${planned.path} has a NULL DACL (everyone has full access), so its deny ACE is missing`);
      continue;
    }
    const aces = facts?.aces;
    if (aces === undefined) {
      problems.push(`the DACL of ${planned.path} cannot be read back`);
      continue;
    }
    const index = aces.findIndex(
      (a) =>
        a.type === planned.type &&
        a.sid === planned.sid &&
        (a.mask & planned.mask) === planned.mask &&
        (a.flags & INHERITED_ACE) === 0 &&
        (a.flags & SUBTREE_INHERIT) === planned.inheritance,
    );
    if (index < 0) {
      problems.push(`${planned.path} has no explicit ${planned.type} ACE for ${planned.sid} with mask 0x${planned.mask.toString(16)}`);
      continue;
    }
    // Deny before allow: an allow ACE ahead of the deny would be evaluated first.
    if (planned.type === 'deny') {
      const firstAllow = aces.findIndex((a) => a.type === 'allow');
      if (firstAllow >= 0 && firstAllow < index) problems.push(`on ${planned.path} an allow ACE precedes the deny ACE for ${planned.sid}`);
    }
  }
  return problems;
}
