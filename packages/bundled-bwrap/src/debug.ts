// Owns when the package's debug lines reach the user: only with CODEX_SANDBOX_DEBUG=1.
// Must NOT produce the lines (the lookup/verify steps return them as data) or print anything else.

import type { Env } from './lookup.js';

const SANDBOX_DEBUG_ENV = 'CODEX_SANDBOX_DEBUG';

function sandboxDebugEnabled(env: Env): boolean {
  return env[SANDBOX_DEBUG_ENV] === '1';
}

/** Writes each line (newline-terminated) through `write` when debugging is on; returns whether it did. */
export function writeDebugLines(
  lines: readonly string[],
  env: Env,
  write: (text: string) => void = (text) => void process.stderr.write(text),
): boolean {
  if (!sandboxDebugEnabled(env)) return false;
  for (const line of lines) write(`${line}\n`);
  return true;
}
