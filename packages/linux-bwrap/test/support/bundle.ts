// Test support: bundles a TypeScript entry (and the packages it imports) into one CommonJS file with
// esbuild's JS API, so it can run as a plain `node` child process, also as an unprivileged user.

import * as fs from 'node:fs';
import * as path from 'node:path';

import { buildSync } from 'esbuild';

import { REPO_ROOT } from './env.js';

const WORKSPACE_PACKAGES = ['policy', 'bundled-bwrap', 'linux-bwrap', 'process-launch'];

/** Writes `<outDir>/<name>.cjs` (mode 0644) and returns its path. */
export function bundleEntry(entry: string, outDir: string, name: string): string {
  const outfile = path.join(outDir, `${name}.cjs`);
  const alias: Record<string, string> = {};
  for (const pkg of WORKSPACE_PACKAGES) alias[`@codex-sandbox/${pkg}`] = path.join(REPO_ROOT, 'packages', pkg, 'src', 'index.ts');
  buildSync({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    outfile,
    alias,
    logLevel: 'silent',
  });
  fs.chmodSync(outfile, 0o644);
  return outfile;
}
