// Test support for the deny-glob scan tests: real trees of files, directories, symlinks and FIFOs
// under one temp dir. Creates files only; must NOT scan or match anything.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** A string is a file's contents, null a directory, `{ link }` a symlink, `{ fifo }` a FIFO. */
export type TreeNode = string | { link: string } | { fifo: true } | null;

/** A new directory under `base` holding `spec` (paths relative to it); returns its path. */
export function makeTree(base: string, spec: Record<string, TreeNode>): string {
  const root = fs.mkdtempSync(path.join(base, 'tree-'));
  for (const [rel, content] of Object.entries(spec)) {
    const target = path.join(root, rel);
    if (content === null) {
      fs.mkdirSync(target, { recursive: true });
      continue;
    }
    fs.mkdirSync(path.dirname(target), { recursive: true });
    if (typeof content === 'string') fs.writeFileSync(target, content);
    else if ('fifo' in content) execFileSync('mkfifo', [target]);
    else fs.symlinkSync(content.link, target);
  }
  return root;
}
