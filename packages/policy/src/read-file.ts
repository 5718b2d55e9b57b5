// Owns reading the files the policy package trusts (config.toml, NAME.config.toml,
// requirements.toml, a workspace's `.git` pointer file): only regular files, at most a fixed size,
// and only valid UTF-8, each refused with a message naming the file. A FIFO would block the front end
// forever and a device such as /dev/zero would grow without end; bytes that are not UTF-8 would be
// replaced in silence and change what the file says. Also the pure UTF-8 validator other packages
// use for their own input. Must NOT parse what it reads.
import { isUtf8 } from 'node:buffer';
import * as fs from 'node:fs';

import { ConfigError } from './errors.js';

/** Largest config or requirements file read: generous for hand-written TOML (real ones are a few KiB). */
export const MAX_POLICY_FILE_BYTES = 1024 * 1024;

/**
 * Pure: byte offset of the first byte that is not part of well-formed UTF-8 (RFC 3629: no overlong
 * forms, no surrogates, nothing above U+10FFFF), or -1 when all of `bytes` is valid.
 */
export function firstInvalidUtf8Offset(bytes: Uint8Array): number {
  // Valid input (every run's whole environment and command line) is checked natively; the byte
  // walk below, which a long environment would make hot enough to start the optimizing compiler,
  // runs only to find where invalid input goes wrong.
  if (isUtf8(bytes)) return -1;
  let i = 0;
  while (i < bytes.length) {
    const b0 = bytes[i] as number;
    if (b0 < 0x80) {
      i += 1;
      continue;
    }
    let need: number;
    let min: number;
    let max = 0xbf;
    if (b0 >= 0xc2 && b0 <= 0xdf) need = 1;
    else if (b0 >= 0xe0 && b0 <= 0xef) need = 2;
    else if (b0 >= 0xf0 && b0 <= 0xf4) need = 3;
    else return i;
    // The second byte's range rules out overlong forms, surrogates and code points past U+10FFFF.
    min = b0 === 0xe0 ? 0xa0 : b0 === 0xf0 ? 0x90 : 0x80;
    if (b0 === 0xed) max = 0x9f;
    if (b0 === 0xf4) max = 0x8f;
    for (let k = 1; k <= need; k += 1) {
      const b = bytes[i + k];
      if (b === undefined || b < min || b > max) return i;
      min = 0x80;
      max = 0xbf;
    }
    i += need + 1;
  }
  return -1;
}

function describeKind(stats: fs.Stats): string {
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a FIFO (named pipe)';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isSocket()) return 'a socket';
  return 'not a regular file';
}

function formatBytes(n: number): string {
  return n >= 1024 * 1024 ? `${(n / (1024 * 1024)).toFixed(1)} MiB` : `${n} bytes`;
}

export interface ReadPolicyFileOptions {
  /** What the file is, for messages (`config file`, `requirements file`). */
  what: string;
  /** Default MAX_POLICY_FILE_BYTES. */
  maxBytes?: number;
}

/**
 * The text of `file`, or undefined when it does not exist. Throws ConfigError (with the path) for
 * anything that is not a regular file (opened non-blocking, so a FIFO cannot hang us), a file
 * larger than the cap, unreadable bytes or bytes that are not UTF-8. Symlinks are followed.
 */
export function readPolicyTextFile(file: string, options: ReadPolicyFileOptions): string | undefined {
  const maxBytes = options.maxBytes ?? MAX_POLICY_FILE_BYTES;
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK | fs.constants.O_NOCTTY);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    throw new ConfigError(`cannot read ${options.what} (${code ?? 'error'})`, { path: file });
  }
  try {
    const stats = fs.fstatSync(fd);
    if (!stats.isFile()) {
      throw new ConfigError(`${options.what} is ${describeKind(stats)}; only a regular file is read`, { path: file });
    }
    const tooLarge = (): ConfigError =>
      new ConfigError(`${options.what} is larger than the limit of ${formatBytes(maxBytes)}; a config file is read only up to that size`, { path: file });
    if (stats.size > maxBytes) throw tooLarge();
    // Read one byte past the cap: the file may have grown since fstat.
    const buffer = Buffer.alloc(maxBytes + 1);
    let length = 0;
    for (;;) {
      let n: number;
      try {
        n = fs.readSync(fd, buffer, length, buffer.length - length, null);
      } catch (e) {
        throw new ConfigError(`cannot read ${options.what} (${(e as NodeJS.ErrnoException).code ?? 'error'})`, { path: file });
      }
      if (n === 0) break;
      length += n;
      if (length > maxBytes) throw tooLarge();
    }
    const bytes = buffer.subarray(0, length);
    const bad = firstInvalidUtf8Offset(bytes);
    if (bad >= 0) {
      throw new ConfigError(`${options.what} is not valid UTF-8 (byte offset ${bad}); save it as UTF-8`, { path: file });
    }
    return bytes.toString('utf8');
  } finally {
    fs.closeSync(fd);
  }
}
