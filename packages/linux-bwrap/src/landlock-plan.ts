// Owns the decisions of the legacy Landlock backend (LL1-LL6 in docs/behaviour.md): which
// policies it can enforce exactly and the refusal for every other one, and, for those it can, the
// Landlock ruleset (handled rights for the kernel's ABI, one rule per path) and the seccomp mode.
// Landlock can only grant access below a path, never take it back deeper down, so every
// carve-out (a denied path inside what is readable, a read-only path inside what is writable) is
// a refusal, not an approximation. Pure: reads nothing from the host but `fs.realpathSync` of the
// rule paths. Must NOT probe the kernel (the caller passes the ABI) or spawn anything.

import * as fs from 'node:fs';
import * as path from 'node:path';

import { isWithin, PROTECTED_METADATA_NAMES, type ResolvedSandboxPolicy } from '@codex-sandbox/policy';

import type { BwrapNetworkMode } from './bwrap-args.js';
import { SandboxRuntimeError } from './runtime-errors.js';
import type { SeccompMode } from './seccomp.js';

/** The policy asks for something the legacy Landlock backend cannot enforce; nothing was run. */
export class LandlockUnsupportedError extends SandboxRuntimeError {}

/** LANDLOCK_ACCESS_FS_* (include/uapi/linux/landlock.h), with the ABI that introduced each. */
const FS_RIGHTS = [
  ['execute', 1],
  ['write_file', 1],
  ['read_file', 1],
  ['read_dir', 1],
  ['remove_dir', 1],
  ['remove_file', 1],
  ['make_char', 1],
  ['make_dir', 1],
  ['make_reg', 1],
  ['make_sock', 1],
  ['make_fifo', 1],
  ['make_block', 1],
  ['make_sym', 1],
  ['refer', 2],
  ['truncate', 3],
  ['ioctl_dev', 5],
] as const;
export type LandlockFsRight = (typeof FS_RIGHTS)[number][0];

/** LANDLOCK_ACCESS_NET_* (ABI 4) and LANDLOCK_SCOPE_* (ABI 6). */
const NET_RIGHTS = [['bind_tcp', 4], ['connect_tcp', 4]] as const;
const SCOPES = [['abstract_unix_socket', 6], ['signal', 6]] as const;
export type LandlockNetRight = (typeof NET_RIGHTS)[number][0];
export type LandlockScope = (typeof SCOPES)[number][0];

/** truncate(2) of a read-only file is confined from ABI 3 (Linux 6.2) on: the floor for any write limit. */
export const MIN_ABI_FOR_WRITE_LIMITS = 3;

const READ_RIGHTS: readonly LandlockFsRight[] = ['execute', 'read_file', 'read_dir'];
/** Devices every command may write (as in bwrap's /dev), besides the writable roots. */
const WRITABLE_DEVICES = ['/dev/null'] as const;

export interface LandlockRule {
  /** Canonical path the rule is attached to (the helper refuses if it has become a symlink). */
  path: string;
  /** Why the rule is there, for the dry run. */
  role: 'read' | 'write' | 'device';
  access: LandlockFsRight[];
}

export interface LandlockPlan {
  /** The kernel's ABI, which the masks are planned for (the helper refuses a kernel with less). */
  abi: number;
  handledFs: LandlockFsRight[];
  handledNet: LandlockNetRight[];
  scopes: LandlockScope[];
  rules: LandlockRule[];
  /** Installed after Landlock, with ioctl(TIOCSTI) refused too (the command shares the host's terminals). */
  seccompMode: SeccompMode;
  /**
   * The policy lets the command write nothing (but /dev/null): chmod, chown, utime and xattr
   * changes, which Landlock does not confine, are refused by seccomp too (LL4).
   */
  denyMetadataChanges: boolean;
  warnings: string[];
}

