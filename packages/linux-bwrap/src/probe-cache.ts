// Owns the on-disk cache of facts learned by running bwrap: the options its --help lists, whether
// it can create user namespaces, whether it may mount a fresh /proc, and whether our mask helper
// works in it. Facts about a binary are
// keyed by its identity (path, size, mtime, inode, device); facts about the host additionally by
// boot id and uid, so a reboot, a different user or a replaced binary means probing again.
// Must NOT run bwrap or decide anything from the facts; a corrupt or unwritable cache is treated as
// empty (the caller probes again), never as an error.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { isBwrapNetworkMode, type BwrapNetworkMode } from './bwrap-args.js';
import type { ProcMountOutcome } from './preflight.js';

const CACHE_FORMAT_VERSION = 1;
const CACHE_FILE_NAME = 'bwrap-probes.json';
/** Bounds the file: old binaries (upgraded bwrap, deleted temp copies) fall out first. */
const MAX_BINARY_ENTRIES = 16;
const MAX_HOST_ENTRIES_PER_BINARY = 8;

export interface BinaryIdentity {
  path: string;
  size: number;
  mtimeMs: number;
  ino: number;
  dev: number;
}

/** Facts that hold for one binary on one boot for one uid. */
export interface HostFacts {
  /** Present only once a user-namespace probe succeeded (failures are not cached). */
  userNamespacesOk?: true;
  /** /proc preflight outcome per network mode. */
  procMount?: Partial<Record<BwrapNetworkMode, ProcMountOutcome>>;
  /** For codex-landlock-helper: the kernel's Landlock ABI it reported (0: none). */
  landlockAbi?: number;
  /** G11: whether codex-mask-helper (this file, by fingerprint) made masks in this bwrap. */
  maskHelper?: { helper: string; ok: boolean; reason?: string };
}

export interface BinaryFacts {
  options?: string[];
  /**
   * One of our helpers (codex-resources): its SHA-256 as last computed, with the status-change
   * time it had then (which no write, chmod or timestamp reset by the user leaves unchanged).
   */
  sha256?: { hex: string; ctimeMs: number };
  hosts?: Record<string, HostFacts>;
  /** For eviction: last time this entry was written. */
  touchedAtMs?: number;
}

interface CacheFile {
  version: number;
  binaries: Record<string, BinaryFacts>;
}

export function identityOfStat(binaryPath: string, stat: fs.Stats): BinaryIdentity {
  return { path: binaryPath, size: stat.size, mtimeMs: stat.mtimeMs, ino: stat.ino, dev: stat.dev };
}

export function identityKey(identity: BinaryIdentity): string {
  return [identity.path, identity.size, identity.mtimeMs, identity.ino, identity.dev].join('|');
}

/** The boot id and uid that scope host facts; undefined boot id (no /proc) disables host caching. */
export function hostKey(): string | undefined {
  let bootId: string;
  try {
    bootId = fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return undefined;
  }
  if (bootId === '') return undefined;
  return `${bootId}:${process.geteuid?.() ?? -1}`;
}

/** `$XDG_CACHE_HOME/codex-sandbox` (absolute values only) or `~/.cache/codex-sandbox`. */
export function defaultCacheDir(env: Readonly<Record<string, string | undefined>>): string | undefined {
  const xdg = env['XDG_CACHE_HOME'];
  if (xdg !== undefined && path.isAbsolute(xdg)) return path.join(xdg, 'codex-sandbox');
  const home = env['HOME'] ?? safeHomedir();
  if (home === undefined || !path.isAbsolute(home)) return undefined;
  return path.join(home, '.cache', 'codex-sandbox');
}

