#!/usr/bin/env bash
# check-rule-ids.mjs passes on this repository, and fails on a scratch copy with each kind of
# mistake it exists to catch: a comment citing an id docs/behaviour.md does not define, or an issue
# it does not list, or the upstream reference by section; a test named there that does not exist.
# Args: node node_modules (the runfiles tree is the repository: cwd).
set -euo pipefail
node="$PWD/$1"
export NODE_MODULES="$PWD/$2"
check="tools/ci/check-rule-ids.mjs"
scratch="$(mktemp -d "${TEST_TMPDIR:-/tmp}/rule-ids-test.XXXXXX")"
trap 'rm -rf "$scratch"' EXIT

# The repository itself passes (and says what it checked: a silent exit would prove nothing).
if ! out="$("$node" "$check" .)" || [[ "$out" != *"ok - "* ]]; then
  printf '%s\n' "$out"
  echo "FAIL - the repository's rule ids do not resolve (above)"
  exit 1
fi
printf '%s\n' "$out"

# One scratch copy with every kind of mistake at once (one run keeps this test quick); each must
# be reported, by its own message.
mkdir -p "$scratch/repo"
cp -rL docs packages tools third_party "$scratch/repo/"
(
  cd "$scratch/repo"
  echo "// see P999" >>packages/policy/src/paths.ts
  echo "// P1-P98" >>packages/policy/test/resolve.test.ts
  echo "# L99" >>tools/ci/test-all.sh
  echo "// (#10.99)" >>packages/linux-bwrap/src/wsl.ts
  echo "/* reference 2.5 */" >>packages/cli/src/version.ts
  sed -i 's/^- packages\/policy\/test\/resolve.test.ts: P19: precedence (depth x access)$/- packages\/policy\/test\/resolve.test.ts: P19: no such test/' docs/behaviour.md
  sed -i 's/^- packages\/policy\/test\/resolve.test.ts: P20: canRead \/ canWrite$/- packages\/policy\/test\/gone.test.ts: P20: canRead \/ canWrite/' docs/behaviour.md
  sed -i '/^- .*: platform defaults need a readable :minimal and no full-disk read$/d' docs/behaviour.md
)
if out="$("$node" "$scratch/repo/$check" "$scratch/repo" 2>&1)"; then
  echo "FAIL - the check passed on a copy full of mistakes"
  exit 1
fi
failures=0
expect() {
  if [[ "$out" == *"$2"* ]]; then
    echo "ok - $1"
  else
    echo "FAIL - $1: no \"$2\" in the output"
    failures=$((failures + 1))
  fi
}
expect "an undefined rule id in a src comment fails" "cites rule P999, which docs/behaviour.md does not define"
expect "an undefined id at the end of a range in a test comment fails" "cites rule P98,"
expect "an undefined id in a shell comment under tools/ fails" "cites rule L99,"
expect "an issue reference the document does not list fails" "cites #10.99,"
expect "a citation of the reference document by section fails" "cites \"reference 2.5\""
expect "a test named in the document that does not exist fails" "names a test \"P19: no such test\""
expect "a test file named in the document that does not exist fails" "names packages/policy/test/gone.test.ts, which does not exist"
expect "a rule that names no test fails" "rule P22 names no test"
if ((failures > 0)); then
  printf '%s\n' "$out"
  echo "$failures check(s) failed"
  exit 1
fi