export interface LandlockPlanInput {
  policy: ResolvedSandboxPolicy;
  network: BwrapNetworkMode;
  /** The kernel's Landlock ABI; 0 when it has none. */
  abi: number;
  /** Why the kernel has no Landlock, when abi is 0 (errno text). */
  abiUnavailableReason?: string;
  /**
   * Host paths that must stay read-only whatever the policy says: CODEX_HOME and the config files
   * read, the front end's state directory and its own files. Inside a writable root they refuse
   * the run (Landlock cannot carve them out).
   */
  protectedPaths: readonly string[];
}

const DIRECT_ENFORCEMENT = 'permission profiles requiring direct runtime enforcement are incompatible with --use-legacy-landlock';
const RESTRICTED_READ = 'Restricted read-only access is not supported by the legacy Linux Landlock filesystem backend.';
const WAY_OUT = 'Run where bubblewrap can create namespaces (without features.use_legacy_landlock), or change the profile.';

function bitsOf<T extends string>(table: ReadonlyArray<readonly [T, number]>, names: readonly T[]): number {
  let mask = 0;
  table.forEach(([name], bit) => {
    if (names.includes(name)) mask |= 1 << bit;
  });
  return mask;
}

function supported<T extends string>(table: ReadonlyArray<readonly [T, number]>, abi: number): T[] {
  return table.filter(([, since]) => since <= abi).map(([name]) => name);
}

/** The masks of a plan as the helper's spec carries them. */
export function landlockMasks(plan: Pick<LandlockPlan, 'handledFs' | 'handledNet' | 'scopes'>): { fs: number; net: number; scoped: number } {
  return { fs: bitsOf(FS_RIGHTS, plan.handledFs), net: bitsOf(NET_RIGHTS, plan.handledNet), scoped: bitsOf(SCOPES, plan.scopes) };
}

export function landlockRuleMask(rule: Pick<LandlockRule, 'access'>): number {
  return bitsOf(FS_RIGHTS, rule.access);
}

function canonical(p: string): string {
  try {
    return fs.realpathSync.native(p);
  } catch {
    return p; // Missing: the helper grants nothing on a path that is not there.
  }
}

/**
 * A writable root that is a metadata directory the profile made writable inside another writable
 * root (`/w/.git = "write"` next to `/w = "write"`): its own metadata names (`/w/.git/.git`) are
 * left to the grant that made the whole directory writable (LL2), with a warning.
 */
function isGrantedMetadataDir(root: string, writable: readonly string[]): boolean {
  return (PROTECTED_METADATA_NAMES as readonly string[]).includes(path.posix.basename(root)) && writable.some((w) => w !== root && isWithin(root, w));
}

/** LL2: the directories whose own metadata names isGrantedMetadataDir leaves writable, for the warning. */
function nestedMetadataDirs(policy: ResolvedSandboxPolicy): string[] {
  const writable = policy.writableRoots.map((w) => w.root);
  return policy.writableRoots.filter((w) => w.protectedMetadataNames.length > 0 && isGrantedMetadataDir(w.root, writable)).map((w) => w.root);
}

/** LL2: every read-only carve-out inside a writable root, as "<path> (inside <root>)". */
function carveOuts(policy: ResolvedSandboxPolicy, protectedPaths: readonly string[]): string[] {
  const out: string[] = [];
  const writable = policy.writableRoots.map((w) => w.root);
  for (const root of policy.writableRoots) {
    for (const sub of root.readOnlySubpaths) out.push(`${sub} (inside ${root.root})`);
    if (isGrantedMetadataDir(root.root, writable)) continue;
    for (const name of root.protectedMetadataNames) {
      const target = path.posix.join(root.root, name);
      // A deeper writable root at the name makes it writable on purpose.
      if (!writable.includes(target)) out.push(`${target} (inside ${root.root})`);
    }
  }
  for (const p of protectedPaths) {
    const owner = policy.writableRoots.find((w) => isWithin(p, w.root) || isWithin(canonical(p), canonical(w.root)));
    if (owner !== undefined) out.push(`${p} (the front end's own state, inside ${owner.root})`);
  }
  return [...new Set(out)];
}

