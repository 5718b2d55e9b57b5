// Test support for the end-to-end suites: one shared fixture (bundled front end, a copy of
// codex-bwrap, per-variant homes) and helpers to run the bundled front end as root or as an
// unprivileged user against the system bwrap or codex-bwrap. Real processes, real bwrap.

import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { PROTECTED_METADATA_NAMES, type ResolvedSandboxPolicy, type WritableRoot } from '@codex-sandbox/policy';

import { bundleEntry } from './bundle.js';
import { codexBwrapTestBinary, landlockHelperTestBinary, maskHelperTestBinary, netnsHelperTestBinary, NOBODY_UID, publicTempDir, removeTree, systemBwrapPath } from './env.js';
import type { RunSpec } from './run-entry.js';

export interface Variant {
  name: string;
  uid: number;
  launcher: RunSpec['launcher'];
  /** Per-variant directory owned by the variant's user (workspaces, TMPDIR, cache). */
  home: string;
}

export interface Fixture {
  root: string;
  entry: string;
  variants: Variant[];
  /** A 0755 copy of the Bazel-built codex-netns-helper (proxy-only runs). */
  netnsHelper: string;
  /** A 0755 copy of the Bazel-built codex-landlock-helper (legacy Landlock runs). */
  landlockHelper: string;
  /** A 0755 copy of the Bazel-built codex-mask-helper (runs with many deny masks). */
  maskHelper: string;
  dispose(): void;
}

/**
 * The variants every end-to-end suite runs under, by name: each bwrap (system, codex-bwrap) as root
 * and as nobody. Known before the fixture exists, so `describe.each` can name its blocks.
 */
export const VARIANT_NAMES = ['system-bwrap as root', 'codex-bwrap as root', 'system-bwrap as nobody', 'codex-bwrap as nobody'] as const;

/** The fixture's variant called `name` (one of VARIANT_NAMES). */
export function variantNamed(fixture: Fixture, name: string): Variant {
  const found = fixture.variants.find((v) => v.name === name);
  if (found === undefined) throw new Error(`no variant ${name}`);
  return found;
}

export function createFixture(): Fixture {
  const root = publicTempDir('linux-bwrap-e2e-');
  const entry = bundleEntry(path.join(__dirname, 'run-entry.ts'), root, 'run-entry');
  const codexBwrap = codexBwrapTestBinary();
  const bundledCopy = path.join(root, 'codex-bwrap');
  fs.copyFileSync(codexBwrap.path, bundledCopy);
  fs.chmodSync(bundledCopy, 0o755);
  const launchers: Array<[string, RunSpec['launcher']]> = [
    ['system-bwrap', { kind: 'system', path: systemBwrapPath() }],
    ['codex-bwrap', { kind: 'bundled', path: bundledCopy, sha256: codexBwrap.sha256 }],
  ];
  const variants: Variant[] = [];
  for (const uid of [0, NOBODY_UID]) {
    for (const [launcherName, launcher] of launchers) {
      const name = `${launcherName} as ${uid === 0 ? 'root' : 'nobody'}`;
      const home = path.join(root, `${launcherName}-${uid}`);
      for (const sub of ['', 'tmp', 'cache']) {
        fs.mkdirSync(path.join(home, sub), { mode: 0o755, recursive: true });
        fs.chownSync(path.join(home, sub), uid, uid);
      }
      variants.push({ name, uid, launcher, home });
    }
  }
  const netnsHelper = path.join(root, 'codex-netns-helper');
  fs.copyFileSync(netnsHelperTestBinary(), netnsHelper);
  fs.chmodSync(netnsHelper, 0o755);
  const landlockHelper = path.join(root, 'codex-landlock-helper');
  fs.copyFileSync(landlockHelperTestBinary(), landlockHelper);
  fs.chmodSync(landlockHelper, 0o755);
  const maskHelper = path.join(root, 'codex-mask-helper');
  fs.copyFileSync(maskHelperTestBinary(), maskHelper);
  fs.chmodSync(maskHelper, 0o755);
  if (variants.map((v) => v.name).join('\n') !== VARIANT_NAMES.join('\n')) {
    throw new Error(`the fixture's variants (${variants.map((v) => v.name).join(', ')}) are not VARIANT_NAMES`);
  }
  return { root, entry, variants, netnsHelper, landlockHelper, maskHelper, dispose: () => removeTree(root) };
}

let workspaceCounter = 0;
const liveDrivers = new Set<ChildProcess>();

/** SIGKILLs front ends a failed test left running (their sandboxes die with them). */
export function killLeftoverDrivers(): void {
  for (const child of liveDrivers) child.kill('SIGKILL');
  liveDrivers.clear();
}

