// Finding, reading and verifying codex-proxy-relay, the managed proxy's native tunnel relay
// (helper-binary.ts does the work). The descriptor of the verified bytes stays open and the relay
// is executed as /proc/self/fd/N, so a file swapped after the check never runs. Must NOT decide
// anything about the proxy or start the relay (proxy-bridge's tunnel-relay.ts does).

import { loadHelperBinary, usableDigest, type DigestMemo, type HelperBinary, type HelperBinaryKind } from './helper-binary.js';
import { SandboxRuntimeError } from './runtime-errors.js';

// Replaced with a string literal by the release bundler (esbuild define); undefined under jest.
declare const __CODEX_PROXY_RELAY_SHA256__: string | undefined;

/** The relay cannot be found, read, or does not match its embedded digest; tunnels are refused. */
export class ProxyRelayError extends SandboxRuntimeError {}

export type ProxyRelay = HelperBinary & { fd: number };

export interface LoadProxyRelayOptions {
  /** Installed front end; the relay is `<its dir>/codex-resources/codex-proxy-relay`. */
  frontEndPath: string | undefined;
  env: Readonly<Record<string, string | undefined>>;
  /** Expected SHA-256 hex; default: the embedded one (absent in development builds). */
  digest?: string | undefined;
  /** Digests of files seen before (the probe cache). */
  memo?: DigestMemo;
}

const PROXY_RELAY: HelperBinaryKind = {
  resource: 'codex-proxy-relay',
  testBinaryEnv: 'CODEX_PROXY_RELAY_TEST_BINARY',
  description: 'the proxy tunnel relay',
  neededBy: 'the managed network proxy',
  error: ProxyRelayError,
};

/** The verified relay, its descriptor kept open (close-on-exec): execute `/proc/self/fd/${fd}`. */
export function loadProxyRelay(opts: LoadProxyRelayOptions): ProxyRelay {
  const embedded = usableDigest(typeof __CODEX_PROXY_RELAY_SHA256__ === 'string' ? __CODEX_PROXY_RELAY_SHA256__ : undefined);
  const loaded = loadHelperBinary(PROXY_RELAY, {
    frontEndPath: opts.frontEndPath,
    env: opts.env,
    digest: 'digest' in opts ? opts.digest : embedded,
    keepOpen: true,
    ...(opts.memo === undefined ? {} : { memo: opts.memo }),
  });
  if (loaded.fd === undefined) throw new ProxyRelayError('internal: the proxy tunnel relay was read without keeping its descriptor');
  return { ...loaded, fd: loaded.fd };
}
