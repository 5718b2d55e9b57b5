// Finding, reading and verifying codex-mask-helper, the stage that makes a run's many deny masks
// inside the sandbox (G11; helper-binary.ts does the work): exactly the verified bytes are what
// bwrap copies into the sandbox. A helper that is not installed only means bubblewrap makes the
// masks, as it always could; one that is there and does not match its digest refuses the run.
// Must NOT decide argv, probe the host or run anything.

import { loadHelperBinaryIfPresent, usableDigest, type DigestMemo, type HelperBinary, type HelperBinaryKind } from './helper-binary.js';
import { SandboxRuntimeError } from './runtime-errors.js';

// Replaced with a string literal by the release bundler (esbuild define); undefined under jest.
declare const __CODEX_MASK_HELPER_SHA256__: string | undefined;

/** The helper is there but cannot be read, or does not match its embedded digest: runs refuse. */
export class MaskHelperError extends SandboxRuntimeError {}

export type MaskHelper = Omit<HelperBinary, 'fd'>;

export interface LoadMaskHelperOptions {
  /** Installed front end; the helper is `<its dir>/codex-resources/codex-mask-helper`. */
  frontEndPath: string | undefined;
  env: Readonly<Record<string, string | undefined>>;
  /** Expected SHA-256 hex; default: the embedded one (absent in development builds). */
  digest?: string | undefined;
  /** Digests of files seen before (the probe cache). */
  memo?: DigestMemo;
}

const MASK_HELPER: HelperBinaryKind = {
  resource: 'codex-mask-helper',
  testBinaryEnv: 'CODEX_MASK_HELPER_TEST_BINARY',
  description: 'the mask helper',
  neededBy: 'many deny masks',
  error: MaskHelperError,
};

/** The verified helper, or why there is none (bubblewrap then makes every mask). */
export function loadMaskHelper(opts: LoadMaskHelperOptions): { helper: MaskHelper } | { absent: string } {
  const embedded = usableDigest(typeof __CODEX_MASK_HELPER_SHA256__ === 'string' ? __CODEX_MASK_HELPER_SHA256__ : undefined);
  const found = loadHelperBinaryIfPresent(MASK_HELPER, {
    frontEndPath: opts.frontEndPath,
    env: opts.env,
    digest: 'digest' in opts ? opts.digest : embedded,
    ...(opts.memo === undefined ? {} : { memo: opts.memo }),
  });
  if ('helper' in found) return { helper: found.helper };
  if (!found.missing) throw new MaskHelperError(`the mask helper cannot be read: ${found.where}`);
  return { absent: `codex-resources/codex-mask-helper is not installed next to the front end (looked in ${found.where})` };
}
