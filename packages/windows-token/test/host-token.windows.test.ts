// Windows only (Bazel target //packages/windows-token:test is incompatible elsewhere and reported
// skipped). Checks the host facility this backend will build on: whoami reports a token.
import { spawnSync } from 'node:child_process';

const onWindows = process.platform === 'win32';
(onWindows ? describe : describe.skip)('restricted tokens on this Windows host', () => {
  test('whoami /priv lists the privileges a restricted token would drop', () => {
    const r = spawnSync('whoami', ['/priv'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('SeChangeNotifyPrivilege');
  });
});
