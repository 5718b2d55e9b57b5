#!/usr/bin/env bash
# ci/collect.sh on real release outputs: DIST gets each file and a SHA256SUMS that `sha256sum -c`
# accepts; a damaged archive (its inner SHA256SUMS no longer matching) and a name given twice fail.
#   collect_test.sh COLLECT ARCHIVE NPM...
set -uo pipefail
collect="$1"
archive="$2"
shift 2
failures=0
check() {
  local name="$1"
  shift
  if "$@"; then echo "ok - $name"; else echo "FAIL - $name"; failures=$((failures + 1)); fi
}
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

collected() {
  "$collect" "$work/dist" "$archive" "$@" >/dev/null &&
    [[ "$(wc -l <"$work/dist/SHA256SUMS")" -eq $(($# + 1)) ]] &&
    (cd "$work/dist" && sha256sum --quiet -c SHA256SUMS)
}
check "collects the archive and npm packages with a SHA256SUMS that checks" collected "$@"
twice_refused() { ! "$collect" "$work/twice" "$archive" "$archive" 2>/dev/null; }
check "refuses the same file name twice" twice_refused
damaged_refused() {
  local stage="$work/stage" name
  mkdir -p "$stage" && tar -xzf "$archive" -C "$stage"
  name="$(cd "$stage" && echo codex-sandbox-*)"
  echo tampered >>"$stage/$name/NOTICE"
  tar -czf "$work/$(basename "$archive")" -C "$stage" "$name"
  ! "$collect" "$work/damaged" "$work/$(basename "$archive")" 2>/dev/null
}
check "refuses an archive whose own SHA256SUMS no longer matches" damaged_refused
((failures == 0))
