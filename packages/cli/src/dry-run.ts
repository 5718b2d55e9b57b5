// Owns the --dry-run answer of one sandbox for one command: the notes (the front end's state kept
// read-only, each path argument's enforced access from the run's own deny-glob scan), the managed
// network's tables, and the exit status the run would end with before the command starts. Must NOT
// resolve the policy, plan or run (it is given the plan) and must NOT print (explain.ts formats).
import * as fs from 'node:fs';
import { resolveSpelling, type AccessQuery, type CommandEnvironment, type ResolvedSandboxPolicy } from '@codex-sandbox/policy';
import type { WindowsDryRunJson } from '@codex-sandbox/windows-token';

import type { TargetOs } from './backend.js';
import { dryRunJson, type DryRunJson } from './dry-run-json.js';
import { pathNote } from './dry-run-notes.js';
import type { CommandNotExecutableError, CommandNotFoundError } from './errors.js';
import { formatExplanation } from './explain.js';
import { environmentSections } from './explain-environment.js';
import type { ManagedNetworkSession } from './managed-network-session.js';

export interface DryRunResult {
  text: string;
  /** The same dry run as one object (`--json`; schema in the cli README). */
  json: DryRunJson;
  exitCode: number;
  /** On the Windows backend: the restricted-token plan as JSON (windows-token's `WindowsDryRunJson`). */
  windows?: WindowsDryRunJson;
}

export interface DryRunInput {
  /** The OS whose plan this is, and the host's. */
  os: TargetOs;
  hostOs: TargetOs;
  /** The sandbox's warnings so far. */
  warnings: readonly string[];
  profileId: string;
  policy: ResolvedSandboxPolicy;
  /** CODEX_HOME as the run protects it (its canonical path when it exists). */
  codexHome: string;
  command: readonly string[];
  /** The command's own facts; absent when no command was given. */
  prepared?: {
    commandCwd: string;
    commandPath: string | undefined;
    commandProblem: CommandNotFoundError | CommandNotExecutableError | undefined;
    environment: CommandEnvironment;
  };
  /** The backend's plan of the launch; absent when no command was given. */
  launch?: {
    argv: string[];
    backend: string;
    denyGlobMatches: string[];
    placeholders: string[];
    /** The backend's own network row (PlannedLaunch.network). */
    network?: string;
    envAdditions: Record<string, string>;
    seatbelt?: { policy: string; params: ReadonlyArray<readonly [string, string]> };
    unixSockets?: { mode: 'none' | 'allowlist' | 'all'; allowed: string[]; hidden: string[] };
    /** Backend-specific tables (the Landlock ruleset; the Windows token, ACL and environment plan). */
    sections?: ReadonlyArray<{ title: string; rows: readonly string[] }>;
  };
  /** What a path may do in the run, given what its deny-glob scan found. */
  enforcedAccess: (denyGlobMatches: readonly string[]) => AccessQuery;
  managed: ManagedNetworkSession | undefined;
}

export function dryRunResult(input: DryRunInput): DryRunResult {
  const { prepared, launch, policy } = input;
  const notes: string[] = [];
  if (policy.needsSandbox) notes.push(`${input.codexHome} (CODEX_HOME) and the config files read from it are read-only inside the sandbox`);
  if (prepared !== undefined && launch !== undefined) {
    // What the run enforces: deny globs as its scan found them, not every path a pattern matches.
    const enforced = input.enforcedAccess(launch.denyGlobMatches);
    // The command resolves a relative path against its real working directory, and a `..`
    // after a symlink as the kernel does, not as text.
    const realCwd = fs.realpathSync.native(prepared.commandCwd);
    for (const arg of input.command.slice(1)) {
      if (!arg.startsWith('/') && !arg.startsWith('./') && !arg.startsWith('../')) continue;
      const target = resolveSpelling(arg.startsWith('/') ? arg : `${realCwd}/${arg}`);
      notes.push(pathNote(target, { enforced, placeholders: launch.placeholders, ...(input.os === 'macos' ? { checkedAtAccess: true } : {}) }));
    }
  }
  const described = input.managed?.describe();
  const seatbelt = launch?.seatbelt;
  const text = formatExplanation({
    os: input.os,
    profileId: input.profileId,
    policy,
    commandPath: prepared?.commandPath,
    ...(prepared?.commandProblem !== undefined ? { commandProblem: `${prepared.commandProblem.message}; the run would exit ${prepared.commandProblem.exitCode}` } : {}),
    launchArgv: launch?.argv,
    backendDescription: launch?.backend ?? 'Linux bubblewrap',
    notes,
    extraSections: [
      ...(launch?.sections ?? []),
      ...(described === undefined ? [] : [{ title: 'proxy', rows: described.proxy }, { title: 'routes', rows: described.routes }]),
      ...(prepared !== undefined ? environmentSections(prepared.environment) : []),
      ...(seatbelt === undefined
        ? []
        : [
            { title: 'params', rows: seatbelt.params.length === 0 ? ['(none)'] : seatbelt.params.map(([k, v]) => `-D${k}=${v}`) },
            { title: 'sbpl', rows: seatbelt.policy.trimEnd().split('\n') },
          ]),
    ],
    ...(launch !== undefined ? { denyGlobMatches: launch.denyGlobMatches } : {}),
    ...(described !== undefined ? { networkRows: described.network } : launch?.network !== undefined ? { networkRows: [launch.network] } : {}),
  });
  const exitCode = prepared?.commandProblem?.exitCode ?? 0;
  const json = dryRunJson({
    os: input.os,
    hostOs: input.hostOs,
    profileId: input.profileId,
    policy,
    command: input.command,
    commandPath: prepared?.commandPath,
    commandProblem: prepared?.commandProblem?.message,
    launch,
    envAdditions: launch?.envAdditions ?? {},
    environment: prepared?.environment,
    proxyOnly: input.managed !== undefined,
    exitCode,
    warnings: input.warnings,
  });
  return { text, json, exitCode };
}
