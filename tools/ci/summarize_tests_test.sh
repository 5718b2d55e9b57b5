#!/usr/bin/env bash
# The CI summary counts test cases from Bazel's short summary and each target's test.log: jest
# counts, sh "ok -"/"FAIL -" lines, one case per typecheck, cached results; skipped (incompatible)
# targets are listed, not counted as cases; and it fails when a target failed without a failing
# case or when nothing ran.
set -euo pipefail

node="$1"
script="$2"
failures=0
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

log() { # target-relative-dir, content
  mkdir -p "$work/testlogs/$1"
  printf '%s\n' "$2" > "$work/testlogs/$1/test.log"
}

expect() { # name, expected line, expected status, bazel output[, line before it]
  local name="$1" want="$2" want_status="$3" got status=0
  printf '%s\n' "$4" > "$work/bazel.out"
  local lines=1
  if (($# > 4)); then
    want="$5"$'\n'"$want"
    lines=2
  fi
  got="$("$node" "$script" "$work/bazel.out" "$work/testlogs" | tail -n "$lines")" || status=$?
  if [[ "$got" == "$want" && "$status" == "$want_status" ]]; then
    echo "ok - $name"
  else
    echo "FAIL - $name: got '$got' (status $status), want '$want' (status $want_status)"
    failures=$((failures + 1))
  fi
}

log "packages/a/test" "Tests:       3 failed, 1 skipped, 40 passed, 44 total"
log "packages/b/test" "Tests:       7 passed, 7 total"
log "third_party/x/sh_test" $'ok - one\nok - two\nFAIL - three'
log "packages/c/test" "jest crashed before any test ran"
log "packages/f/test" "Tests:       1 skipped, 40 passed, 41 total"

expect "counts jest, typecheck, cached and flaky targets; skipped cases only count as skipped" "48 passed, 0 failed, 1 skipped" 0 \
"//packages/b:test                                          (cached) PASSED in 1.0s
//packages/b:typecheck                                              PASSED in 1.0s
//packages/z:test                                                   SKIPPED
//packages/f:test                                                   FLAKY, failed in 1 out of 2 in 3.0s
//packages/y:test                                                   SKIPPED" \
"not run: 2 test targets not compatible with this platform (//packages/z:test, //packages/y:test)"

expect "failed jest cases and sh checks are counted" "49 passed, 4 failed, 1 skipped" 1 \
"//packages/a:test                                                   FAILED in 3.0s
//packages/b:test                                                   PASSED in 1.0s
//third_party/x:sh_test                                             FAILED in 1.0s"

expect "a failed target without a failing case counts as a failure" "0 passed, 1 failed, 0 skipped" 1 \
"//packages/c:test                                                   FAILED in 1.0s"

expect "a typecheck failure is a failure" "0 passed, 1 failed, 0 skipped" 1 \
"//packages/b:typecheck                                             FAILED in 1.0s"

expect "no test targets at all is a failure" "0 passed, 0 failed, 0 skipped" 1 \
"INFO: Build completed successfully"

if ((failures > 0)); then
  exit 1
fi
