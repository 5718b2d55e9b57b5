// Finding and verifying codex-landlock-helper, the legacy Landlock backend's only stage
// (helper-binary.ts does the work), kept open so that the verified bytes are what runs (through
// /proc/self/fd), and asking it which Landlock ABI the kernel offers. Must NOT decide the ruleset
// (landlock-plan.ts) or run a command (landlock-run.ts).

import { spawnSync } from 'node:child_process';

import { loadHelperBinary, usableDigest, type DigestMemo, type HelperBinary, type HelperBinaryKind } from './helper-binary.js';
import { SandboxRuntimeError } from './runtime-errors.js';

// Replaced with a string literal by the release bundler (esbuild define); undefined under jest.
declare const __CODEX_LANDLOCK_HELPER_SHA256__: string | undefined;

/** The helper cannot be found, read, run, or does not match its embedded digest; Landlock runs refuse. */
export class LandlockHelperError extends SandboxRuntimeError {}

/** A verified helper with its descriptor open (close-on-exec). */
export type LandlockHelper = HelperBinary & { fd: number };

const LANDLOCK_HELPER: HelperBinaryKind = {
  resource: 'codex-landlock-helper',
  testBinaryEnv: 'CODEX_LANDLOCK_HELPER_TEST_BINARY',
  description: 'the Landlock helper',
  neededBy: 'features.use_legacy_landlock',
  error: LandlockHelperError,
};

export interface LoadLandlockHelperOptions {
  frontEndPath: string | undefined;
  env: Readonly<Record<string, string | undefined>>;
  /** Expected SHA-256 hex; default: the embedded one (absent in development builds). */
  digest?: string | undefined;
  /** Digests of files seen before (the probe cache). */
  memo?: DigestMemo;
}

export function loadLandlockHelper(opts: LoadLandlockHelperOptions): LandlockHelper {
  const embedded = usableDigest(typeof __CODEX_LANDLOCK_HELPER_SHA256__ === 'string' ? __CODEX_LANDLOCK_HELPER_SHA256__ : undefined);
  const helper = loadHelperBinary(LANDLOCK_HELPER, { frontEndPath: opts.frontEndPath, env: opts.env, digest: 'digest' in opts ? opts.digest : embedded, keepOpen: true, ...(opts.memo === undefined ? {} : { memo: opts.memo }) });
  if (helper.fd === undefined) throw new LandlockHelperError('the Landlock helper descriptor was not kept open');
  return { ...helper, fd: helper.fd };
}

/** The kernel's Landlock ABI as the verified helper reports it (0: none), with the reason for none. */
export function probeLandlockAbi(helper: LandlockHelper): { abi: number; reason?: string } {
  const result = spawnSync(`/proc/self/fd/${helper.fd}`, ['--abi'], { encoding: 'utf8', env: {}, stdio: ['ignore', 'pipe', 'pipe'], timeout: 5000 });
  const abi = Number.parseInt(result.stdout?.trim() ?? '', 10);
  if (result.error !== undefined || result.status !== 0 || !Number.isInteger(abi) || abi < 0) {
    const detail = result.error?.message ?? (result.stderr?.trim() || `exit status ${String(result.status)}`);
    throw new LandlockHelperError(`cannot ask the Landlock helper ${helper.path} for the kernel's Landlock ABI: ${detail}`);
  }
  const reason = result.stderr?.trim();
  return abi === 0 && reason ? { abi, reason } : { abi };
}
