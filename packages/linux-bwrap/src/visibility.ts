// Owns whether a host path can be seen inside the sandbox, as the resolved policy says (P19: the
// most specific rule wins, a deny wins a tie; P24: the path as spelled is checked against the rules
// as written, its canonical spelling against canonicalised rules, a deny in either wins). Used only
// to tell "hidden by the policy" from "missing" for the command's program before bwrap runs (the
// lookup itself is @codex-sandbox/policy's `lookUpCommand`), and to name the rule that hides it.
// Must NOT build argv or widen anything: the mounts stay the only enforcement; a wrong answer here
// can only change which error message a command that cannot run gets.

import * as path from 'node:path';

import { depthOf, isWithin, realPathOrSelf, type ResolvedSandboxPolicy } from '@codex-sandbox/policy';

import { PLATFORM_DEFAULT_READ_ROOTS } from './filesystem-args.js';

export interface VisibilityRule {
  path: string;
  visible: boolean;
  /** For a hiding rule that is not a denied path as written (a deny-glob match): what it is. */
  origin?: string;
}

export interface VisibilityRules {
  /** Rules as written in the policy. */
  lexical: VisibilityRule[];
  /** The same rules with each path canonicalised (when it exists). */
  canonical: VisibilityRule[];
}

/** Pure: the most specific rule covering `p` (a deny wins a tie); undefined when none covers it. */
function decidingRule(rules: readonly VisibilityRule[], p: string): VisibilityRule | undefined {
  let best: VisibilityRule | undefined;
  for (const rule of rules) {
    if (!isWithin(p, rule.path)) continue;
    const deeper = best === undefined || depthOf(rule.path) > depthOf(best.path);
    const denyTie = best !== undefined && depthOf(rule.path) === depthOf(best.path) && !rule.visible;
    if (deeper || denyTie) best = rule;
  }
  return best;
}

/** Pure: the verdict of the most specific rule covering `p`; undefined when none covers it. */
export function ruleVerdict(rules: readonly VisibilityRule[], p: string): boolean | undefined {
  return decidingRule(rules, p)?.visible;
}

function hidingRuleText(rule: VisibilityRule | undefined, p: string): string | undefined {
  if (rule === undefined) return `${p} is outside every readable root`;
  if (rule.visible) return undefined;
  return rule.origin !== undefined ? `${rule.path} is denied (${rule.origin})` : `${rule.path} is denied`;
}

/**
 * Pure: the rule that hides `lexical` (whose real location is `canonical`) from the command, in
 * the policy's terms, e.g. `/opt/tools is denied`; undefined when it is visible. The text of the
 * messages "command not found: X (hidden by the sandbox policy: <rule>)".
 */
export function hidingRule(rules: VisibilityRules, lexical: string, canonical: string): string | undefined {
  const spelled = hidingRuleText(decidingRule(rules.lexical, lexical), lexical);
  if (spelled !== undefined) return spelled;
  const real = hidingRuleText(decidingRule(rules.canonical, canonical), canonical);
  return real === undefined ? undefined : `${lexical} resolves to ${canonical}; ${real}`;
}

/**
 * Pure: `lexical` is the path as spelled, `canonical` its real location. Both must be granted: the
 * spelled path must be reachable inside (outside every granted root there is only an empty tmpfs
 * root) and the place it resolves to must be mounted and not masked.
 */
export function isVisibleInSandbox(rules: VisibilityRules, lexical: string, canonical: string): boolean {
  return ruleVerdict(rules.lexical, lexical) === true && ruleVerdict(rules.canonical, canonical) === true;
}

/** Pure: the rules of a restricted policy; `denied` adds concrete deny paths (deny-glob matches). */
export function policyVisibilityRules(policy: ResolvedSandboxPolicy, denied: readonly string[]): VisibilityRule[] {
  const grants = [
    ...(policy.fullDiskRead ? ['/'] : []),
    ...(policy.includePlatformDefaults ? PLATFORM_DEFAULT_READ_ROOTS : []),
    ...policy.readableRoots,
    ...policy.writableRoots.map((root) => root.root),
  ];
  return [
    ...grants.map((p) => ({ path: path.posix.normalize(p), visible: true })),
    ...policy.unreadableRoots.map((p) => ({ path: path.posix.normalize(p), visible: false })),
    ...denied.map((p) => ({ path: path.posix.normalize(p), visible: false, origin: 'it matches a deny glob' })),
  ];
}

/** Reads the file system: canonicalises every rule path. */
export function visibilityRules(policy: ResolvedSandboxPolicy, denied: readonly string[]): VisibilityRules {
  const lexical = policyVisibilityRules(policy, denied);
  return { lexical, canonical: lexical.map((rule) => ({ ...rule, path: realPathOrSelf(rule.path) })) };
}

/**
 * Reads the file system: the answers the command lookup (@codex-sandbox/policy `lookUpCommand`)
 * needs for a host path under `rules`: whether the command can see it (as spelled and where it
 * really is), and the rule that hides it.
 */
export function commandVisibility(rules: VisibilityRules): { visible: (p: string) => boolean; rule: (p: string) => string } {
  return {
    visible: (p) => isVisibleInSandbox(rules, p, realPathOrSelf(p)),
    rule: (p) => hidingRule(rules, p, realPathOrSelf(p)) ?? `${p} is not visible`,
  };
}
