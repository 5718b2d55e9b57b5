#!/usr/bin/env bash
# The Bazel-built codex-bwrap runs a sandbox, as root and as an unprivileged user, and keeps the
# command from creating user namespaces of its own (--disable-userns, which every sandbox run
# passes; linux-bwrap's REQUIRED_BWRAP_OPTIONS). --argv0 is not checked: nothing uses it.
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

# Without --disable-userns the command can unshare a user namespace (so the check below can fail);
# with it, it cannot.
nested_userns() {
  "$@" --ro-bind / / --unshare-user "${extra[@]}" --unshare-all -- /usr/bin/unshare --user /bin/true 2>/dev/null
}
nested_userns_is_refused() {
  local extra=()
  nested_userns "$@" || return 1
  extra=(--disable-userns --assert-userns-disabled)
  ! nested_userns "$@"
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
check "root: --disable-userns refuses nested user namespaces" nested_userns_is_refused "$work/codex-bwrap"
check "root: read-only root refuses writes" write_is_refused
check "unprivileged: --ro-bind / / --unshare-all -- true" as_nobody "$work/codex-bwrap" --ro-bind / / --unshare-all -- true
check "unprivileged: --disable-userns refuses nested user namespaces" nested_userns_is_refused as_nobody "$work/codex-bwrap"
check "unprivileged: runs as the same uid inside" runs_as_uid_inside

if ((failures > 0)); then
  echo "$failures check(s) failed"
  exit 1
fi
