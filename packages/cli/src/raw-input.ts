// Owns refusing input that Node would alter before we see it. Node decodes arguments and the
// environment as UTF-8 and replaces bytes that are not with U+FFFD, so `rm 'keep\xff'` would remove
// a different file; JS strings with lone surrogates are encoded the same lossy way when passed to a
// child. We cannot pass the exact bytes through, so such input is refused, naming what it was.
// Pure checks on bytes and strings, plus `checkProcessInput`, which reads this process's raw
// command line and environment from /proc. Must NOT print or exit.
import { isUtf8 } from 'node:buffer';
import * as fs from 'node:fs';
import { firstInvalidUtf8Offset } from '@codex-sandbox/policy';
import { InvalidTextError } from './errors.js';

const REQUIREMENT = 'arguments, -C and environment variables must be valid UTF-8 (Node.js would replace the other bytes, so nothing was run)';

/** Pure: printable ASCII as is, anything else (and `\` and `'`) as \xNN, in single quotes. */
export function escapeBytes(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) {
    out += b >= 0x20 && b < 0x7f && b !== 0x5c && b !== 0x27 ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`;
  }
  return `'${out}'`;
}

/** What the launcher's stash names stand for (the user set the original name). */
function userVariableName(name: string): string {
  const stashed = /^CODEX_SANDBOX_STASHED_(.+)$/.exec(name);
  return stashed?.[1] ?? name;
}

/**
 * Pure: throws InvalidTextError for the first argument that is not UTF-8. `args` are the raw bytes
 * of process.argv[1..] (the executable's path first); numbering follows process.argv, so the user's
 * first argument is argument 1.
 */
export function checkRawArguments(args: readonly Uint8Array[]): void {
  for (const [index, bytes] of args.entries()) {
    if (firstInvalidUtf8Offset(bytes) < 0) continue;
    if (index === 0) throw new InvalidTextError(`the path of this executable ${escapeBytes(bytes)} is not valid UTF-8; ${REQUIREMENT}`, 1);
    throw new InvalidTextError(`argument ${index} ${escapeBytes(bytes)} is not valid UTF-8; ${REQUIREMENT}`, 2);
  }
}

/** Pure: throws InvalidTextError naming the first `NAME=value` entry that is not UTF-8 (never its value). */
export function checkRawEnvironment(entries: readonly Uint8Array[]): void {
  for (const entry of entries) {
    if (firstInvalidUtf8Offset(entry) < 0) continue;
    const equals = entry.indexOf(0x3d);
    const nameBytes = equals < 0 ? entry : entry.subarray(0, equals);
    const name = firstInvalidUtf8Offset(nameBytes) < 0 ? userVariableName(Buffer.from(nameBytes).toString('utf8')) : escapeBytes(nameBytes);
    throw new InvalidTextError(`the value of environment variable ${name} is not valid UTF-8; ${REQUIREMENT}`, 1);
  }
}

function splitNul(bytes: Buffer): Buffer[] {
  const parts: Buffer[] = [];
  let start = 0;
  // indexOf searches natively: a byte loop here is hot enough, with a long environment, to start
  // the optimizing compiler.
  for (let i = bytes.indexOf(0); i !== -1; i = bytes.indexOf(0, start)) {
    parts.push(bytes.subarray(start, i));
    start = i + 1;
  }
  if (start < bytes.length) parts.push(bytes.subarray(start));
  return parts;
}

/**
 * Checks this process's raw command line and environment as the kernel handed them over. The
 * arguments Node shows as process.argv[1..] are the last `argvCount` words of /proc/self/cmdline
 * (before them come Node's own flags and, through the sh launcher, `-e LOADER`). Throws
 * InvalidTextError; a /proc that cannot be read is an InvalidTextError too (fail closed).
 */
export function checkProcessInput(argvCount: number): void {
  let cmdline: Buffer;
  let environ: Buffer;
  try {
    cmdline = fs.readFileSync('/proc/self/cmdline');
    environ = fs.readFileSync('/proc/self/environ');
  } catch (error) {
    throw new InvalidTextError(`cannot read this process's command line and environment from /proc to check that they are valid UTF-8 (${String(error)})`, 1);
  }
  const words = splitNul(cmdline);
  if (words.length < argvCount) {
    throw new InvalidTextError(`/proc/self/cmdline has ${words.length} words, fewer than the ${argvCount} arguments Node.js reports; cannot check them`, 1);
  }
  // Valid input is the rule: one native check of the whole (NUL is valid UTF-8, and no UTF-8
  // sequence contains a 0x00 byte, so the whole is valid exactly when every word is). Only input
  // that fails it is checked word by word, to name the one at fault (and, for the command line, to
  // leave Node's own words before ours out).
  if (!isUtf8(cmdline)) checkRawArguments(words.slice(words.length - argvCount));
  if (!isUtf8(environ)) checkRawEnvironment(splitNul(environ));
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Pure: throws InvalidTextError when a string given to the library API cannot be passed on as it
 * is (a lone UTF-16 surrogate, which Node would replace with U+FFFD). `what` names it.
 */
export function requireWellFormed(what: string, value: string, options: { showValue?: boolean } = {}): void {
  if (LONE_SURROGATE.test(value)) {
    const shown = options.showValue === false ? '' : ` ${JSON.stringify(value)}`;
    throw new InvalidTextError(`${what}${shown} contains a lone UTF-16 surrogate, which cannot be passed on unchanged; nothing was run`, 2);
  }
}
