#!/usr/bin/env bash
# The build-time type check (typecheck.sh, behind //packages/cli:types and so behind
# //packages/cli:codex): a clean package passes and writes its stamp; the same package with one
# type error fails, names the file and the error, and writes nothing. Runs on a scratch copy.
# Args: typecheck.sh node node_modules FILE... (the policy package's :srcs and the shared configs).
set -euo pipefail
typecheck="$PWD/$1"
node="$PWD/$2"
node_modules="$PWD/$3"
shift 3
scratch="$(mktemp -d "${TEST_TMPDIR:-/tmp}/typecheck-test.XXXXXX")"
trap 'rm -rf "$scratch"' EXIT
fail() {
  echo "FAIL - $*" >&2
  exit 1
}

for f in "$@"; do
  mkdir -p "$scratch/copy/$(dirname "$f")"
  cp -L "$f" "$scratch/copy/$f"
done
cd "$scratch/copy"

"$typecheck" "$scratch/clean.ok" packages/policy bazel-out/none "$node" "$node_modules" "$@" >"$scratch/clean.log" 2>&1 ||
  fail "the clean package does not type-check: $(cat "$scratch/clean.log")"
[[ -f "$scratch/clean.ok" ]] || fail "a passing check wrote no stamp"
echo "ok - the clean package passes and gets its stamp"

echo "export const typeErrorProbe: number = 'not a number';" >>packages/policy/src/paths.ts
if "$typecheck" "$scratch/broken.ok" packages/policy bazel-out/none "$node" "$node_modules" "$@" >"$scratch/broken.log" 2>&1; then
  fail "a type error passed the build-time check"
fi
[[ ! -e "$scratch/broken.ok" ]] || fail "a failing check left a stamp"
grep -q "packages/policy/src/paths.ts(.*error TS2322" "$scratch/broken.log" ||
  fail "the failure does not name the file and the error: $(cat "$scratch/broken.log")"
echo "ok - a type error fails the check, names packages/policy/src/paths.ts and TS2322, leaves no stamp"
