// Owns naming the rule that hides a command's program from the sandbox, for "command not found: X
// (hidden by the sandbox policy: <rule>)". The wording comes from linux-bwrap's visibility rules,
// so the front end and a run through the backend say the same thing. Reads the file system
// (canonical paths) only once a program is known to be hidden. Must NOT decide visibility itself:
// the access query does, this only explains its answer.
import { hidingRule, splitDenyGlob, visibilityRules } from '@codex-sandbox/linux-bwrap';
import { isWithin, realPathOrSelf, type ResolvedSandboxPolicy } from '@codex-sandbox/policy';

/** The deny globs that could match `p`: those whose fixed directory part contains it. */
function globsCovering(policy: ResolvedSandboxPolicy, paths: readonly string[]): string[] {
  return policy.unreadableGlobs.filter((glob) => {
    try {
      const { root } = splitDenyGlob(glob);
      return paths.some((p) => isWithin(p, root));
    } catch {
      return true;
    }
  });
}

/** Why the policy hides `p` (an existing file it does not let the command read). */
export function hiddenCommandRule(policy: ResolvedSandboxPolicy, p: string): string {
  const real = realPathOrSelf(p);
  const byPath = hidingRule(visibilityRules(policy, []), p, real);
  if (byPath !== undefined) return byPath;
  // Visible as far as the paths go, so a deny glob matched it (deny globs are the access query's
  // only other way to hide a readable path).
  const globs = globsCovering(policy, [p, real]);
  if (globs.length === 1) return `${p} matches the deny glob ${globs[0]}`;
  if (globs.length > 1) return `${p} matches a deny glob (${globs.join(', ')})`;
  return `${p} is not readable under the policy`;
}
