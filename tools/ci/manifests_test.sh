#!/usr/bin/env bash
# check-manifests.mjs passes on this repository, and fails on a scratch copy whose manifests list a
# dependency nothing imports, or miss one the code imports (package.json and BUILD.bazel).
# Args: node node_modules (the runfiles tree is the repository: cwd).
set -euo pipefail
node="$PWD/$1"
export NODE_MODULES="$PWD/$2"
check="tools/ci/check-manifests.mjs"
scratch="$(mktemp -d "${TEST_TMPDIR:-/tmp}/manifests-test.XXXXXX")"
trap 'rm -rf "$scratch"' EXIT

# The repository itself passes (and says what it checked: a silent exit would prove nothing).
if ! out="$("$node" "$check" .)" || [[ "$out" != *"ok - "* ]]; then
  printf '%s\n' "$out"
  echo "FAIL - the manifests do not match the imports (above)"
  exit 1
fi
printf '%s\n' "$out"

# One scratch copy with every kind of mistake at once (one run keeps this test quick); each must
# be reported, by its own message.
mkdir -p "$scratch/repo"
cp -rL package.json packages tools "$scratch/repo/"
(
  cd "$scratch/repo"
  sed -i 's|"dependencies": {|"dependencies": {\n    "@codex-sandbox/seatbelt": "workspace:*",|' packages/policy/package.json
  sed -i '/"@codex-sandbox\/bundled-bwrap"/d' packages/linux-bwrap/package.json
  sed -i 's|    deps = \["//packages/process-launch"\],|    deps = ["//packages/process-launch", "//packages/policy"],|' packages/proxy-bridge/BUILD.bazel
  sed -i '/"\/\/packages\/bundled-bwrap",/d' packages/cli/BUILD.bazel
  echo "import 'left-pad';" >>packages/policy/test/types.test.ts
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
expect "package.json listing a package src never imports fails" 'packages/policy/package.json: lists @codex-sandbox/seatbelt in "dependencies", but nothing in packages/policy/src imports it'
expect "package.json missing a package src imports fails" 'imports @codex-sandbox/bundled-bwrap, which "dependencies" does not list'
expect "BUILD.bazel deps listing a package nothing imports fails" 'packages/proxy-bridge/BUILD.bazel: ts_package(deps) lists @codex-sandbox/policy, which nothing in packages/proxy-bridge imports'
expect "BUILD.bazel deps missing an imported package fails" 'packages/cli/BUILD.bazel: the code imports @codex-sandbox/bundled-bwrap, which ts_package(deps) does not list'
expect "a test importing an undeclared package fails" "imports left-pad, which neither packages/policy/package.json nor the root devDependencies list"
if ((failures > 0)); then
  printf '%s\n' "$out"
  echo "$failures check(s) failed"
  exit 1
fi
