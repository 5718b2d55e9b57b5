// Reads `bazel test --test_summary=short` output plus each target's test.log and prints the counts
// of individual test cases as one line, "N passed, N failed, N skipped" (the format CI reads).
// All three count test cases (jest tests, sh checks, one per typecheck); a target Bazel skipped
// (not compatible with this platform) never ran, so its cases cannot be counted: it is listed on
// a line of its own before the counts instead of being added to them as one "skipped".
// Exits 1 when a test failed, when a target reported no test cases, or when nothing ran.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

// One pair per Bazel workspace whose tests were run (the main one, then examples/consumer).
const pairs = process.argv.slice(2);
if (pairs.length === 0 || pairs.length % 2 !== 0) {
  console.error('usage: summarize-tests.mjs BAZEL_OUTPUT_FILE BAZEL_TESTLOGS_DIR [BAZEL_OUTPUT_FILE BAZEL_TESTLOGS_DIR]...');
  process.exit(2);
}

const totals = { passed: 0, failed: 0, skipped: 0 };
const problems = [];

// Counts inside one target's log: jest's "Tests:" line, our sh tests' "ok -" / "FAIL -" lines.
function countCases(text) {
  const jest = [...text.matchAll(/^Tests:\s+(.*)$/gm)].at(-1);
  if (jest) {
    const pick = (word) => Number((jest[1].match(new RegExp(`(\\d+) ${word}`)) ?? [0, 0])[1]);
    return { passed: pick('passed'), failed: pick('failed'), skipped: pick('skipped') + pick('todo') };
  }
  const ok = (text.match(/^ok - /gm) ?? []).length;
  const fail = (text.match(/^FAIL - /gm) ?? []).length;
  if (ok + fail > 0) return { passed: ok, failed: fail, skipped: 0 };
  return undefined;
}

const targetLine = /^(\/\/\S+)\s+(?:\(cached\)\s+)?(PASSED|FAILED|TIMEOUT|NO STATUS|SKIPPED|FLAKY|INCOMPLETE|REMOTE FAILURE|FAILED TO BUILD)\b/;
let targets = 0;
const skippedTargets = [];
for (let pair = 0; pair < pairs.length; pair += 2) {
const [bazelOutput, testlogs] = [pairs[pair], pairs[pair + 1]];
const targetsBefore = targets;
for (const line of readFileSync(bazelOutput, 'utf8').split('\n')) {
  const m = line.match(targetLine);
  if (!m) continue;
  targets += 1;
  const [, label, status] = m;
  if (status === 'SKIPPED') {
    skippedTargets.push(label);
    continue;
  }
  const logPath = join(testlogs, label.slice(2).replace(':', '/'), 'test.log');
  const text = existsSync(logPath) ? readFileSync(logPath, 'utf8') : '';
  const counts = countCases(text);
  const passedTarget = status === 'PASSED' || status === 'FLAKY';
  if (label.endsWith(':typecheck')) {
    totals[passedTarget ? 'passed' : 'failed'] += 1;
  } else if (counts) {
    totals.passed += counts.passed;
    totals.failed += counts.failed;
    totals.skipped += counts.skipped;
    if (!passedTarget && counts.failed === 0) {
      totals.failed += 1;
      problems.push(`${label}: ${status} without a failing test case (crash, timeout or build failure)`);
    }
  } else {
    totals.failed += 1;
    problems.push(`${label}: ${status}, and its log reports no test cases`);
  }
}
// A workspace whose build failed before any test ran reports no targets: that is a failure too.
if (pair > 0 && targets === targetsBefore) {
  totals.failed += 1;
  problems.push(`${bazelOutput}: bazel reported no test targets`);
}
}

for (const p of problems) console.log(`problem: ${p}`);
if (skippedTargets.length > 0) {
  const what = skippedTargets.length === 1 ? 'test target' : 'test targets';
  console.log(`not run: ${skippedTargets.length} ${what} not compatible with this platform (${skippedTargets.join(', ')})`);
}
if (targets === 0) {
  console.log('problem: bazel reported no test targets');
}
console.log(`${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(totals.failed > 0 || targets === 0 ? 1 : 0);
