// Owns V8 settings for the front end's own short-lived process. Called by the CLI and helper entry
// points just before a command runs; never by the library API (its host process is not ours).
//
// Why: in a run this short, V8's optimizing tiers only cost. Path handling gets hot enough for
// TurboFan to compile it (~9 ms of CPU and ~4 MB of peak RSS for compiler zones), and Sparkplug
// adds baseline code. Turning them off with command-line flags (--lite-mode, --no-opt) would change
// V8's flag hash, which makes V8 reject the code cache Node embeds for its built-in modules, so
// `child_process`, `crypto`, ... would be compiled from source on every start (~15 ms). Changing
// the flags at run time, after those built-ins are loaded, gets both.
// It loads the built-ins a run needs first; anything loaded after it is compiled without a cache.
// Static imports only: a dynamic import() of a built-in would start Node's ES module loader.
import 'node:child_process';
import 'node:os';
import { setFlagsFromString } from 'node:v8';

export function tuneForShortRun(): void {
  // The imports above loaded child_process and os. crypto is not preloaded: a run does not use it
  // (only verifying a bundled bwrap does, and that loads it on first use).
  setFlagsFromString('--no-opt');
  setFlagsFromString('--no-sparkplug');
}
