// Owns the dry-run rendering of a restricted-token plan (W8): text lines for people and a JSON-able
// object for tools, both from the same plan. Pure: must NOT plan (a policy the backend cannot
// enforce never reaches here: planWindowsSandbox throws the run's own refusal first), resolve
// anything, or print.
import { ALLOW_WRITE_MASK, DENY_WRITE_MASK, GENERIC_ALL, READ_EXECUTE_MASK } from './access-masks.js';
import { newCapabilitySids, type CapabilitySids, type SidAllocator } from './capability-sids.js';
import type { HostIdentity, WindowsSandboxPlan } from './plan.js';

/**
 * The JSON form of a dry run (`--json`). Stable keys; masks as `0x` hex strings with a name.
 *   backend     "windows-restricted-token"
 *   token       flags (names), restrictingSids (in order), defaultDacl [{sid, access}], enabledPrivileges
 *   acl         [{path, ace: "deny"|"allow", sid, access: "deny-write"|"allow-write"|"read-execute", mask, inherit, reason, createIfMissing}]
 *   environment set {NAME: value} (what the backend sets over the command's environment),
 *               denyBin {directory, files} or null
 *   process     applicationName, commandLine (exactly what CreateProcessAsUserW gets), argv, cwd,
 *               stdio "inherited", job "kill-on-close"
 *   capabilitySidFile  {willBeWritten}: a run writes `$CODEX_HOME/cap_sid` first
 *   warnings    strings
 */
export interface WindowsDryRunJson {
  backend: 'windows-restricted-token';
  token: {
    flags: string[];
    restrictingSids: string[];
    defaultDacl: Array<{ sid: string; access: string }>;
    enabledPrivileges: string[];
  };
  acl: Array<{
    path: string;
    ace: 'deny' | 'allow';
    sid: string;
    access: string;
    mask: string;
    inherit: boolean;
    reason: string;
    createIfMissing: boolean;
  }>;
  environment: { set: Record<string, string>; denyBin: { directory: string; files: string[] } | null };
  process: { applicationName: string; commandLine: string; argv: string[]; cwd: string; stdio: 'inherited'; job: 'kill-on-close' };
  capabilitySidFile: { willBeWritten: boolean };
  warnings: string[];
}

export interface WindowsDryRun {
  lines: string[];
  json: WindowsDryRunJson;
}

/** Host facts a dry run on another OS cannot know, shown as such. */
export const PLACEHOLDER_IDENTITY: HostIdentity = { userSid: '<user SID>', logonSid: '<logon SID>' };

/** Stands in for a capability SID a real run would create (and write to cap_sid). */
export const placeholderSidAllocator: SidAllocator = (purpose) => `<new capability SID: ${purpose}>`;

/** What a dry run planned away from the Windows host uses for the host's facts. */
export function offHostFacts(): { identity: HostIdentity; capabilityStore: CapabilitySids; allocate: SidAllocator } {
  return { identity: PLACEHOLDER_IDENTITY, capabilityStore: newCapabilitySids(placeholderSidAllocator), allocate: placeholderSidAllocator };
}

function accessName(mask: number): string {
  switch (mask) {
    case ALLOW_WRITE_MASK:
      return 'allow-write';
    case DENY_WRITE_MASK:
      return 'deny-write';
    case READ_EXECUTE_MASK:
      return 'read-execute';
    case GENERIC_ALL:
      return 'GENERIC_ALL';
    default:
      return 'custom';
  }
}

const hex = (mask: number): string => `0x${mask.toString(16).padStart(8, '0')}`;

export function renderWindowsDryRun(plan: WindowsSandboxPlan): WindowsDryRun {
  const json: WindowsDryRunJson = {
    backend: 'windows-restricted-token',
    token: {
      flags: [...plan.token.flagNames],
      restrictingSids: [...plan.token.restrictingSids],
      defaultDacl: plan.token.defaultDacl.map((e) => ({ sid: e.sid, access: accessName(e.mask) })),
      enabledPrivileges: [...plan.token.enabledPrivileges],
    },
    acl: plan.aces.map((a) => ({
      path: a.path,
      ace: a.type,
      sid: a.sid,
      access: accessName(a.mask),
      mask: hex(a.mask),
      inherit: a.inheritance !== 0,
      reason: a.reason,
      createIfMissing: a.createIfMissing,
    })),
    environment: {
      set: Object.fromEntries(plan.environmentSet.map((v) => [v.name, v.value])),
      denyBin: plan.denyBin === undefined ? null : { directory: plan.denyBin.directory, files: Object.keys(plan.denyBin.files).sort() },
    },
    process: { applicationName: plan.applicationName, commandLine: plan.commandLine, argv: [...plan.argv], cwd: plan.cwd, stdio: 'inherited', job: 'kill-on-close' },
    capabilitySidFile: { willBeWritten: plan.capabilityStoreChanged },
    warnings: [...plan.warnings],
  };
  const lines = [
    'Windows restricted token (unelevated)',
    `  flags: ${json.token.flags.join(' | ')}`,
    `  restricting SIDs (in order): ${json.token.restrictingSids.join(', ')}`,
    `  default DACL: ${json.token.defaultDacl.map((e) => `${e.sid} ${e.access}`).join(', ')}`,
    `  enabled privileges: ${json.token.enabledPrivileges.join(', ')}`,
    'ACL changes (applied before the command starts, restored after; deny before allow):',
    ...(json.acl.length === 0 ? ['  (none)'] : json.acl.map((a) => `  ${a.ace} ${a.access} ${a.mask} ${a.sid} on ${a.path}${a.inherit ? ' (inherited below)' : ''}: ${a.reason}${a.createIfMissing ? ' (created empty if missing)' : ''}`)),
    'environment set by the backend:',
    ...(plan.environmentSet.length === 0 ? ['  (none: the network is not restricted)'] : plan.environmentSet.map((v) => `  ${v.name}=${v.value}`)),
    ...(json.environment.denyBin === null ? [] : [`  deny-bin ${json.environment.denyBin.directory}: ${json.environment.denyBin.files.join(', ')} (each exits 1)`]),
    `CreateProcessAsUserW ${json.process.applicationName}`,
    `  command line: ${json.process.commandLine}`,
    `  cwd: ${json.process.cwd}; stdio inherited; job object with kill-on-close`,
    ...(json.capabilitySidFile.willBeWritten ? ['  capability SIDs not yet in cap_sid are created and written there first'] : []),
    ...json.warnings.map((w) => `warning: ${w}`),
  ];
  return { lines, json };
}
