// Pins the package's public surface: a name added to or dropped from src/index.ts fails here.
import * as api from '../src/index.js';

test('the exported runtime names', () => {
  expect(Object.keys(api).sort()).toEqual(['FORWARDED_SIGNALS', 'exitStatusOf', 'forwardingBeforeSpawn', 'launchChild', 'privateBinding', 'runDirect', 'signalForwarding', 'standardStdio', 'toProcessGroupOf']);
});
