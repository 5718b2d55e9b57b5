// Generates the deny-glob benchmark's workspace, the same every time: FILES regular files spread
// round-robin over a directory tree DEPTH - 1 levels deep (so the deepest files sit at depth DEPTH
// below the root), every 250th file named `*.env` (the matches of `**/*.env`). Reuses DIR when a
// previous run left the same tree there (the stamp file DIR.stamp beside it says which). Prints JSON
// {dirs, files, matches}. Used by bench/run.sh.
//
//   node bench/glob-tree.mjs DIR [--files 100000] [--depth 8]
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { files: { type: 'string', default: '100000' }, depth: { type: 'string', default: '8' } },
});
const [dir] = positionals;
const files = Number(values.files);
const depth = Number(values.depth);
if (dir === undefined || !Number.isInteger(files) || files < 1 || !Number.isInteger(depth) || depth < 2) {
  process.stderr.write('usage: glob-tree.mjs DIR [--files N >= 1] [--depth N >= 2]\n');
  process.exit(2);
}

// Fan-out per level: three at the top two levels, two below (a tree of depth 8 has 570 directories).
const fanOut = (level) => (level < 2 ? 3 : 2);
const dirs = [''];
for (let level = 0, frontier = ['']; level < depth - 1; level++) {
  const next = [];
  for (const parent of frontier) for (let i = 0; i < fanOut(level); i++) next.push(`${parent}d${level}${i}/`);
  dirs.push(...next);
  frontier = next;
}
const extensions = ['ts', 'js', 'json', 'md', 'txt'];
const name = (i) => (i % 250 === 7 ? `f${i}.env` : `f${i}.${extensions[i % extensions.length]}`);
const summary = { dirs: dirs.length - 1, files, matches: files > 7 ? Math.floor((files - 8) / 250) + 1 : 0 };
const stamp = JSON.stringify({ version: 1, files, depth });

const stampFile = `${dir.replace(/\/+$/, '')}.stamp`;
if (!(existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp)) {
  rmSync(dir, { recursive: true, force: true });
  for (const d of dirs) mkdirSync(join(dir, d), { recursive: true });
  for (let i = 0; i < files; i++) writeFileSync(join(dir, dirs[i % dirs.length], name(i)), '');
  writeFileSync(stampFile, stamp);
}
process.stdout.write(JSON.stringify(summary) + '\n');
