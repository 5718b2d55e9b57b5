#!/usr/bin/env bash
# check-rule-ids.mjs passes on this repository, and fails on a scratch copy with each kind of
# mistake it exists to catch: a comment citing an id docs/behaviour.md does not define, or an issue
# it does not list, or the upstream reference by section; a test named there that does not exist.
# Args: node node_modules (the runfiles tree is the repository: cwd).
set -euo pipefail
node="$PWD/$1"
export NODE_MODULES="$PWD/$2"
check="tools/ci/check-rule-ids.mjs"
failures=0
scratch="$(mktemp -d "${TEST_TMPDIR:-/tmp}/rule-ids-test.XXXXXX")"
trap 'rm -rf "$scratch"' EXIT

# The repository itself passes (and says what it checked: a silent exit would prove nothing).
if ! out="$("$node" "$check" .)" || [[ "$out" != *"ok - "* ]]; then
  printf '%s\n' "$out"
  echo "FAIL - the repository's rule ids do not resolve (above)"
  exit 1
fi
printf '%s\n' "$out"

# expect_failure NAME WANTED-OUTPUT EDIT-COMMAND...: the check fails on a fresh copy after the edit.
expect_failure() {
  local name="$1" want="$2" out
  shift 2
  rm -rf "$scratch/repo"
  mkdir -p "$scratch/repo"
  cp -rL docs packages tools third_party "$scratch/repo/"
  (cd "$scratch/repo" && "$@")
  if out="$("$node" "$scratch/repo/$check" "$scratch/repo" 2>&1)"; then
    echo "FAIL - $name: the check passed"
    failures=$((failures + 1))
  elif [[ "$out" != *"$want"* ]]; then
    echo "FAIL - $name: expected \"$want\" in: $out"
    failures=$((failures + 1))
  else
    echo "ok - $name"
  fi
}

expect_failure "an undefined rule id in a src comment fails" "cites rule P999, which docs/behaviour.md does not define" \
  sh -c 'echo "// see P999" >> packages/policy/src/paths.ts'
expect_failure "an undefined id at the end of a range in a test comment fails" "cites rule P98" \
  sh -c 'echo "// P1-P98" >> packages/policy/test/resolve.test.ts'
expect_failure "an undefined id in a shell comment under tools/ fails" "cites rule L99" \
  sh -c 'echo "# L99" >> tools/ci/test-all.sh'
expect_failure "an issue reference the document does not list fails" "cites #10.99" \
  sh -c 'echo "// (#10.99)" >> packages/linux-bwrap/src/wsl.ts'
expect_failure "a citation of the reference document by section fails" "cites \"reference 2.5\"" \
  sh -c 'echo "/* reference 2.5 */" >> packages/cli/src/version.ts'
expect_failure "a test named in the document that does not exist fails" "names a test \"P19: no such test\"" \
  sed -i 's/^- packages\/policy\/test\/resolve.test.ts: P19: precedence (depth x access)$/- packages\/policy\/test\/resolve.test.ts: P19: no such test/' docs/behaviour.md
expect_failure "a test file named in the document that does not exist fails" "names packages/policy/test/gone.test.ts, which does not exist" \
  sed -i 's/^- packages\/policy\/test\/resolve.test.ts: P19: precedence (depth x access)$/- packages\/policy\/test\/gone.test.ts: P19: precedence (depth x access)/' docs/behaviour.md
expect_failure "a rule that names no test fails" "rule P19 names no test" \
  sed -i '/^- .*: P19: precedence (depth x access)$/d; /^- .*: argv from resolved policies enforces the policy package access query$/d; /^- .*: ruleVerdict: the most specific rule wins, a deny wins a tie$/d' docs/behaviour.md

if ((failures > 0)); then
  echo "$failures check(s) failed"
  exit 1
fi
