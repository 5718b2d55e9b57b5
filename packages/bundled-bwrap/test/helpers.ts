// Test support: temp release layouts around the real codex-bwrap, and running children to completion.
// Real files and real processes only; nothing here fakes bwrap or the kernel.

import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface TestBinary {
  path: string;
  sha256: string;
}

/** The Bazel-built codex-bwrap. Missing variables make the calling test fail, never skip. */
export function requireTestBinary(): TestBinary {
  const binary = process.env.CODEX_BWRAP_TEST_BINARY;
  const sha256 = process.env.CODEX_BWRAP_TEST_SHA256;
  if (binary === undefined || binary === '' || sha256 === undefined || sha256 === '') {
    throw new Error('CODEX_BWRAP_TEST_BINARY and CODEX_BWRAP_TEST_SHA256 must be set (the Bazel test rule sets them)');
  }
  return { path: binary, sha256: sha256.toLowerCase() };
}

export const SANDBOX_ECHO_ARGS = ['--ro-bind', '/', '/', '--unshare-user', '--unshare-pid', '--', '/bin/sh', '-c', 'echo ok'];

const tempDirs: string[] = [];

/** A fresh temp dir; `world` puts it under /tmp with 0755 so an unprivileged user can traverse it. */
export function makeTempDir(prefix: string, world = false): string {
  const dir = fs.mkdtempSync(path.join(world ? '/tmp' : os.tmpdir(), `codex-bundled-bwrap-${prefix}-`));
  if (world) fs.chmodSync(dir, 0o755);
  tempDirs.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const dir of tempDirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

export interface ReleaseLayout {
  dir: string;
  frontEnd: string;
  bwrap: string;
}

/** `<dir>/codex` (a placeholder front end) and `<dir>/codex-resources/bwrap` (a copy of `binary`). */
export function makeReleaseLayout(binary: string, world = false): ReleaseLayout {
  const dir = makeTempDir('release', world);
  const frontEnd = path.join(dir, 'codex');
  fs.writeFileSync(frontEnd, '#!/bin/sh\nexit 0\n', { mode: 0o755 });
  fs.mkdirSync(path.join(dir, 'codex-resources'), { mode: 0o755 });
  const bwrap = path.join(dir, 'codex-resources', 'bwrap');
  fs.copyFileSync(binary, bwrap);
  fs.chmodSync(bwrap, 0o755);
  return { dir, frontEnd, bwrap };
}

/** Flips one byte in the middle of the file, in place. */
export function flipOneByte(file: string): void {
  const bytes = fs.readFileSync(file);
  const middle = Math.floor(bytes.length / 2);
  bytes[middle] = (bytes[middle] ?? 0) ^ 0xff;
  fs.writeFileSync(file, bytes);
}

/** A PATH made of one empty directory, so no `bwrap` can be found on it. */
export function pathWithoutBwrap(): string {
  return makeTempDir('empty-path');
}

export interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function finish(child: ChildProcess): Promise<Finished> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** Number of descriptors this process has open (to show an error path closed what it opened). */
export function openFdCount(): number {
  return fs.readdirSync('/proc/self/fd').length;
}
