// Shared by the repository checks (check-rule-ids.mjs, check-manifests.mjs): walking the tree and
// reading TypeScript/JavaScript with the TypeScript parser (comments and string literals exactly,
// never by a regex that a quote or a `//` inside a string would fool). Reads files only.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

/** Directories never walked: dependencies, Bazel's trees and generated code. */
const SKIP_DIRS = new Set(['node_modules', 'external', '.git']);

/** TypeScript, from NODE_MODULES (the Bazel runfile) or the checkout's node_modules. */
export function loadTypeScript(root) {
  const nodeModules = process.env.NODE_MODULES ?? path.join(root, 'node_modules');
  return createRequire(path.join(path.resolve(nodeModules), 'noop.js'))('typescript');
}

/** Every file below `dir` (relative to `root`), sorted; missing `dir` gives none. */
export function walk(root, dir, { skipGenerated = false } = {}) {
  const out = [];
  const visit = (rel) => {
    let entries;
    try {
      entries = fs.readdirSync(path.join(root, rel), { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const child = path.posix.join(rel, e.name);
      const full = path.join(root, child);
      const isDir = e.isDirectory() || (e.isSymbolicLink() && fs.statSync(full, { throwIfNoEntry: false })?.isDirectory());
      if (isDir) {
        if (SKIP_DIRS.has(e.name) || e.name.startsWith('bazel-')) continue;
        if (skipGenerated && e.name === 'gen' && rel.endsWith('/src')) continue;
        visit(child);
      } else {
        out.push(child);
      }
    }
  };
  visit(dir);
  return out.sort();
}

const SCRIPT_EXTENSIONS = /\.(ts|mts|cts|js|mjs|cjs)$/;
const HASH_COMMENT_FILES = /(\.sh|\.bzl|\.bazel|\/BUILD|^BUILD|\.ya?ml|\.toml)$/;

/** The comments of one file with their line numbers; [] for kinds without comments we read. */
export function commentsOf(ts, file, text) {
  if (SCRIPT_EXTENSIONS.test(file)) {
    const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
    const seen = new Set();
    const out = [];
    const add = (ranges) => {
      for (const r of ranges ?? []) {
        if (seen.has(r.pos)) continue;
        seen.add(r.pos);
        out.push({ line: sf.getLineAndCharacterOfPosition(r.pos).line + 1, text: text.slice(r.pos, r.end) });
      }
    };
    const visit = (node) => {
      add(ts.getLeadingCommentRanges(text, node.getFullStart()));
      add(ts.getTrailingCommentRanges(text, node.getEnd()));
      ts.forEachChild(node, visit);
    };
    visit(sf);
    add(ts.getLeadingCommentRanges(text, sf.endOfFileToken.getFullStart()));
    return out.sort((a, b) => a.line - b.line);
  }
  if (HASH_COMMENT_FILES.test(file)) {
    const out = [];
    text.split('\n').forEach((line, i) => {
      // A comment starts at a `#` that begins the line or follows a blank (not `$#`, not `"#"`).
      const m = /(^|\s)#(?!!)(.*)$/.exec(line);
      if (m !== null && !/["']/.test(line.slice(0, m.index))) out.push({ line: i + 1, text: m[2] });
    });
    return out;
  }
  return [];
}

/** Every string literal of a TypeScript file (test titles included), unescaped. */
export function stringLiteralsOf(ts, file, text) {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const out = new Set();
  const visit = (node) => {
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) out.add(node.text);
    else if (ts.isTemplateExpression(node)) out.add(node.getText(sf).slice(1, -1));
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}
