#!/bin/bash
# `bazel run //packages/cli -- ARGS` (bash by absolute path, never looked up on PATH): runs the built `codex` executable from its runfiles, in the
# directory bazel was invoked from (bazel run itself changes directory).
set -euo pipefail
runfiles="${RUNFILES_DIR:-$0.runfiles}"
codex="$runfiles/codex_sandbox/packages/cli/codex"
if [[ -n "${BUILD_WORKING_DIRECTORY:-}" ]]; then
  cd "$BUILD_WORKING_DIRECTORY"
fi
exec "$codex" "$@"
