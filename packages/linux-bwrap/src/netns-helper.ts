// Finding, reading and verifying codex-netns-helper, the inner stage of a proxy-only sandbox
// (helper-binary.ts does the work): exactly the verified bytes are what bwrap copies into the
// sandbox. Must NOT decide argv or run anything.

import { loadHelperBinary, usableDigest, type DigestMemo, type HelperBinary, type HelperBinaryKind } from './helper-binary.js';
import { SandboxRuntimeError } from './runtime-errors.js';

// Replaced with a string literal by the release bundler (esbuild define); undefined under jest.
declare const __CODEX_NETNS_HELPER_SHA256__: string | undefined;

/** The helper cannot be found, read, or does not match its embedded digest; proxy-only runs refuse. */
export class NetnsHelperError extends SandboxRuntimeError {}

export type NetnsHelper = Omit<HelperBinary, 'fd'>;

export interface LoadNetnsHelperOptions {
  /** Installed front end; the helper is `<its dir>/codex-resources/codex-netns-helper`. */
  frontEndPath: string | undefined;
  env: Readonly<Record<string, string | undefined>>;
  /** Expected SHA-256 hex; default: the embedded one (absent in development builds). */
  digest?: string | undefined;
  /** Digests of files seen before (the probe cache). */
  memo?: DigestMemo;
}

const NETNS_HELPER: HelperBinaryKind = {
  resource: 'codex-netns-helper',
  testBinaryEnv: 'CODEX_NETNS_HELPER_TEST_BINARY',
  description: 'the network bridge helper',
  neededBy: 'proxy-only network',
  error: NetnsHelperError,
};

export function loadNetnsHelper(opts: LoadNetnsHelperOptions): NetnsHelper {
  const embedded = usableDigest(typeof __CODEX_NETNS_HELPER_SHA256__ === 'string' ? __CODEX_NETNS_HELPER_SHA256__ : undefined);
  return loadHelperBinary(NETNS_HELPER, { frontEndPath: opts.frontEndPath, env: opts.env, digest: 'digest' in opts ? opts.digest : embedded, ...(opts.memo === undefined ? {} : { memo: opts.memo }) });
}
