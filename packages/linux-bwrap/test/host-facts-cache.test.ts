// Host facts kept in the probe cache (state directory): the kernel's Landlock ABI, asked of the
// helper once per boot and helper binary (LL3), and the digests of our helpers by file identity.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

import type { DigestMemo } from '../src/helper-binary.js';
import { HostFactsGatherer } from '../src/host-facts.js';
import { loadNetnsHelper, NetnsHelperError } from '../src/netns-helper.js';
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

test("a helper's digest is remembered by file identity: unchanged, it is not hashed again; changed in any way, it is", () => {
  const resources = path.join(dir, 'codex-resources');
  fs.mkdirSync(resources);
  const file = path.join(resources, 'codex-netns-helper');
  fs.writeFileSync(file, 'helper bytes');
  const cacheDir = path.join(dir, 'cache');
  fs.mkdirSync(cacheDir);
  const expected = createHash('sha256').update('helper bytes').digest('hex');
  const load = (memo: DigestMemo) => loadNetnsHelper({ frontEndPath: path.join(dir, 'codex'), env: {}, digest: expected, memo });

  const first = gatherer(cacheDir).digests;
  let hashedByMemo = 0;
  const counting: DigestMemo = {
    known: (f, s) => first.known(f, s),
    remember: (f, s, hex) => {
      hashedByMemo += 1;
      first.remember(f, s, hex);
    },
  };
  expect(load(counting).verification).toBe('verified');
  expect(hashedByMemo).toBe(1);
  // A later sandbox object finds the digest in the cache and does not hash.
  expect(load(counting).verification).toBe('verified');
  expect(hashedByMemo).toBe(1);
  // Rewritten with the same size and mtime put back: ctime moved, so it is hashed again and refused.
  const { mtime } = fs.statSync(file);
  fs.writeFileSync(file, 'HELPER BYTES');
  fs.utimesSync(file, mtime, mtime);
  expect(() => load(gatherer(cacheDir).digests)).toThrow(NetnsHelperError);
});
