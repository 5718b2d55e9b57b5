// Owns the host-side bookkeeping of mount placeholders: bwrap creates an empty file or directory on
// the host for each missing protected path it mounts over inside a writable root, and this module
// makes sure those are removed once no run needs them any more, even when a run was killed.
//
// Layout: <tmpdir>/codex-sandbox-placeholders-<euid>/ (0700, ours, never a symlink), one file per
// run that has placeholders, `run-<pid>-<start time>-<n>` (the owner is in the name, so liveness
// needs no read), holding that run's targets: path, kind and origin (`synthetic` when a sandbox
// run created it, `preexisting` when it was there before any run). A lock file created with O_EXCL
// (Node has no flock) serialises register / release / sweep; a lock whose owner died is recovered.
// No hashing and no node:crypto: names come from pid, process start time and a counter.
// Must NOT delete anything that is not an empty file or empty directory, anything that existed
// before a sandbox run created it, or anything another live run still owns.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { PlaceholderRegistryError } from './runtime-errors.js';

export interface PlaceholderTarget {
  path: string;
  kind: 'file' | 'dir';
  /** True when the path existed before this run's bwrap started (possibly left by another run). */
  preexisting: boolean;
}

const REGISTRY_PREFIX = 'codex-sandbox-placeholders-';
const LOCK_NAME = 'lock';
const RUN_PREFIX = 'run-';
const RUN_NAME = /^run-(\d+)-(\d+)-\d+$/;
/** Makes run file and stale-lock names unique within this process (pid + start time: across processes). */
let runCounter = 0;
const LOCK_TIMEOUT_MS = 10_000;
/** A lock file without a parseable owner older than this was left by a process that died mid-create. */
const UNPARSEABLE_LOCK_STALE_MS = 5_000;

let sleepCell: Int32Array | undefined;
function sleepSync(ms: number): void {
  sleepCell ??= new Int32Array(new SharedArrayBuffer(4));
  Atomics.wait(sleepCell, 0, 0, ms);
}

/** Start time (clock ticks since boot) of a live process, or undefined when it does not exist. */
export function processStartTime(pid: number): string | undefined {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // Fields after the command name (which may contain spaces and parentheses) start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Field 22 of the full line is `starttime`; the slice starts at field 3.
  return fields[19];
}

interface OwnerIdentity {
  pid: number;
  startTime: string;
}

function parseOwner(text: string): OwnerIdentity | undefined {
  const match = /^(\d+) (\d+)\n?$/.exec(text);
  if (match?.[1] === undefined || match[2] === undefined) return undefined;
  return { pid: Number(match[1]), startTime: match[2] };
}

function isAlive(owner: OwnerIdentity): boolean {
  return processStartTime(owner.pid) === owner.startTime;
}

function errnoCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

/** The registry directory for this effective uid under a temp directory (canonicalised when possible). */
export function defaultRegistryDir(tmpDir: string = os.tmpdir()): string {
  let base = tmpDir;
  try {
    base = fs.realpathSync.native(tmpDir);
  } catch {
    // Use the temp dir as given; creating the registry below will report a real problem.
  }
  return path.join(base, `${REGISTRY_PREFIX}${process.geteuid?.() ?? 0}`);
}

export class PlaceholderRegistry {
  private readonly self: OwnerIdentity;
  /** What this process registered, by marker, so release() need not read its own file back. */
  private readonly registered = new Map<string, RegisteredTarget[]>();

  constructor(readonly root: string) {
    const startTime = processStartTime(process.pid);
    if (startTime === undefined) {
      throw new PlaceholderRegistryError('cannot read this process\'s start time from /proc; /proc must be mounted');
    }
    this.self = { pid: process.pid, startTime };
  }

  /** Creates the registry directory if needed and checks it is a real 0700 directory owned by us. */
  ensureRoot(): void {
    for (let attempt = 0; attempt < 2; attempt += 1) {
      let stat: fs.Stats;
      try {
        stat = fs.lstatSync(this.root);
      } catch (error) {
        if (errnoCode(error) !== 'ENOENT') throw this.rootError(`cannot inspect it (${String(error)})`);
        try {
          fs.mkdirSync(this.root, { mode: 0o700 });
        } catch (mkdirError) {
          if (errnoCode(mkdirError) !== 'EEXIST') throw this.rootError(`cannot create it (${String(mkdirError)})`);
        }
        continue;
      }
      if (stat.isSymbolicLink()) {
        throw new PlaceholderRegistryError(`placeholder registry must not be a symlink: ${this.root}; remove it and retry`);
      }
      if (!stat.isDirectory()) throw this.rootError('it is not a directory; remove it and retry');
      const euid = process.geteuid?.() ?? 0;
      if (stat.uid !== euid) {
        throw this.rootError(`it is owned by uid ${stat.uid}, not by this user (uid ${euid}); remove it and retry`);
      }
      if ((stat.mode & 0o077) !== 0) fs.chmodSync(this.root, 0o700);
      return;
    }
    throw this.rootError('it keeps disappearing while being created');
  }

