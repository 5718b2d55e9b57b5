// macOS only (Bazel target //packages/seatbelt:test is incompatible elsewhere and reported skipped).
// Checks the host facility this backend will build on: sandbox-exec enforces a deny-write profile.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SANDBOX_EXEC_PATH } from '@codex-sandbox/seatbelt';

const onMac = process.platform === 'darwin';
(onMac ? describe : describe.skip)('sandbox-exec on this Mac', () => {
  test('a profile without file-write* refuses writes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'seatbelt-'));
    try {
      const target = join(dir, 'denied');
      const profile = '(version 1)(allow default)(deny file-write*)';
      const r = spawnSync(SANDBOX_EXEC_PATH, ['-p', profile, '/bin/sh', '-c', `echo x > '${target}'`]);
      expect(r.status).not.toBe(0);
      expect(existsSync(target)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
