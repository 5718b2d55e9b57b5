// Owns the ACL changes of one run (W3): allow-write ACEs for each writable root's capability SID,
// deny-write ACEs for the read-only carve-outs and protected metadata under it (also the extra
// carve-outs the legacy projection does not have), and read-execute on `NUL`; deny ACEs are listed,
// and applied, before allows. Pure: must NOT touch the filesystem or call Win32.
import type { ResolvedSandboxPolicy } from '@codex-sandbox/policy';
import { ALLOW_WRITE_MASK, DENY_WRITE_MASK, READ_EXECUTE_MASK, SUBTREE_INHERIT } from './access-masks.js';
import { readOnlyPathsUnder } from './refusals.js';

/** The device every command may read from and discard into. */
export const NULL_DEVICE_PATH = '\\\\.\\NUL';

export interface AceChange {
  path: string;
  type: 'deny' | 'allow';
  sid: string;
  /** The access mask (access-masks.ts). */
  mask: number;
  /** Inheritance flags: SUBTREE_INHERIT, or 0 for the device. */
  inheritance: number;
  /** Why: `writable root`, `read-only carve-out under R`, `NUL device`. */
  reason: string;
  /**
   * The path may not exist (a protected metadata name under a root): the runner creates it as an
   * empty directory for the run (and removes it after, if still empty) so the deny has a target.
   */
  createIfMissing: boolean;
}

export function aclPlan(policy: ResolvedSandboxPolicy, byRoot: ReadonlyMap<string, string>, tokenSids: readonly string[]): AceChange[] {
  const deny: AceChange[] = [];
  const allow: AceChange[] = [];
  for (const root of [...policy.writableRoots].sort((a, b) => a.root.localeCompare(b.root))) {
    const sid = byRoot.get(root.root);
    if (sid === undefined) throw new Error(`no capability SID for writable root ${root.root}`);
    allow.push({ path: root.root, type: 'allow', sid, mask: ALLOW_WRITE_MASK, inheritance: SUBTREE_INHERIT, reason: 'writable root', createIfMissing: false });
    const existing = new Set(root.readOnlySubpaths);
    for (const carveOut of readOnlyPathsUnder(root)) {
      deny.push({
        path: carveOut,
        type: 'deny',
        sid,
        mask: DENY_WRITE_MASK,
        inheritance: SUBTREE_INHERIT,
        reason: `read-only under ${root.root}`,
        createIfMissing: !existing.has(carveOut),
      });
    }
  }
  const device = tokenSids.map((sid): AceChange => ({
    path: NULL_DEVICE_PATH,
    type: 'allow',
    sid,
    mask: READ_EXECUTE_MASK,
    inheritance: 0,
    reason: 'NUL device',
    createIfMissing: false,
  }));
  return [...deny, ...allow, ...device];
}