  private rootError(reason: string): PlaceholderRegistryError {
    return new PlaceholderRegistryError(`cannot use placeholder registry ${this.root}: ${reason}`);
  }

  /** Runs `body` holding the registry lock. */
  withLock<T>(body: () => T): T {
    this.ensureRoot();
    const lockPath = path.join(this.root, LOCK_NAME);
    const deadline = Date.now() + LOCK_TIMEOUT_MS;
    const content = `${this.self.pid} ${this.self.startTime}\n`;
    for (;;) {
      try {
        const fd = fs.openSync(lockPath, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW, 0o600);
        try {
          fs.writeSync(fd, content);
        } finally {
          fs.closeSync(fd);
        }
        break;
      } catch (error) {
        if (errnoCode(error) !== 'EEXIST') throw this.rootError(`cannot create its lock file (${String(error)})`);
      }
      this.recoverStaleLock(lockPath);
      if (Date.now() > deadline) {
        throw new PlaceholderRegistryError(
          `timed out waiting for the placeholder registry lock ${lockPath}; if no codex sandbox is running, remove it`,
        );
      }
      sleepSync(2);
    }
    try {
      return body();
    } finally {
      try {
        fs.unlinkSync(lockPath);
      } catch {
        // Someone judged our lock stale (we were stopped for a long time); nothing more to release.
      }
    }
  }

  private recoverStaleLock(lockPath: string): void {
    let text: string;
    let stat: fs.Stats;
    try {
      text = fs.readFileSync(lockPath, 'utf8');
      stat = fs.statSync(lockPath);
    } catch {
      return;
    }
    const owner = parseOwner(text);
    const stale = owner === undefined ? Date.now() - stat.mtimeMs > UNPARSEABLE_LOCK_STALE_MS : !isAlive(owner);
    if (!stale) return;
    // Move the stale lock aside atomically, then make sure what we moved is what we judged stale;
    // if another process replaced it meanwhile, put theirs back.
    runCounter += 1;
    const aside = `${lockPath}.stale-${this.self.pid}-${this.self.startTime}-${runCounter}`;
    try {
      fs.renameSync(lockPath, aside);
    } catch {
      return;
    }
    let movedText = '';
    try {
      movedText = fs.readFileSync(aside, 'utf8');
    } catch {
      // Treat as different below.
    }
    if (movedText !== text) {
      try {
        fs.linkSync(aside, lockPath);
      } catch {
        // A new lock exists already; the moved one's owner will find its lock gone at release.
      }
    }
    try {
      fs.unlinkSync(aside);
    } catch {
      // Already gone.
    }
  }

  /** Records this run as an owner of each target; returns the run's marker name for release(). */
  register(targets: readonly PlaceholderTarget[]): string {
    runCounter += 1;
    const marker = `${RUN_PREFIX}${this.self.pid}-${this.self.startTime}-${runCounter}`;
    if (targets.length === 0) return marker;
    this.withLock(() => {
      // A path another registered run (live, or dead and not swept yet) owns keeps the origin that
      // run recorded: the first run to register it knows whether bwrap created it.
      const known = new Map<string, PlaceholderOrigin>();
      for (const run of this.readRuns()) for (const t of run.targets ?? []) if (!known.has(t.path)) known.set(t.path, t.origin);
      const owned: RegisteredTarget[] = targets.map((target) => ({
        path: target.path,
        kind: target.kind,
        // A planned-as-preexisting path that vanished since (another run released it) will be
        // created again by our bwrap, so it is ours to remove.
        origin: known.get(target.path) ?? (target.preexisting && lstatOrUndefined(target.path) !== undefined ? 'preexisting' : 'synthetic'),
      }));
      fs.writeFileSync(path.join(this.root, marker), JSON.stringify(owned), { mode: 0o600, flag: 'wx' });
      this.registered.set(marker, owned);
    });
    return marker;
  }

  /** Drops this run's ownership and removes placeholders nobody owns any more. */
  release(targets: readonly PlaceholderTarget[], marker: string): void {
    if (targets.length === 0) return;
    this.withLock(() => {
      const file = path.join(this.root, marker);
      const owned = this.registered.get(marker) ?? readRunFile(file) ?? [];
      this.registered.delete(marker);
      try {
        fs.unlinkSync(file);
      } catch {
        // Already collected.
      }
      this.collect(owned);
    });
  }

