#!/usr/bin/env bash
# check-manifests.mjs passes on this repository, and fails on a scratch copy whose manifests list a
# dependency nothing imports, or miss one the code imports (package.json and BUILD.bazel).
# Args: node node_modules (the runfiles tree is the repository: cwd).
set -euo pipefail
node="$PWD/$1"
export NODE_MODULES="$PWD/$2"
check="tools/ci/check-manifests.mjs"
failures=0
scratch="$(mktemp -d "${TEST_TMPDIR:-/tmp}/manifests-test.XXXXXX")"
trap 'rm -rf "$scratch"' EXIT

# The repository itself passes (and says what it checked: a silent exit would prove nothing).
if ! out="$("$node" "$check" .)" || [[ "$out" != *"ok - "* ]]; then
  printf '%s\n' "$out"
  echo "FAIL - the manifests do not match the imports (above)"
  exit 1
fi
printf '%s\n' "$out"

expect_failure() {
  local name="$1" want="$2" out
  shift 2
  rm -rf "$scratch/repo"
  mkdir -p "$scratch/repo"
  cp -rL package.json packages tools "$scratch/repo/"
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

expect_failure "package.json listing a package src never imports fails" \
  'packages/cli/package.json: lists @codex-sandbox/seatbelt in "dependencies", but nothing in packages/cli/src imports it' \
  sed -i 's|"@codex-sandbox/policy": "workspace:\*"|"@codex-sandbox/policy": "workspace:*", "@codex-sandbox/seatbelt": "workspace:*"|' packages/cli/package.json
expect_failure "package.json missing a package src imports fails" \
  'imports @codex-sandbox/bundled-bwrap, which "dependencies" does not list' \
  sed -i '/"@codex-sandbox\/bundled-bwrap"/d' packages/cli/package.json
expect_failure "BUILD.bazel deps listing a package nothing imports fails" \
  'packages/seatbelt/BUILD.bazel: ts_package(deps) lists @codex-sandbox/policy, which nothing in packages/seatbelt imports' \
  sed -i 's|^ts_package(|ts_package(\n    deps = ["//packages/policy"],|' packages/seatbelt/BUILD.bazel
expect_failure "BUILD.bazel deps missing an imported package fails" \
  'packages/cli/BUILD.bazel: the code imports @codex-sandbox/bundled-bwrap, which ts_package(deps) does not list' \
  sed -i '/"\/\/packages\/bundled-bwrap",/d' packages/cli/BUILD.bazel
expect_failure "a test importing an undeclared package fails" \
  "imports left-pad, which neither packages/policy/package.json nor the root devDependencies list" \
  sh -c "echo \"import 'left-pad';\" >> packages/policy/test/types.test.ts"

if ((failures > 0)); then
  echo "$failures check(s) failed"
  exit 1
fi