/** LL1-LL4: the refusals, in the order a user would fix them. */
function refusal(input: LandlockPlanInput): string | undefined {
  const { policy, network } = input;
  if (network === 'proxy-only') {
    return (
      'a managed network proxy needs bubblewrap (the command gets a network namespace of its own whose only way out is the proxy); ' +
      `the legacy Landlock backend cannot route it. ${WAY_OUT}`
    );
  }
  if (!policy.fullDiskRead) return `${RESTRICTED_READ} ${WAY_OUT}`;
  const denied = [...policy.unreadableRoots, ...policy.unreadableGlobs];
  if (denied.length > 0) {
    return `${DIRECT_ENFORCEMENT}: Landlock cannot hide ${denied.join(', ')} inside what the profile lets the command read. ${WAY_OUT}`;
  }
  const kept = carveOuts(policy, input.protectedPaths);
  if (kept.length > 0) {
    return (
      `${DIRECT_ENFORCEMENT}: Landlock can only grant access below a path, so it cannot keep ${kept.join(', ')} read-only. ` +
      `${WAY_OUT} (Granting write on such a path in the profile makes it writable on purpose.)`
    );
  }
  if (input.abi < 1) {
    const why = input.abiUnavailableReason === undefined ? '' : ` (${input.abiUnavailableReason})`;
    return `this kernel offers no Landlock${why}, which features.use_legacy_landlock needs; refusing to run unsandboxed. ${WAY_OUT}`;
  }
  if (!policy.fullDiskWrite && input.abi < MIN_ABI_FOR_WRITE_LIMITS) {
    return (
      `this kernel offers Landlock ABI ${input.abi}, which cannot stop truncate(2) of files outside the writable roots ` +
      `(ABI ${MIN_ABI_FOR_WRITE_LIMITS}, Linux 6.2, is needed); refusing to run. ${WAY_OUT}`
    );
  }
  return undefined;
}

/** The Landlock plan of a policy, or LandlockUnsupportedError naming what cannot be enforced. */
export function planLandlock(input: LandlockPlanInput): LandlockPlan {
  const why = refusal(input);
  if (why !== undefined) throw new LandlockUnsupportedError(why);
  const { policy, abi } = input;
  const handledFs = supported(FS_RIGHTS, abi);
  const rules: LandlockRule[] = [];
  if (policy.fullDiskWrite) {
    rules.push({ path: '/', role: 'write', access: handledFs });
  } else {
    rules.push({ path: '/', role: 'read', access: READ_RIGHTS.filter((r) => handledFs.includes(r)) });
    for (const device of WRITABLE_DEVICES) {
      rules.push({ path: device, role: 'device', access: handledFs.filter((r) => ['read_file', 'write_file', 'truncate', 'ioctl_dev'].includes(r)) });
    }
    for (const root of policy.writableRoots) rules.push({ path: canonical(root.root), role: 'write', access: handledFs });
  }
  const isolated = input.network === 'isolated';
  const handledNet = isolated ? supported(NET_RIGHTS, abi) : [];
  // Signals: bwrap's pid namespace keeps the command from every host process; Landlock's scope is
  // the same fence. Abstract sockets: only when the network is off (bwrap shares the host's network
  // namespace, and with it the abstract socket namespace, when the profile enables the network).
  const scopes = supported(SCOPES, abi).filter((s) => s === 'signal' || isolated);
  const warnings: string[] = [];
  const nested = nestedMetadataDirs(policy);
  if (nested.length > 0) {
    warnings.push(
      `the profile makes ${nested.join(', ')} writable, so under Landlock the metadata names inside them ` +
        `(${PROTECTED_METADATA_NAMES.join(', ')}) are writable too (bubblewrap would keep them read-only)`,
    );
  }
  if (!scopes.includes('signal')) {
    warnings.push(
      `this kernel offers Landlock ABI ${abi}; signal scoping needs ABI 6 (Linux 6.12), so the command can signal the user's other processes ` +
        '(it still cannot trace them or read their memory)',
    );
  }
  return {
    abi,
    handledFs,
    handledNet,
    scopes,
    rules,
    seccompMode: isolated ? 'restricted' : 'base',
    denyMetadataChanges: !policy.fullDiskWrite && policy.writableRoots.length === 0,
    warnings,
  };
}
