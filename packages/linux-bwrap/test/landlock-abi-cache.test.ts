// LL3: the kernel's Landlock ABI is asked of the helper once per boot and helper binary; later
// sandbox objects read it from the probe cache in the state directory.
import * as fs from 'node:fs';
import * as path from 'node:path';

import { HostFactsGatherer } from '../src/host-facts.js';
import { ProbeCache } from '../src/probe-cache.js';
import { privateTempDir, removeTree } from './support/env.js';

let dir: string;
beforeEach(() => {
  dir = privateTempDir('landlock-abi-cache-');
});
afterEach(() => removeTree(dir));

function gatherer(cacheDir: string): HostFactsGatherer {
  return new HostFactsGatherer(new ProbeCache(cacheDir), { env: {}, onWarning: () => {} });
}

test('the Landlock ABI is probed once, then read from the cache by later sandbox objects', () => {
  const file = path.join(dir, 'codex-landlock-helper');
  fs.writeFileSync(file, 'helper');
  const fd = fs.openSync(file, 'r');
  try {
    let probes = 0;
    const probe = () => {
      probes += 1;
      return { abi: 6 };
    };
    const cacheDir = path.join(dir, 'cache');
    fs.mkdirSync(cacheDir);
    expect(gatherer(cacheDir).landlockAbi({ path: file, fd }, probe)).toEqual({ abi: 6 });
    expect(gatherer(cacheDir).landlockAbi({ path: file, fd }, probe)).toEqual({ abi: 6 });
    expect(probes).toBe(1);
    // Another helper binary (an upgrade) is probed again.
    fs.appendFileSync(file, ' v2');
    expect(gatherer(cacheDir).landlockAbi({ path: file, fd }, probe)).toEqual({ abi: 6 });
    expect(probes).toBe(2);
  } finally {
    fs.closeSync(fd);
  }
});