  /** Removes placeholders left by runs that died (killed front ends). Cheap when no run died. */
  sweep(): void {
    this.ensureRoot();
    const dead = fs.readdirSync(this.root).filter((name) => {
      const owner = ownerOfRunName(name);
      return owner !== undefined && !isAlive(owner);
    });
    if (dead.length === 0) return;
    this.withLock(() => this.collect([]));
  }

  /** Every run file in the registry, with its owner and its targets (undefined when unreadable). */
  private readRuns(): Array<{ name: string; owner: OwnerIdentity; targets: RegisteredTarget[] | undefined }> {
    const runs = [];
    for (const name of fs.readdirSync(this.root)) {
      const owner = ownerOfRunName(name);
      if (owner !== undefined) runs.push({ name, owner, targets: readRunFile(path.join(this.root, name)) });
    }
    return runs;
  }

  /**
   * With the lock held: forget runs whose owner died, then delete (when safe) each synthetic
   * placeholder among `released` and the dead runs' targets that no live run still owns.
   */
  private collect(released: readonly RegisteredTarget[]): void {
    const stillOwned = new Set<string>();
    const candidates = [...released];
    for (const run of this.readRuns()) {
      if (isAlive(run.owner)) {
        for (const t of run.targets ?? []) stillOwned.add(t.path);
        continue;
      }
      // Unreadable targets: the placeholders stay (never delete what we cannot prove is ours).
      candidates.push(...(run.targets ?? []));
      try {
        fs.unlinkSync(path.join(this.root, run.name));
      } catch {
        // Collected by someone else.
      }
    }
    for (const target of candidates) {
      if (target.origin !== 'synthetic' || stillOwned.has(target.path)) continue;
      stillOwned.add(target.path);
      removeEmptyPlaceholder(target.path, target.kind);
    }
  }
}

type PlaceholderOrigin = 'synthetic' | 'preexisting';

/** One target as a run file records it. */
interface RegisteredTarget {
  path: string;
  kind: 'file' | 'dir';
  /** `synthetic`: a sandbox run created it; `preexisting`: it was there before any run. */
  origin: PlaceholderOrigin;
}

function lstatOrUndefined(p: string): fs.Stats | undefined {
  try {
    return fs.lstatSync(p, { throwIfNoEntry: false });
  } catch {
    return undefined;
  }
}

/** The owner encoded in a run file's name, `run-<pid>-<start time>-<n>`; undefined for other names. */
function ownerOfRunName(name: string): OwnerIdentity | undefined {
  const match = RUN_NAME.exec(name);
  if (match?.[1] === undefined || match[2] === undefined) return undefined;
  return { pid: Number(match[1]), startTime: match[2] };
}

function readRunFile(file: string): RegisteredTarget[] | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed)) return undefined;
  const targets: RegisteredTarget[] = [];
  for (const item of parsed as unknown[]) {
    if (typeof item !== 'object' || item === null) return undefined;
    const record = item as Record<string, unknown>;
    const targetPath = record['path'];
    const kind = record['kind'];
    const origin = record['origin'];
    if (typeof targetPath !== 'string' || !path.isAbsolute(targetPath)) return undefined;
    if (kind !== 'file' && kind !== 'dir') return undefined;
    if (origin !== 'synthetic' && origin !== 'preexisting') return undefined;
    targets.push({ path: targetPath, kind, origin });
  }
  return targets;
}

/**
 * Deletes `target` only if it is still an empty regular file / empty directory, reached without
 * any symlink (a command that could write the parent may have swapped a directory on the way for a
 * link to somewhere else; then the placeholder is left alone).
 */
export function removeEmptyPlaceholder(target: string, kind: 'file' | 'dir'): boolean {
  let stat: fs.Stats;
  try {
    const parent = path.dirname(target);
    if (fs.realpathSync.native(parent) !== parent) return false;
    stat = fs.lstatSync(target);
  } catch {
    return false;
  }
  try {
    if (kind === 'file' && stat.isFile() && stat.size === 0) {
      fs.unlinkSync(target);
      return true;
    }
    // rmdir itself refuses a directory that is not empty (ENOTEMPTY), so no readdir first.
    if (kind === 'dir' && stat.isDirectory()) {
      fs.rmdirSync(target);
      return true;
    }
  } catch {
    // In use as a mount point elsewhere, or permissions changed: leave it.
  }
  return false;
}
