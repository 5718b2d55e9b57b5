#!/usr/bin/env bash
# `./dev test`'s runner (tools/ci/test-all.sh) against a stand-in `bazel`: Bazel's "specified size
# is too big" advice is not shown, the closing line counts test cases only (a skipped target is
# listed on its own line, not counted as one skipped case), and Bazel's exit status is kept.
set -euo pipefail

node="$1"
test_all="$2"
summarize="$3"
failures=0
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
repo="$work/repo"
mkdir -p "$repo/tools/ci" "$repo/examples/consumer" "$work/bin" "$work/testlogs/packages/a/test" "$work/testlogs/packages/a/typecheck" "$work/consumer-testlogs/consumer_test"
cp "$test_all" "$repo/tools/ci/test-all.sh"
cp "$summarize" "$repo/tools/ci/summarize-tests.mjs"
ln -s "$(cd "$(dirname "$node")" && pwd)/$(basename "$node")" "$work/bin/node"
printf 'Tests:       2 skipped, 5 passed, 7 total\n' >"$work/testlogs/packages/a/test/test.log"
printf 'ok - the consumer runs\n' >"$work/consumer-testlogs/consumer_test/test.log"
cat >"$work/bin/bazel" <<SCRIPT
#!/bin/sh
# In examples/consumer (the second workspace test-all.sh runs): one test of its own.
case "\$PWD" in
  */examples/consumer)
    case "\$1" in
      info) echo "$work/consumer-testlogs" ;;
      test)
        [ -n "\${FAKE_CONSUMER_BROKEN:-}" ] && { echo "ERROR: Couldn't start the build. Unable to run tests"; exit 1; }
        echo "//:consumer_test                                                    PASSED in 0.5s"; exit "\${FAKE_CONSUMER_STATUS:-0}" ;;
    esac
    exit 0
    ;;
esac
case "\$1" in
  info) echo "$work/testlogs" ;;
  test)
    echo "//packages/a:test                                                   PASSED in 3.0s"
    echo "//packages/a:typecheck                                              PASSED in 1.0s"
    echo "//packages/mac:test                                                 SKIPPED"
    echo "Executed 2 out of 3 tests: 2 tests pass and 1 was skipped."
    echo "There were tests whose specified size is too big. Use the --test_verbose_timeout_warnings command line option to see which ones these are."
    exit "\${FAKE_BAZEL_STATUS:-0}"
    ;;
esac
SCRIPT
chmod +x "$repo/tools/ci/test-all.sh" "$work/bin/bazel"

check() { # name, condition result (0 = ok), details
  if [[ "$2" == 0 ]]; then
    echo "ok - $1"
  else
    echo "FAIL - $1: $3"
    failures=$((failures + 1))
  fi
}

status=0
out="$(PATH="$work/bin:$PATH" "$repo/tools/ci/test-all.sh" 2>&1)" || status=$?
grep -q 'specified size is too big' <<<"$out" && noisy=1 || noisy=0
check "Bazel's test-size advice is not shown" "$noisy" "$out"
check "the closing line counts test cases only" "$([[ "$(tail -n 1 <<<"$out")" == "7 passed, 0 failed, 2 skipped" ]]; echo $?)" "$(tail -n 1 <<<"$out")"
check "the skipped target is listed, not counted" \
  "$([[ "$(tail -n 2 <<<"$out" | head -n 1)" == "not run: 1 test target not compatible with this platform (//packages/mac:test)" ]]; echo $?)" "$out"
check "the other Bazel output is shown" "$(grep -q '^Executed 2 out of 3 tests' <<<"$out"; echo $?)" "$out"
check "success exits 0" "$status" "status $status"
status=0
FAKE_BAZEL_STATUS=3 PATH="$work/bin:$PATH" "$repo/tools/ci/test-all.sh" >/dev/null 2>&1 || status=$?
check "Bazel's failure status is kept" "$([[ "$status" == 3 ]]; echo $?)" "status $status"
status=0
out="$(FAKE_CONSUMER_STATUS=3 PATH="$work/bin:$PATH" "$repo/tools/ci/test-all.sh" 2>&1)" || status=$?
check "a failure in examples/consumer fails the run" "$([[ "$status" == 3 ]]; echo $?)" "status $status"
check "the consumer's test is counted" "$(grep -q '^//:consumer_test ' <<<"$out"; echo $?)" "$out"
out="$(FAKE_CONSUMER_BROKEN=1 PATH="$work/bin:$PATH" "$repo/tools/ci/test-all.sh" 2>&1)" || true
check "a consumer workspace that ran no test counts as a failure" "$([[ "$(tail -n 1 <<<"$out")" == "6 passed, 1 failed, 2 skipped" ]]; echo $?)" "$(tail -n 1 <<<"$out")"

if ((failures > 0)); then
  exit 1
fi
