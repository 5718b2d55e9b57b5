// check-rule-ids.mjs [ROOT]: the rule ids in comments resolve in docs/behaviour.md, and the tests
// it names exist.
//   - every rule heading (`### ID title`) is unique and names at least one test;
//   - every test it names ("- FILE: TITLE") is a file whose string literals include TITLE;
//   - every rule id cited in a comment under packages/*/src, packages/*/test, tools/ and
//     third_party/ (P19, L15, B7.3, ranges like P1-P9) is a heading there, and every issue
//     reference (#10.1, #11) is one the document lists;
//   - no comment cites the upstream reference document by section (the word, then a section number): it is not in
//     the repository, so the comment must cite the id instead.
// Prints "ok - ..." per check and the problems, exits 1 when there are any. Reads files only.
import fs from 'node:fs';
import path from 'node:path';
import { commentsOf, loadTypeScript, stringLiteralsOf, walk } from './repo-files.mjs';

const DOC = 'docs/behaviour.md';
const FAMILIES = 'PLBGCNWMHA';
/** `LL`: the legacy Landlock backend, the one two-letter family. */
const ID = `(?:LL|[${FAMILIES}])\\d+(?:\\.\\d+)*`;
/** An id (or a range of two) not glued to a word, a path or a version. */
const CITED_ID = new RegExp(`(?<![\\w.#/$@-])(${ID})(?:-(${ID}))?(?![\\w/]|\\.\\d)`, 'g');
const ISSUE_REF = /(?<![\w&#/])#(\d+(?:\.\d+)?)(?![\w.]*\w)/g;
const REFERENCE_CITE = /\breference\s+(?:section\s+)?(?:[A-Z]\d+|\d+)(?:\.\d+)*/i;

export function parseDoc(text) {
  const rules = new Map();
  const problems = [];
  let current;
  let inTests = false;
  text.split('\n').forEach((line, i) => {
    const heading = /^### (\S+) (.+)$/.exec(line);
    if (heading !== null) {
      const id = heading[1];
      if (!new RegExp(`^${ID}$`).test(id)) problems.push(`${DOC}:${i + 1}: heading id \`${id}\` is not of the form ${['LL', ...FAMILIES.split('')].join('|')}N[.N]`);
      if (rules.has(id)) problems.push(`${DOC}:${i + 1}: rule ${id} is defined twice`);
      current = { id, line: i + 1, tests: [] };
      rules.set(id, current);
      inTests = false;
      return;
    }
    if (/^#{1,2} /.test(line)) {
      current = undefined;
      inTests = false;
      return;
    }
    if (current === undefined) return;
    if (line === 'Tests:') {
      inTests = true;
      return;
    }
    if (inTests) {
      const test = /^- (\S+\.test\.ts): (.+)$/.exec(line);
      if (test !== null) current.tests.push({ file: test[1], title: test[2], line: i + 1 });
      else if (line.trim() !== '') problems.push(`${DOC}:${i + 1}: a line under "Tests:" must be "- FILE.test.ts: TITLE"`);
    }
  });
  for (const r of rules.values()) if (r.tests.length === 0) problems.push(`${DOC}:${r.line}: rule ${r.id} names no test`);
  const issueRefs = new Set([...text.matchAll(ISSUE_REF)].map((m) => `#${m[1]}`));
  return { rules, issueRefs, problems };
}

/** Rule ids, issue references and reference-document citations in one comment. */
export function citationsIn(comment) {
  const ids = [];
  for (const m of comment.matchAll(CITED_ID)) {
    ids.push(m[1]);
    if (m[2] !== undefined) ids.push(m[2]);
  }
  const issues = [...comment.matchAll(ISSUE_REF)].map((m) => `#${m[1]}`);
  const reference = REFERENCE_CITE.exec(comment)?.[0];
  return { ids, issues, reference };
}

export function check(root) {
  const ts = loadTypeScript(root);
  const docPath = path.join(root, DOC);
  if (!fs.existsSync(docPath)) return { problems: [`${DOC} is missing`], counts: {} };
  const doc = parseDoc(fs.readFileSync(docPath, 'utf8'));
  const problems = [...doc.problems];

  let testsNamed = 0;
  const literalsByFile = new Map();
  for (const rule of doc.rules.values()) {
    for (const t of rule.tests) {
      testsNamed++;
      const full = path.join(root, t.file);
      if (!fs.existsSync(full)) {
        problems.push(`${DOC}:${t.line}: rule ${rule.id} names ${t.file}, which does not exist`);
        continue;
      }
      if (!literalsByFile.has(t.file)) literalsByFile.set(t.file, stringLiteralsOf(ts, t.file, fs.readFileSync(full, 'utf8')));
      if (!literalsByFile.get(t.file).has(t.title)) problems.push(`${DOC}:${t.line}: rule ${rule.id} names a test "${t.title}" that ${t.file} does not have`);
    }
  }

  const packages = fs.existsSync(path.join(root, 'packages')) ? fs.readdirSync(path.join(root, 'packages')).sort() : [];
  const dirs = [...packages.flatMap((p) => [`packages/${p}/src`, `packages/${p}/test`]), 'tools', 'third_party'];
  let filesScanned = 0;
  let citations = 0;
  for (const dir of dirs) {
    for (const file of walk(root, dir, { skipGenerated: true })) {
      const comments = commentsOf(ts, file, fs.readFileSync(path.join(root, file), 'utf8'));
      if (comments.length > 0) filesScanned++;
      for (const c of comments) {
        const { ids, issues, reference } = citationsIn(c.text);
        for (const id of ids) {
          citations++;
          if (!doc.rules.has(id)) problems.push(`${file}:${c.line}: cites rule ${id}, which ${DOC} does not define`);
        }
        for (const ref of issues) {
          citations++;
          if (!doc.issueRefs.has(ref)) problems.push(`${file}:${c.line}: cites ${ref}, which ${DOC} does not list`);
        }
        if (reference !== undefined) problems.push(`${file}:${c.line}: cites "${reference}" of a document that is not in the repository; cite the rule id of ${DOC}`);
      }
    }
  }
  return { problems, counts: { rules: doc.rules.size, testsNamed, filesScanned, citations } };
}

// Run as a program (nothing imports this file).
const root = path.resolve(process.argv[2] ?? '.');
const { problems, counts } = check(root);
if (problems.length > 0) {
  for (const p of problems) console.log(p);
  console.log(`FAIL - ${problems.length} problem(s) with the rule ids of ${DOC}`);
  process.exit(1);
}
console.log(`ok - ${counts.rules} rules in ${DOC}, each naming tests that exist (${counts.testsNamed})`);
console.log(`ok - ${counts.citations} rule ids and issue references in the comments of ${counts.filesScanned} files resolve`);
