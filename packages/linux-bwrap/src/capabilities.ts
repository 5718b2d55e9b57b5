// Owns what a bwrap binary can do, as read from its `--help`: parsing the option list (pure),
// judging it against what this sandbox needs (pure), and running `--help` once per binary identity
// (cached in ProbeCache). Must NOT choose between binaries (launcher.ts) or run sandboxes.

import { spawnSync } from 'node:child_process';

import type { BinaryIdentity, ProbeCache } from './probe-cache.js';

/** Options every run depends on; a bwrap lacking any of them is unusable (bubblewrap >= 0.8.0 has all). */
const REQUIRED_BWRAP_OPTIONS = [
  '--new-session',
  '--die-with-parent',
  '--unshare-user',
  '--disable-userns',
  '--assert-userns-disabled',
  '--unshare-pid',
  '--unshare-ipc',
  '--unshare-net',
  '--proc',
  '--dev',
  '--tmpfs',
  '--dir',
  '--remount-ro',
  '--ro-bind',
  '--bind',
  '--ro-bind-data',
  '--perms',
  '--cap-drop',
  '--chdir',
  '--seccomp',
  '--json-status-fd',
] as const;

export interface BwrapCapabilities {
  /** The required options the binary lacks (empty: usable). */
  missingRequired: string[];
  usable: boolean;
}

/** Pure: every `--name` token in a help text (stdout and stderr concatenated). */
export function parseHelpOptions(helpText: string): string[] {
  const found = new Set<string>();
  for (const match of helpText.matchAll(/(?:^|[\s,[(])(--[a-z0-9][a-z0-9-]*)/gm)) {
    if (match[1] !== undefined) found.add(match[1]);
  }
  return [...found].sort();
}

/** Pure: what a set of options allows. */
export function capabilitiesFromOptions(options: Iterable<string>): BwrapCapabilities {
  const set = new Set(options);
  const missingRequired = REQUIRED_BWRAP_OPTIONS.filter((o) => !set.has(o));
  return { missingRequired, usable: missingRequired.length === 0 };
}

/** How to execute a binary: `file` is what gets exec'd (a path, or /proc/self/fd/N for a verified fd). */
export interface ExecTarget {
  file: string;
  argv0: string;
}

const HELP_TIMEOUT_MS = 5000;

/** Runs `<bwrap> --help`; a spawn failure or a timeout yields no options (so: unusable). */
export function runHelpProbe(target: ExecTarget): string[] {
  const result = spawnSync(target.file, ['--help'], {
    argv0: target.argv0,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: HELP_TIMEOUT_MS,
    maxBuffer: 1 << 20,
  });
  if (result.error !== undefined) return [];
  return parseHelpOptions(`${result.stdout ?? ''}\n${result.stderr ?? ''}`);
}

/** Capabilities of one binary: from the cache when its identity is known there, else probed and stored. */
export function probeCapabilities(target: ExecTarget, identity: BinaryIdentity, cache: ProbeCache): BwrapCapabilities {
  const cached = cache.binaryFacts(identity)?.options;
  if (cached !== undefined && cached.length > 0) return capabilitiesFromOptions(cached);
  const options = runHelpProbe(target);
  if (options.length > 0) {
    cache.update(identity, (facts) => {
      facts.options = options;
    });
  }
  return capabilitiesFromOptions(options);
}
