// Owns the decision whether the unelevated restricted-token backend can enforce a resolved policy
// (W2, W3), and the refusal message when it cannot. Pure: must NOT touch the OS, build SIDs or ACLs,
// or weaken a policy to make it fit; a policy it cannot enforce is refused, never run unsandboxed.
import { PolicyError, isWithin, resolveLegacyProjection, type PermissionProfile, type ResolveContext, type ResolvedSandboxPolicy } from '@codex-sandbox/policy';
import { WindowsRefusalError } from './errors.js';

/** Ends every refusal: nothing runs, and nothing runs without the sandbox either. */
export const WINDOWS_REFUSAL_SUFFIX = 'refusing to run unsandboxed';

export interface EnforceabilityInput {
  /** The selected profile's kind: `disabled` and `external` are never enforceable here (W2). */
  profileType: PermissionProfile['type'];
  policy: ResolvedSandboxPolicy;
  /**
   * Writable roots of the profile's legacy projection (P30), resolved like the policy's own;
   * undefined when the profile has no legacy projection.
   */
  legacyWritableRoots: readonly string[] | undefined;
  /** The profile runs behind the managed network proxy (domains, mode...). */
  managedNetwork: boolean;
}

/** The writable roots of the profile's legacy projection (P30); undefined when it has none. */
export function legacyWritableRoots(profile: PermissionProfile, ctx: ResolveContext): string[] | undefined {
  try {
    return resolveLegacyProjection(profile, ctx).writableRoots.map((w) => w.root);
  } catch (error) {
    if (error instanceof PolicyError) return undefined;
    throw error;
  }
}

/** The paths under a writable root that stay read-only: carve-outs and protected metadata names. */
export function readOnlyPathsUnder(root: ResolvedSandboxPolicy['writableRoots'][number]): string[] {
  // A Windows root (`C:\\x`, `\\\\server\\share`) joins with its own separator.
  const sep = /^([A-Za-z]:)?\\/.test(root.root) ? '\\' : '/';
  const join = (name: string): string => (root.root.endsWith(sep) ? `${root.root}${name}` : `${root.root}${sep}${name}`);
  return [...new Set([...root.readOnlySubpaths, ...root.protectedMetadataNames.map(join)])].sort();
}

/** Throws WindowsRefusalError naming the first rule the policy breaks; returns when it is enforceable. */
export function checkEnforceable(input: EnforceabilityInput): void {
  const reason = refusalReason(input);
  if (reason !== undefined) throw new WindowsRefusalError(reason.rule, `${reason.text}; ${WINDOWS_REFUSAL_SUFFIX}`);
}

function fileSystemName(policy: ResolvedSandboxPolicy): string {
  if (policy.kind !== 'restricted') return policy.kind;
  return policy.fullDiskWrite ? 'unrestricted-write' : 'restricted';
}

function refusalReason(input: EnforceabilityInput): { rule: 'W2' | 'W3'; text: string } | undefined {
  const { policy } = input;
  // W2: only managed profiles without full-disk write.
  if (input.profileType !== 'managed' || policy.kind !== 'restricted' || policy.fullDiskWrite) {
    return {
      rule: 'W2',
      text: `windows sandbox backend cannot enforce file_system=${fileSystemName(policy)}, network=${policy.network}, permission_profile=${input.profileType}`,
    };
  }
  if (input.managedNetwork) {
    return { rule: 'W3', text: 'managed networking requires the elevated Windows sandbox backend, which this build does not have' };
  }
  // A WRITE_RESTRICTED token checks restricting SIDs for writes only: reads are the user's own, so
  // neither a denied path nor a missing read of the root can be enforced.
  const denied = [...policy.unreadableRoots, ...policy.unreadableGlobs];
  if (denied.length > 0) {
    return { rule: 'W3', text: `the unelevated Windows sandbox cannot enforce deny-read paths (${denied.join(', ')})` };
  }
  if (!policy.fullDiskRead) {
    return { rule: 'W3', text: 'the unelevated Windows sandbox cannot restrict reads: the policy lacks read access to the filesystem root' };
  }
  const own = [...new Set(policy.writableRoots.map((w) => w.root))].sort();
  if (input.legacyWritableRoots === undefined) {
    return { rule: 'W3', text: 'the unelevated Windows sandbox needs a policy with a legacy projection, and this one has none (writes outside the workspace)' };
  }
  const legacy = [...new Set(input.legacyWritableRoots)].sort();
  if (JSON.stringify(own) !== JSON.stringify(legacy)) {
    return {
      rule: 'W3',
      text: `the unelevated Windows sandbox cannot enforce writable roots (${own.join(', ') || 'none'}) that differ from the policy's legacy projection (${legacy.join(', ') || 'none'})`,
    };
  }
  for (const outer of policy.writableRoots) {
    for (const carveOut of readOnlyPathsUnder(outer)) {
      const reopened = policy.writableRoots.find((inner) => inner.root !== outer.root && isWithin(inner.root, carveOut));
      if (reopened !== undefined) {
        return {
          rule: 'W3',
          text: `the unelevated Windows sandbox cannot reopen ${reopened.root} for writing under the read-only ${carveOut} (a deny-write ACE there would apply to it too)`,
        };
      }
    }
  }
  return undefined;
}
