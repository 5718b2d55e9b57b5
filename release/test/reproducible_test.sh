#!/usr/bin/env bash
# A release bundle is byte-reproducible: the bundle step (make-bundle.mjs: SEA blob, postject,
# licences, SHA256SUMS, tar, gzip) run twice more from scratch, in fresh scratch directories, on
# the inputs Bazel used, gives archives identical to Bazel's, byte for byte.
#   reproducible_test.sh NODE MAKE_BUNDLE BUILT_ARCHIVE ARGS...
set -euo pipefail
node="$1"
make_bundle="$2"
built="$3"
shift 3
failures=0
check() {
  local name="$1"
  shift
  if "$@"; then echo "ok - $name"; else echo "FAIL - $name"; failures=$((failures + 1)); fi
}
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
digest() { sha256sum "$1" | cut -d' ' -f1; }
for n in 1 2; do
  TMPDIR="$work" "$node" "$make_bundle" "$@" --out "$work/build-$n.tar.gz"
done
same() { [[ "$(digest "$1")" == "$(digest "$2")" ]]; }
check "two fresh builds of $(basename "$built") are identical" same "$work/build-1.tar.gz" "$work/build-2.tar.gz"
check "and identical to Bazel's ($(digest "$built"))" same "$work/build-1.tar.gz" "$built"
((failures == 0))
