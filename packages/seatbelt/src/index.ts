// Public surface of @codex-sandbox/seatbelt, the macOS backend: a resolved policy -> Seatbelt
// (SBPL) text and its `-D` parameters (pure), the structural check every generated policy passes,
// the plan of one `/usr/bin/sandbox-exec` launch, and the runner. test/public-api.test.ts pins this
// list. This package must never spawn anything but /usr/bin/sandbox-exec (and, for
// --log-denials, /usr/bin/log and /bin/ps), and never resolve them from PATH.
export { SeatbeltError, SeatbeltPolicyError, SeatbeltCheckError, SeatbeltRunError } from './errors.js';
export { buildSeatbeltPolicy, type SeatbeltInput, type SeatbeltPolicy, type SeatbeltWritableRoot } from './seatbelt-policy.js';
export { loopbackProxyPorts, type SeatbeltNetwork, type UnixSocketAccess } from './network-section.js';
export { globToRegex, globAncestors, escapeRegexLiteral } from './sbpl-regex.js';
export { checkSeatbeltPolicy, type CheckResult } from './checker.js';
export { seatbeltInputFor, type SeatbeltHostOptions } from './host-paths.js';
export type { SeatbeltProfileKind } from './fixed-sections.js';
export { planSeatbelt, sandboxExecArgv, SANDBOX_EXEC_PATH, SEATBELT_SANDBOX_VARIABLE, type SeatbeltPlan } from './plan.js';
export { runSeatbelt, type SeatbeltRunRequest, type SeatbeltRunResult } from './runner.js';
export { formatDenials, type Denial } from './denial-log.js';
