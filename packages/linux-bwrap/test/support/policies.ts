// Hand-built ResolvedSandboxPolicy values for the argv tests (golden and under real bwrap), so
// both describe a policy the same way. Pure data; no filesystem access.
import { PROTECTED_METADATA_NAMES, type ResolvedSandboxPolicy, type WritableRoot } from '@codex-sandbox/policy';

/** The policy's protected metadata names (the one list). */
export const META = PROTECTED_METADATA_NAMES;

/** Everything readable, nothing writable unless `overrides` says so, network restricted. */
export function restrictedPolicyAt(cwd: string, overrides: Partial<ResolvedSandboxPolicy>): ResolvedSandboxPolicy {
  return {
    kind: 'restricted',
    cwd,
    network: 'restricted',
    fullDiskRead: true,
    fullDiskWrite: false,
    includePlatformDefaults: false,
    readableRoots: [],
    writableRoots: [],
    unreadableRoots: [],
    unreadableGlobs: [],
    needsSandbox: true,
    ...overrides,
  };
}

/** A writable root `rel` (and read-only subpaths), resolved with `at`. */
export function writableRootAt(
  at: (rel: string) => string,
  rel: string,
  readOnly: string[] = [],
  names: WritableRoot['protectedMetadataNames'] = [...META],
): WritableRoot {
  return { root: at(rel), readOnlySubpaths: readOnly.map(at), protectedMetadataNames: names };
}
