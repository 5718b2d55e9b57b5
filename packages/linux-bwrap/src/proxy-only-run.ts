// The OS side of a proxy-only run: the descriptor numbers the helper and its spec get in bwrap
// (after the seccomp and status slots, before the empty-data descriptors), and the check that each
// route's host socket really is a Unix socket right before bwrap binds it. Must NOT decide argv
// (proxy-only-args.ts does) or talk to the proxy.

import * as fs from 'node:fs';

import { FIRST_DATA_FD } from './descriptors.js';
import { SandboxRequestError } from './runtime-errors.js';

/** bwrap copies the helper's bytes from here into the sandbox (`--ro-bind-data`). */
export const NETNS_HELPER_FD = FIRST_DATA_FD;
/** The helper inherits this one and reads its NetnsHelperSpec from it. */
export const NETNS_SPEC_FD = FIRST_DATA_FD + 1;
/** Empty-data descriptors of a proxy-only run start after the two above. */
export const PROXY_ONLY_FIRST_DATA_FD = FIRST_DATA_FD + 2;

/** Refuses the run when a route's socket is missing or not a socket (the proxy is not there). */
export function checkRouteSockets(paths: readonly string[]): void {
  for (const socketPath of paths) {
    let stat: fs.Stats;
    try {
      stat = fs.lstatSync(socketPath);
    } catch (error) {
      throw new SandboxRequestError(`proxy route socket ${socketPath} cannot be used: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}; is the proxy running?`);
    }
    if (!stat.isSocket()) throw new SandboxRequestError(`proxy route socket ${socketPath} is not a Unix socket`);
  }
}
