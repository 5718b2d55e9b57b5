// Per-test lifecycle: starts managed proxies and loopback servers and closes every one of them
// after the test, so a failing assertion cannot leave a listener behind for the next test.
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { compileNetworkPolicy } from '../../src/policy.js';
import { startManagedProxy, type ManagedProxy, type ManagedProxyOptions } from '../../src/server.js';

export class Fixture {
  readonly #closers: Array<() => Promise<void> | void> = [];

  /** Registers something to close after the test (closed in reverse order). */
  add<T extends { close(): Promise<void> | void }>(thing: T): T {
    this.#closers.push(() => thing.close());
    return thing;
  }

  async proxy(table: Record<string, unknown>, options: ManagedProxyOptions = {}): Promise<ManagedProxy> {
    const policy = compileNetworkPolicy(table, { key: 'permissions.test.network' });
    return this.add(await startManagedProxy(policy, { connectTimeoutMs: 5_000, ...options }));
  }

  /** A scratch directory under /tmp (Bazel's TMPDIR is too deep for Unix socket paths), removed after the test. */
  tempDir(prefix = 'proxy-test-'): string {
    const dir = mkdtempSync(join('/tmp', prefix));
    this.#closers.push(() => rmSync(dir, { recursive: true, force: true }));
    return dir;
  }

  async closeAll(): Promise<void> {
    while (this.#closers.length > 0) {
      const close = this.#closers.pop();
      await close?.();
    }
  }
}
