// Pins the package's public surface: a name added to or dropped from src/index.ts fails here, so
// the surface changes only on purpose (and the README's API section with it).
import * as api from '../src/index.js';

test('the exported runtime names', () => {
  expect(Object.keys(api).sort()).toEqual([
    'SANDBOX_EXEC_PATH',
    'SEATBELT_SANDBOX_VARIABLE',
    'SeatbeltCheckError',
    'SeatbeltError',
    'SeatbeltPolicyError',
    'SeatbeltRunError',
    'buildSeatbeltPolicy',
    'checkSeatbeltPolicy',
    'escapeRegexLiteral',
    'formatDenials',
    'globAncestors',
    'globToRegex',
    'loopbackProxyPorts',
    'planSeatbelt',
    'runSeatbelt',
    'sandboxExecArgv',
    'seatbeltInputFor',
  ]);
});
