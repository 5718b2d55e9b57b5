// Public surface of @codex-sandbox/process-launch: starting one child process with a fixed
// descriptor table, the signal forwarding of a run and the exit-status mapping, shared by the
// Linux (bubblewrap) and macOS (sandbox-exec) runners. test/public-api.test.ts pins this list.
// Must NOT know about any sandbox: what to run and where signals go are the backends' business.
export { launchChild, standardStdio, type ChildEnd, type ChildLaunch, type RunningChild, type StdioSlot } from './child-launch.js';
export { exitStatusOf, forwardingBeforeSpawn, signalForwarding, toProcessGroupOf, FORWARDED_SIGNALS, type EarlyForwarding } from './signal-forwarding.js';
export { runDirect, type DirectRunRequest } from './direct-run.js';
export { privateBinding, type PrivateBindingName } from './private-binding.js';
