// runDirect with real processes: the command's status (C6), a signal death as 128 + N, a missing
// program as 127.
import { runDirect } from '../src/direct-run.js';

test.each<[string[], number]>([
  [['/bin/sh', '-c', 'exit 0'], 0],
  [['/bin/sh', '-c', 'exit 7'], 7],
  [['/bin/sh', '-c', 'kill -TERM $$'], 143],
  [['/nonexistent/program'], 127],
])('%j -> %i', async (command, status) => {
  expect(await runDirect({ command, cwd: '/', env: {}, stdio: 'ignore' })).toBe(status);
});

test('the command gets exactly the given environment', async () => {
  expect(await runDirect({ command: ['/bin/sh', '-c', 'test "$ONLY" = yes && test -z "$HOME"'], cwd: '/', env: { ONLY: 'yes', DROPPED: undefined }, stdio: 'ignore' })).toBe(0);
});
