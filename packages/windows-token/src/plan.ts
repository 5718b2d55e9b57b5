// Owns the whole plan of one restricted-token run (W2, W3, W6): refuse what cannot be enforced,
// then the token (flags, restricting SIDs in order, default DACL, privileges), the ACL changes, the
// command's environment (with the network poisoning) and the CreateProcess command line. Pure:
// host facts (SIDs of the user and logon session, the capability store) come in as input; must NOT
// call Win32 or touch the filesystem (runner.ts executes the plan).
import { GENERIC_ALL, RESTRICTED_TOKEN_FLAGS } from './access-masks.js';
import { aclPlan, type AceChange } from './acl-plan.js';
import { EVERYONE_SID, tokenCapabilities, type CapabilitySids, type SidAllocator } from './capability-sids.js';
import { windowsCommandLine } from './command-line.js';
import { networkEnvironment, withVariables, type DenyBinPlan } from './network-environment.js';
import { checkEnforceable, type EnforceabilityInput } from './refusals.js';

export const RESTRICTED_TOKEN_FLAG_NAMES = ['DISABLE_MAX_PRIVILEGE', 'LUA_TOKEN', 'WRITE_RESTRICTED'] as const;
/** The one privilege the token keeps enabled (directory traversal). */
export const CHANGE_NOTIFY_PRIVILEGE = 'SeChangeNotifyPrivilege';

export interface HostIdentity {
  /** The caller's user SID (`S-1-5-21-...`), or a placeholder in a dry run from another OS. */
  userSid: string;
  /** The logon session's SID (`S-1-5-5-X-Y`), or a placeholder. */
  logonSid: string;
}

export interface WindowsPlanInput extends EnforceabilityInput {
  /** `$CODEX_HOME/cap_sid` as read (or new). */
  capabilityStore: CapabilitySids;
  /** The store was missing or in the legacy format: the run writes it before it is used. */
  capabilityStoreNeedsWrite?: boolean;
  /** Makes SIDs the store lacks (random in a run, placeholders in a dry run). */
  allocate: SidAllocator;
  identity: HostIdentity;
  /** argv; argv[0] is the resolved program path. */
  command: readonly string[];
  cwd: string;
  /** The command's environment after the environment policy. */
  env: Readonly<Record<string, string | undefined>>;
  /** USERPROFILE: where the deny-bin directory lives. */
  homeDir: string;
}

export interface WindowsSandboxPlan {
  token: {
    flags: number;
    flagNames: readonly string[];
    /** Restricting SIDs in order: capability SIDs, user SID, logon SID, Everyone. */
    restrictingSids: string[];
    capabilitySids: string[];
    /** GENERIC_ALL for the logon SID, Everyone and the capability SIDs. */
    defaultDacl: Array<{ sid: string; mask: number }>;
    enabledPrivileges: string[];
  };
  /** Deny ACEs first, then allows (acl-plan.ts). */
  aces: AceChange[];
  /** Variables the backend sets over the command's environment (W3), in order. */
  environmentSet: Array<{ name: string; value: string }>;
  /** The command's full environment as CreateProcess gets it. */
  environment: Record<string, string>;
  /** Present with restricted network: the shims the runner writes before the command starts. */
  denyBin: DenyBinPlan | undefined;
  applicationName: string;
  argv: string[];
  commandLine: string;
  cwd: string;
  /** The capability store with this policy's SIDs; `changed`: the runner writes it back first. */
  capabilityStore: CapabilitySids;
  capabilityStoreChanged: boolean;
  /** Things the user should know (best-effort network restriction). */
  warnings: string[];
}

export const BEST_EFFORT_NETWORK_WARNING =
  'the unelevated Windows sandbox restricts the network only by environment (proxy variables pointing at a closed port, ' +
  'package managers offline, failing ssh/scp first on PATH): a program that ignores them can still reach the network';

/** Throws WindowsRefusalError (W2, W3) or CommandLineError (W6); otherwise the plan. */
export function planWindowsSandbox(input: WindowsPlanInput): WindowsSandboxPlan {
  checkEnforceable(input);
  const caps = tokenCapabilities(input.capabilityStore, input.policy, input.allocate);
  const restrictingSids = [...caps.sids, input.identity.userSid, input.identity.logonSid, EVERYONE_SID];
  const defaultDacl = [input.identity.logonSid, EVERYONE_SID, ...caps.sids].map((sid) => ({ sid, mask: GENERIC_ALL }));
  const network = input.policy.network === 'restricted' ? networkEnvironment(input.env, input.homeDir) : undefined;
  const environmentSet = network?.set ?? [];
  const argv = [...input.command];
  const commandLine = windowsCommandLine(argv);
  return {
    token: {
      flags: RESTRICTED_TOKEN_FLAGS,
      flagNames: RESTRICTED_TOKEN_FLAG_NAMES,
      restrictingSids,
      capabilitySids: caps.sids,
      defaultDacl,
      enabledPrivileges: [CHANGE_NOTIFY_PRIVILEGE],
    },
    aces: aclPlan(input.policy, caps.byRoot, caps.sids),
    environmentSet,
    environment: withVariables(input.env, environmentSet),
    denyBin: network?.denyBin,
    applicationName: argv[0] as string,
    argv,
    commandLine,
    cwd: input.cwd,
    capabilityStore: caps.store,
    capabilityStoreChanged: caps.changed || input.capabilityStoreNeedsWrite === true,
    warnings: network === undefined ? [] : [BEST_EFFORT_NETWORK_WARNING],
  };
}