function safeHomedir(): string | undefined {
  try {
    return os.homedir();
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function sanitizeBinaryFacts(value: unknown): BinaryFacts | undefined {
  if (!isRecord(value)) return undefined;
  const facts: BinaryFacts = Object.create(null) as BinaryFacts;
  const options = value['options'];
  if (Array.isArray(options) && options.every((o) => typeof o === 'string')) facts.options = options as string[];
  const touched = value['touchedAtMs'];
  if (typeof touched === 'number') facts.touchedAtMs = touched;
  const digest = value['sha256'];
  if (isRecord(digest) && typeof digest['hex'] === 'string' && /^[0-9a-f]{64}$/.test(digest['hex']) && typeof digest['ctimeMs'] === 'number') {
    facts.sha256 = { hex: digest['hex'], ctimeMs: digest['ctimeMs'] };
  }
  const hosts = value['hosts'];
  if (isRecord(hosts)) {
    facts.hosts = Object.create(null) as Record<string, HostFacts>;
    for (const [key, raw] of Object.entries(hosts)) {
      if (!isRecord(raw)) continue;
      const host: HostFacts = Object.create(null) as HostFacts;
      if (raw['userNamespacesOk'] === true) host.userNamespacesOk = true;
      const abi = raw['landlockAbi'];
      if (typeof abi === 'number' && Number.isInteger(abi) && abi >= 0 && abi < 1000) host.landlockAbi = abi;
      const mask = raw['maskHelper'];
      if (isRecord(mask) && typeof mask['helper'] === 'string' && typeof mask['ok'] === 'boolean') {
        host.maskHelper = { helper: mask['helper'], ok: mask['ok'], ...(typeof mask['reason'] === 'string' ? { reason: mask['reason'] } : {}) };
      }
      const proc = raw['procMount'];
      if (isRecord(proc)) {
        host.procMount = Object.create(null) as Partial<Record<BwrapNetworkMode, ProcMountOutcome>>;
        for (const [mode, outcome] of Object.entries(proc)) {
          if (!isBwrapNetworkMode(mode)) continue;
          if (outcome === 'mount-proc' || outcome === 'no-proc') host.procMount[mode] = outcome;
        }
      }
      facts.hosts[key] = host;
    }
  }
  return facts;
}

/**
 * A read-modify-write view of the cache file. Reads once at construction; `update` re-reads the
 * file before writing so concurrent runs lose at most a fact, and writes atomically by rename.
 */
export class ProbeCache {
  private binaries: Record<string, BinaryFacts>;

  constructor(private readonly dir: string | undefined) {
    this.binaries = this.readFile();
  }

  /** A cache that never reads or writes anything (tests, or when the caller opts out). */
  static disabled(): ProbeCache {
    return new ProbeCache(undefined);
  }

  /** The cache directory (may not exist yet); undefined when the cache is disabled. */
  get directory(): string | undefined {
    return this.dir;
  }

  get location(): string | undefined {
    return this.dir === undefined ? undefined : path.join(this.dir, CACHE_FILE_NAME);
  }

  binaryFacts(identity: BinaryIdentity): BinaryFacts | undefined {
    return this.binaries[identityKey(identity)];
  }

  hostFacts(identity: BinaryIdentity, host: string | undefined): HostFacts | undefined {
    if (host === undefined) return undefined;
    return this.binaryFacts(identity)?.hosts?.[host];
  }

  /** Applies `mutate` to this binary's entry and persists it; failures to persist are ignored. */
  update(identity: BinaryIdentity, mutate: (facts: BinaryFacts) => void): void {
    const key = identityKey(identity);
    const latest = this.readFile();
    const facts = latest[key] ?? this.binaries[key] ?? {};
    mutate(facts);
    facts.touchedAtMs = Date.now();
    if (facts.hosts !== undefined) {
      const hostKeys = Object.keys(facts.hosts);
      for (const stale of hostKeys.slice(0, Math.max(0, hostKeys.length - MAX_HOST_ENTRIES_PER_BINARY))) {
        delete facts.hosts[stale];
      }
    }
    latest[key] = facts;
    const keys = Object.keys(latest).sort((a, b) => (latest[a]?.touchedAtMs ?? 0) - (latest[b]?.touchedAtMs ?? 0));
    for (const old of keys.slice(0, Math.max(0, keys.length - MAX_BINARY_ENTRIES))) delete latest[old];
    this.binaries = latest;
    this.writeFile(latest);
  }

  updateHost(identity: BinaryIdentity, host: string | undefined, mutate: (facts: HostFacts) => void): void {
    if (host === undefined) return;
    this.update(identity, (facts) => {
      facts.hosts ??= {};
      const hostFacts = facts.hosts[host] ?? {};
      mutate(hostFacts);
      // Re-inserting moves the key to the end, so eviction drops the least recently written host.
      delete facts.hosts[host];
      facts.hosts[host] = hostFacts;
    });
  }

  private readFile(): Record<string, BinaryFacts> {
    const file = this.location;
    if (file === undefined) return {};
    let parsed: unknown;
    try {
      parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch {
      return {};
    }
    if (!isRecord(parsed) || parsed['version'] !== CACHE_FORMAT_VERSION || !isRecord(parsed['binaries'])) return {};
    const result = Object.create(null) as Record<string, BinaryFacts>;
    for (const [key, value] of Object.entries(parsed['binaries'])) {
      const facts = sanitizeBinaryFacts(value);
      if (facts !== undefined) result[key] = facts;
    }
    return result;
  }

  private writeFile(binaries: Record<string, BinaryFacts>): void {
    const file = this.location;
    if (file === undefined || this.dir === undefined) return;
    const body: CacheFile = { version: CACHE_FORMAT_VERSION, binaries };
    const temp = `${file}.${process.pid}.${Date.now()}.tmp`;
    try {
      fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      // Never write through a directory someone else planted (a symlink, or not ours): the write
      // is skipped and the facts are probed again next time.
      const stat = fs.lstatSync(this.dir);
      if (!stat.isDirectory() || stat.uid !== (process.geteuid?.() ?? stat.uid)) return;
      fs.writeFileSync(temp, JSON.stringify(body), { mode: 0o600, flag: 'wx' });
      fs.renameSync(temp, file);
    } catch {
      try {
        fs.unlinkSync(temp);
      } catch {
        // Nothing was written, or it is already gone.
      }
    }
  }
}