/** A fresh workspace owned by the variant's user, populated with `files` (relative path -> content). */
export function makeWorkspace(variant: Variant, files: Record<string, string> = {}): string {
  workspaceCounter += 1;
  const ws = path.join(variant.home, `ws-${workspaceCounter}`);
  fs.mkdirSync(ws);
  for (const [rel, content] of Object.entries(files)) {
    const file = path.join(ws, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
  }
  chownTree(ws, variant.uid);
  return ws;
}

function chownTree(p: string, uid: number): void {
  fs.lchownSync(p, uid, uid);
  if (fs.lstatSync(p).isDirectory()) for (const child of fs.readdirSync(p)) chownTree(path.join(p, child), uid);
}

export function writableRoot(root: string, readOnlySubpaths: string[] = []): WritableRoot {
  return { root, readOnlySubpaths, protectedMetadataNames: [...PROTECTED_METADATA_NAMES] };
}

/** `:read-only`-like: everything readable, nothing writable, no network. */
export function readOnlyPolicy(cwd: string, extra: Partial<ResolvedSandboxPolicy> = {}): ResolvedSandboxPolicy {
  return {
    kind: 'restricted',
    cwd,
    network: 'restricted',
    fullDiskRead: true,
    fullDiskWrite: false,
    includePlatformDefaults: true,
    readableRoots: [],
    writableRoots: [],
    unreadableRoots: [],
    unreadableGlobs: [],
    needsSandbox: true,
    ...extra,
  };
}

/** `:workspace`-like: everything readable, the workspace writable (metadata protected), no network. */
export function workspacePolicy(ws: string, extra: Partial<ResolvedSandboxPolicy> = {}): ResolvedSandboxPolicy {
  const gitDir = path.join(ws, '.git');
  return readOnlyPolicy(ws, { writableRoots: [writableRoot(ws, fs.existsSync(gitDir) ? [gitDir] : [])], ...extra });
}

export const COMMAND_PATH = '/usr/bin:/bin';

export interface DriverRun {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the front end's exit code (128+N if it died of signal N). */
  exited: Promise<number>;
  /** Resolves once stdout contains `text`; rejects if the process exits first. */
  waitFor(text: string): Promise<void>;
}

export interface DriverOptions {
  stdin?: string;
  /** Run through `script -qc` so the command gets a terminal. */
  tty?: boolean;
  /** Runs (as root) before switching user: it must end by exec'ing "$@". */
  prefix?: string[];
  /** Runs as the variant's user, right before the front end. */
  innerPrefix?: string[];
}

/** Starts the bundled front end for `variant` with a spec (launcher, cache and tmp dir filled in). */
export function startDriver(
  fixture: Fixture,
  variant: Variant,
  spec: Omit<RunSpec, 'launcher' | 'cacheDir' | 'tmpDir'> & { cacheDir?: string | null },
  options: DriverOptions = {},
): DriverRun {
  workspaceCounter += 1;
  const specFile = path.join(fixture.root, `spec-${workspaceCounter}.json`);
  const full: RunSpec = {
    ...spec,
    launcher: variant.launcher,
    cacheDir: spec.cacheDir === undefined ? path.join(variant.home, 'cache') : spec.cacheDir,
    tmpDir: path.join(variant.home, 'tmp'),
  };
  fs.writeFileSync(specFile, JSON.stringify(full), { mode: 0o644 });
  let argv = [...(options.innerPrefix ?? []), process.execPath, fixture.entry, specFile];
  if (variant.uid !== 0) argv = ['setpriv', `--reuid=${variant.uid}`, `--regid=${variant.uid}`, '--clear-groups', '--', ...argv];
  if (options.prefix !== undefined) argv = [...options.prefix, ...argv];
  // `exec`: no shell of script's stays in the terminal's foreground group (dash would report its
  // own death by a Ctrl-C as the exit status).
  if (options.tty === true) argv = ['script', '-qec', `exec ${argv.map((a) => `'${a}'`).join(' ')}`, '/dev/null'];
  const [program, ...args] = argv as [string, ...string[]];
  const child = spawn(program, args, {
    cwd: spec.commandCwd,
    env: { PATH: COMMAND_PATH, HOME: variant.home, TMPDIR: path.join(variant.home, 'tmp'), LANG: 'C' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  liveDrivers.add(child);
  child.on('exit', () => liveDrivers.delete(child));
  let out = '';
  let err = '';
  const waiters: Array<{ text: string; resolve: () => void }> = [];
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
    for (const w of waiters.filter((x) => out.includes(x.text))) w.resolve();
  });
  child.stderr?.on('data', (d: Buffer) => {
    err += d.toString();
  });
  if (options.stdin !== undefined) child.stdin?.end(options.stdin);
  else if (options.tty !== true) child.stdin?.end();
  const exited = new Promise<number>((resolve) => {
    child.on('close', (code, signal) => resolve(code ?? 128 + (signal === null ? 0 : signalNumber(signal))));
  });
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitFor: (text) =>
      new Promise<void>((resolve, reject) => {
        if (out.includes(text)) {
          resolve();
          return;
        }
        waiters.push({ text, resolve });
        void exited.then((code) => reject(new Error(`front end exited (${code}) before printing ${JSON.stringify(text)}; stdout: ${out}; stderr: ${err}`)));
      }),
  };
}

function signalNumber(signal: NodeJS.Signals): number {
  return os.constants.signals[signal] ?? 0;
}

export interface DriverResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runDriver(
  fixture: Fixture,
  variant: Variant,
  spec: Parameters<typeof startDriver>[2],
  options: DriverOptions = {},
): Promise<DriverResult> {
  const run = startDriver(fixture, variant, spec, options);
  const code = await run.exited;
  return { code, stdout: run.stdout(), stderr: run.stderr() };
}

/** A shell prelude: `p LABEL CMD` prints `LABEL:ok` or `LABEL:denied`. */
export const PROBE_PRELUDE = 'p() { if sh -c "$2" >/dev/null 2>&1; then echo "$1:ok"; else echo "$1:denied"; fi; }; ';

/** Host pids whose command line contains `needle`. */
export function pidsWithCmdline(needle: string): number[] {
  const pids: number[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (fs.readFileSync(`/proc/${name}/cmdline`, 'utf8').includes(needle)) pids.push(Number(name));
    } catch {
      // Exited meanwhile.
    }
  }
  return pids;
}

export async function waitUntil(condition: () => boolean, what: string, limitMs = 10_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
