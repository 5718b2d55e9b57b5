// Owns reading and writing `$CODEX_HOME/cap_sid` (W3) on the host: read without following a
// symlink, write atomically (a new file created exclusively beside it, then renamed over it), so a
// crash or a planted link never leaves a half-written file or writes through to another path.
// Must NOT decide which SIDs a token carries (capability-sids.ts does).
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  capabilitySidFromBytes,
  newCapabilitySids,
  parseCapabilitySids,
  serializeCapabilitySids,
  type CapabilitySids,
  type SidAllocator,
} from './capability-sids.js';
import { CapabilitySidFileError } from './errors.js';

export const CAP_SID_FILE_NAME = 'cap_sid';

/** A random capability SID (the runner's allocator). */
export const randomCapabilitySid: SidAllocator = () => capabilitySidFromBytes(randomBytes(16));

export interface LoadedCapabilitySids {
  sids: CapabilitySids;
  /** The file was missing or in the legacy format: write it back before the SIDs are used. */
  needsWrite: boolean;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Reads the store; a missing file yields a new one. A symlink or non-file at the path refuses. */
export function readCapabilitySids(codexHome: string, allocate: SidAllocator): LoadedCapabilitySids {
  const file = path.join(codexHome, CAP_SID_FILE_NAME);
  let stats: fs.Stats;
  try {
    stats = fs.lstatSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { sids: newCapabilitySids(allocate), needsWrite: true };
    throw new CapabilitySidFileError(`cannot read ${file}: ${describe(error)}`);
  }
  if (stats.isSymbolicLink()) throw new CapabilitySidFileError(`${file} is a symbolic link; refusing to follow it (remove it)`);
  if (!stats.isFile()) throw new CapabilitySidFileError(`${file} is not a regular file (remove it)`);
  let text: string;
  try {
    // O_NOFOLLOW where the OS has it: a link swapped in after the lstat is not followed either.
    const fd = fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0));
    try {
      text = fs.readFileSync(fd, 'utf8');
    } finally {
      fs.closeSync(fd);
    }
  } catch (error) {
    throw new CapabilitySidFileError(`cannot read ${file}: ${describe(error)}`);
  }
  const parsed = parseCapabilitySids(text, allocate, file);
  return { sids: parsed.sids, needsWrite: parsed.upgraded };
}

/** Writes the store atomically: exclusive create of a temporary file, flush, rename over the file. */
export function writeCapabilitySids(codexHome: string, sids: CapabilitySids): void {
  const file = path.join(codexHome, CAP_SID_FILE_NAME);
  const temporary = path.join(codexHome, `.${CAP_SID_FILE_NAME}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    fs.mkdirSync(codexHome, { recursive: true, mode: 0o700 });
    // `wx`: fails if anything (a link included) already has the temporary name.
    const fd = fs.openSync(temporary, 'wx', 0o600);
    try {
      fs.writeFileSync(fd, serializeCapabilitySids(sids));
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    // rename replaces a link at `file` itself; it never writes through it.
    fs.renameSync(temporary, file);
  } catch (error) {
    fs.rmSync(temporary, { force: true });
    throw new CapabilitySidFileError(`cannot write ${file}: ${describe(error)}`);
  }
}
