// Owns the dry-run report: the resolved policy as a readable table plus the exact backend command
// line, so a user can see why a path is readable, writable or denied. Pure string formatting over
// already-resolved data. Must NOT resolve policy or build command lines itself.
import type { ResolvedSandboxPolicy } from '@codex-sandbox/policy';
import type { TargetOs } from './backend.js';
import { listedReadableRoots, listedReadOnlySubpaths } from './explain-paths.js';
import { shellQuoteArgv } from './shell-quote.js';

export interface ExplainInput {
  /** Whose plan this is (default linux): the network and deny-glob lines differ. */
  os?: TargetOs;
  profileId: string;
  policy: ResolvedSandboxPolicy;
  /** Resolved absolute path of the command, when a command was given. */
  commandPath: string | undefined;
  /** Why the command would not start (not found, hidden by the policy, not executable), instead of a path. */
  commandProblem?: string;
  /** What would run: the backend argv (bwrap ...) or the bare command when no sandbox applies. */
  launchArgv: readonly string[] | undefined;
  /** One line saying which backend / binary was chosen and why. */
  backendDescription: string;
  /** Extra facts about the launch (environment additions, ...). */
  notes?: readonly string[];
  /** More titled sections (the command's environment), printed after `command`. */
  extraSections?: ReadonlyArray<{ title: string; rows: readonly string[] }>;
  /** What the run's deny-glob scan found (masked); absent when nothing was planned. */
  denyGlobMatches?: readonly string[];
  /** Replaces the network line (the managed proxy's mode). */
  networkRows?: readonly string[];
}

/** How many masked paths the dry run lists before it only counts the rest. */
const MASKED_SHOWN = 20;

function section(title: string, rows: readonly string[]): string[] {
  if (rows.length === 0) return [`${title.padEnd(10)} (none)`];
  return rows.map((row, i) => `${(i === 0 ? title : '').padEnd(10)} ${row}`);
}

function networkLine(policy: ResolvedSandboxPolicy, os: TargetOs): string {
  if (os === 'macos') return policy.network === 'enabled' ? 'enabled (Seatbelt allows network-outbound and network-inbound)' : 'restricted (no network: Seatbelt denies every network operation)';
  return policy.network === 'enabled'
    ? 'enabled (host network namespace)'
    : 'restricted (no network: private network namespace, socket syscalls filtered)';
}

function readableRows(policy: ResolvedSandboxPolicy): string[] {
  if (policy.kind !== 'restricted' || policy.fullDiskRead) return ['/ (entire filesystem)'];
  const rows = listedReadableRoots(policy);
  if (policy.includePlatformDefaults) rows.push('platform defaults (:minimal: /usr, /etc, /lib, /bin, ...)');
  return rows;
}

function writableRows(policy: ResolvedSandboxPolicy): string[] {
  if (policy.kind !== 'restricted' || policy.fullDiskWrite) return ['/ (entire filesystem)'];
  const rows: string[] = [];
  for (const root of policy.writableRoots) {
    rows.push(root.root);
    for (const carveOut of listedReadOnlySubpaths(policy, root.readOnlySubpaths)) rows.push(`  read-only: ${carveOut}`);
    if (root.protectedMetadataNames.length > 0) {
      rows.push(`  not writable anywhere below: ${root.protectedMetadataNames.join(', ')}`);
    }
  }
  return rows;
}

function deniedRows(policy: ResolvedSandboxPolicy, masked: readonly string[] | undefined, os: TargetOs): string[] {
  if (policy.kind !== 'restricted') return [];
  const rows = [...policy.unreadableRoots];
  for (const glob of policy.unreadableGlobs) rows.push(`glob ${glob}`);
  if (policy.unreadableGlobs.length > 0 && os === 'macos') {
    rows.push('  (globs are Seatbelt regexes checked at every access: a match created during the run is denied too, with everything below it)');
  } else if (policy.unreadableGlobs.length > 0) {
    // Never claim more than the run masks: only what the scan found at launch is hidden.
    const depth = policy.globScanMaxDepth !== undefined ? `, scanning ${policy.globScanMaxDepth} levels deep` : '';
    rows.push(`  (globs are matched against what exists at launch${depth}; a matching directory is masked with everything below it, a matching symlink at its target)`);
    if (masked !== undefined) {
      rows.push(masked.length === 0 ? '  masked at launch: nothing (no path matches now)' : `  masked at launch (${masked.length}):`);
      for (const p of masked.slice(0, MASKED_SHOWN)) rows.push(`    ${p}`);
      if (masked.length > MASKED_SHOWN) rows.push(`    ... and ${masked.length - MASKED_SHOWN} more`);
    }
    rows.push(
      `  not masked: a match created after launch${policy.globScanMaxDepth !== undefined ? ', a match deeper than the scan depth' : ''}, a match below a symlinked directory (not followed)`,
    );
  }
  if (rows.length > 0) {
    rows.push('  not enforceable: another hard link to a denied file stays readable under its own name, unless denied too');
  }
  if (!policy.fullDiskRead && !policy.readableRoots.includes('/')) rows.push('everything not listed as readable or writable');
  return rows;
}

function kindLine(policy: ResolvedSandboxPolicy): string {
  switch (policy.kind) {
    case 'restricted':
      return policy.needsSandbox ? 'restricted (sandboxed)' : 'restricted, but nothing to restrict (runs unsandboxed)';
    case 'unrestricted':
      return policy.needsSandbox ? 'unrestricted filesystem (sandboxed for network)' : 'no sandbox (full access)';
    case 'external-sandbox':
      return 'external sandbox (filesystem confined by the caller)';
  }
}

export function formatExplanation(input: ExplainInput): string {
  const { policy } = input;
  const lines = [
    ...section('profile', [input.profileId]),
    ...section('mode', [kindLine(policy)]),
    ...section('cwd', [policy.cwd]),
    ...section('network', input.networkRows ?? [networkLine(policy, input.os ?? 'linux')]),
    ...section('readable', readableRows(policy)),
    ...section('writable', writableRows(policy)),
    ...section('denied', deniedRows(policy, input.denyGlobMatches, input.os ?? 'linux')),
    ...section('backend', [input.backendDescription]),
  ];
  if (input.commandPath !== undefined) lines.push(...section('command', [input.commandPath]));
  else if (input.commandProblem !== undefined) lines.push(...section('command', [input.commandProblem]));
  for (const extra of input.extraSections ?? []) lines.push(...section(extra.title, extra.rows));
  for (const note of input.notes ?? []) lines.push(...section('note', [note]));
  lines.push('');
  if (input.launchArgv !== undefined) {
    lines.push('command line:', `  ${shellQuoteArgv(input.launchArgv)}`);
  } else {
    lines.push('command line: (no COMMAND given)');
  }
  return lines.join('\n') + '\n';
}
