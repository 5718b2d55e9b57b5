// Owns `--dry-run --json`: the one JSON object a tool reads instead of the table (schema in the
// cli README, `schema: "codex-sandbox-dry-run/1"`). Pure: built from what the dry run already
// knows. Must NOT resolve, plan or print, and must NOT include an inherited variable's value.
import type { CommandEnvironment, ResolvedSandboxPolicy } from '@codex-sandbox/policy';
import type { WindowsDryRunJson } from '@codex-sandbox/windows-token';

import type { TargetOs } from './backend.js';

export const DRY_RUN_SCHEMA = 'codex-sandbox-dry-run/1';

export interface DryRunJson {
  schema: typeof DRY_RUN_SCHEMA;
  /** The OS whose plan this is (`--os`, default the host's). */
  os: TargetOs;
  host_os: TargetOs;
  profile: string;
  cwd: string;
  /** One line: what runs the command. */
  backend: string | null;
  command: { argv: string[]; path: string | null; problem: string | null };
  /** Exactly what would be spawned; null without a command. */
  argv: string[] | null;
  env: { added: Record<string, string>; removed: Array<{ name: string; rule: string }> };
  policy: {
    kind: ResolvedSandboxPolicy['kind'];
    sandboxed: boolean;
    readable: string[];
    platform_defaults: boolean;
    writable: Array<{ root: string; read_only: string[]; protected_names: string[] }>;
    denied: string[];
    denied_globs: string[];
    network: 'restricted' | 'enabled' | 'proxy-only';
  };
  /** Linux proxy-only: the Unix sockets the command may connect to (`allowed`: the names it may use), or all but `hidden`. */
  unix_sockets?: { mode: 'none' | 'allowlist' | 'all'; allowed: string[]; hidden: string[] };
  /** macOS: the SBPL text and its `-D` parameters, in order. */
  seatbelt?: { policy: string; params: Array<[string, string]> };
  /** Windows: the restricted-token plan (token, restricting SIDs, ACL changes, environment, command line). */
  windows?: WindowsDryRunJson;
  /** The status the run would end with before the command starts (127, 126, else 0). */
  exit_code: number;
  warnings: string[];
}

export interface DryRunJsonInput {
  os: TargetOs;
  hostOs: TargetOs;
  profileId: string;
  policy: ResolvedSandboxPolicy;
  command: readonly string[];
  commandPath: string | undefined;
  commandProblem: string | undefined;
  launch:
    | {
        argv: string[];
        backend: string;
        seatbelt?: { policy: string; params: ReadonlyArray<readonly [string, string]> };
        unixSockets?: { mode: 'none' | 'allowlist' | 'all'; allowed: string[]; hidden: string[] };
      }
    | undefined;
  envAdditions: Record<string, string>;
  environment: CommandEnvironment | undefined;
  proxyOnly: boolean;
  exitCode: number;
  warnings: readonly string[];
}

export function dryRunJson(input: DryRunJsonInput): DryRunJson {
  const { policy } = input;
  const fullRead = policy.kind !== 'restricted' || policy.fullDiskRead;
  const fullWrite = policy.kind !== 'restricted' || policy.fullDiskWrite;
  return {
    schema: DRY_RUN_SCHEMA,
    os: input.os,
    host_os: input.hostOs,
    profile: input.profileId,
    cwd: policy.cwd,
    backend: input.launch?.backend ?? null,
    command: { argv: [...input.command], path: input.commandPath ?? null, problem: input.commandProblem ?? null },
    argv: input.launch?.argv ?? null,
    env: {
      added: { ...input.envAdditions },
      removed: (input.environment?.dropped ?? []).map((d) => ({ name: d.name, rule: d.rule })),
    },
    policy: {
      kind: policy.kind,
      sandboxed: policy.needsSandbox,
      readable: fullRead ? ['/'] : [...policy.readableRoots],
      platform_defaults: policy.includePlatformDefaults,
      writable: fullWrite
        ? [{ root: '/', read_only: [], protected_names: [] }]
        : policy.writableRoots.map((w) => ({ root: w.root, read_only: [...w.readOnlySubpaths], protected_names: [...w.protectedMetadataNames] })),
      denied: [...policy.unreadableRoots],
      denied_globs: [...policy.unreadableGlobs],
      network: input.proxyOnly ? 'proxy-only' : policy.network,
    },
    ...(input.launch?.unixSockets !== undefined ? { unix_sockets: input.launch.unixSockets } : {}),
    ...(input.launch?.seatbelt !== undefined
      ? { seatbelt: { policy: input.launch.seatbelt.policy, params: input.launch.seatbelt.params.map(([k, v]) => [k, v] as [string, string]) } }
      : {}),
    exit_code: input.exitCode,
    warnings: [...input.warnings],
  };
}
