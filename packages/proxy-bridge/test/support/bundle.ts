// Bundles a TypeScript entry of this package into one CommonJS file (esbuild's JS API), so a test
// can run it as a plain `node` child process.
import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import { buildSync } from 'esbuild';

/** Writes `<outDir>/<name>.cjs` and returns its path. */
export function bundleEntry(entry: string, outDir: string, name: string): string {
  const outfile = join(outDir, `${name}.cjs`);
  buildSync({ entryPoints: [entry], bundle: true, platform: 'node', target: 'node20', format: 'cjs', outfile, logLevel: 'silent' });
  chmodSync(outfile, 0o644);
  return outfile;
}
