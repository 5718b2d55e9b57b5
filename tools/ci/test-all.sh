#!/usr/bin/env bash
# Runs `bazel test //...`, then the tests of examples/consumer (a separate Bazel workspace that uses
# this one through local_repository), and prints one closing line, "N passed, N failed, N skipped", counting
# individual test cases (jest tests, sh checks, tsc runs) rather than Bazel targets; targets Bazel
# skips as incompatible with this platform are listed on the line before.
set -uo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo"

log="$(mktemp)"
trap 'rm -f "$log"' EXIT

# Bazel's "There were tests whose specified size is too big" is timeout advice: test sizes stay
# generous on purpose (on two shared cores run times vary several-fold), so it is only noise here.
bazel test //... --keep_going --test_summary=short "$@" 2>&1 |
  grep -v --line-buffered '^There were tests whose specified size is too big' | tee "$log"
status="${PIPESTATUS[0]}"

consumer_log="$(mktemp)"
trap 'rm -f "$log" "$consumer_log"' EXIT
(cd examples/consumer && bazel test //... --keep_going --test_summary=short 2>&1) |
  grep -v --line-buffered '^There were tests whose specified size is too big' | tee "$consumer_log"
consumer_status="${PIPESTATUS[0]}"
# The consumer's Bazel server is only needed while its tests run.
(cd examples/consumer && bazel shutdown 2>/dev/null)

node tools/ci/summarize-tests.mjs "$log" "$(bazel info bazel-testlogs 2>/dev/null)" \
  "$consumer_log" "$(cd examples/consumer && bazel info bazel-testlogs 2>/dev/null)"
summary_status=$?

# Bazel's exit 4 means "no tests found"; treat any non-zero Bazel status as a failure.
if ((status != 0)); then
  exit "$status"
fi
if ((consumer_status != 0)); then
  exit "$consumer_status"
fi
exit "$summary_status"
