#!/usr/bin/env bash
# The Bazel-built codex-bwrap runs a sandbox, as root and as an unprivileged user, and supports
# --argv0 (which Debian 12's system bwrap 0.8.0 lacks).
set -euo pipefail

bin="$1"
digest_file="$2"
failures=0

check() {
  local name="$1"
  shift
  if "$@"; then
    echo "ok - $name"
  else
    echo "FAIL - $name"
    failures=$((failures + 1))
  fi
}

digest_is_recorded() {
  [[ "$(sha256sum "$bin" | cut -d' ' -f1)" == "$(cat "$digest_file")" ]]
}

# The unprivileged user cannot read Bazel's output tree, so it gets its own copy.
work="$(mktemp -d /tmp/codex-bwrap-test.XXXXXX)"
trap 'rm -rf "$work"' EXIT
chmod 0755 "$work"
cp "$bin" "$work/codex-bwrap"
chmod 0755 "$work/codex-bwrap"

as_nobody() {
  setpriv --reuid=65534 --regid=65534 --clear-groups -- "$@"
}

argv0_is_set() {
  local got
  got="$("$work/codex-bwrap" --ro-bind / / --unshare-all --argv0 renamed-zero -- /bin/sh -c 'echo "$0"')"
  [[ "$got" == "renamed-zero" ]]
}

argv0_is_set_as_nobody() {
  local got
  got="$(as_nobody "$work/codex-bwrap" --ro-bind / / --unshare-all --argv0 renamed-zero -- /bin/sh -c 'echo "$0"')"
  [[ "$got" == "renamed-zero" ]]
}

runs_as_uid_inside() {
  local got
  got="$(as_nobody "$work/codex-bwrap" --ro-bind / / --unshare-all -- /usr/bin/id -u)"
  [[ "$got" == "65534" ]]
}

write_is_refused() {
  ! "$work/codex-bwrap" --ro-bind / / --unshare-all -- /bin/sh -c "echo x > '$work/should-not-exist'" 2>/dev/null &&
    [[ ! -e "$work/should-not-exist" ]]
}

check "digest file matches the binary" digest_is_recorded
check "reports version 0.12.0" bash -c "'$work/codex-bwrap' --version | grep -q 'bubblewrap 0.12.0'"
check "root: --ro-bind / / --unshare-all -- true" "$work/codex-bwrap" --ro-bind / / --unshare-all -- true
check "root: --argv0 works" argv0_is_set
check "root: read-only root refuses writes" write_is_refused
check "unprivileged: --ro-bind / / --unshare-all -- true" as_nobody "$work/codex-bwrap" --ro-bind / / --unshare-all -- true
check "unprivileged: --argv0 works" argv0_is_set_as_nobody
check "unprivileged: runs as the same uid inside" runs_as_uid_inside

if ((failures > 0)); then
  echo "$failures check(s) failed"
  exit 1
fi
