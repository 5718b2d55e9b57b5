#!/usr/bin/env bash
# The extracted linux-x64 release bundle, end to end, with real bubblewrap: it runs from any
# directory with no `node` (and no bwrap) on PATH, as root and as an unprivileged user (65534),
# through a symbolic link, keeps the variables Node acts on at start away from its own Node and
# gives them back to the command, holds no inspector open after a SIGUSR1, refuses a tampered
# codex-resources/bwrap with exit 8, and its SEA refuses to start without the launcher.
#   linux_bundle_test.sh ARCHIVE
set -uo pipefail
archive="$1"
failures=0
check() {
  local name="$1"
  shift
  if "$@"; then echo "ok - $name"; else echo "FAIL - $name"; failures=$((failures + 1)); fi
}

# Under /tmp, 0755: the unprivileged user must reach it (Bazel's TMPDIR is root-only).
work="$(mktemp -d /tmp/codex-release-test.XXXXXX)"
trap 'rm -rf "$work"' EXIT
chmod 0755 "$work"
tar -xzf "$archive" -C "$work"
bundle="$(echo "$work"/codex-sandbox-*)"
codex="$bundle/codex"

# A PATH with the tools the commands need and neither node nor bwrap.
mkdir -p "$work/bin" "$work/elsewhere"
for tool in sh id cat env echo true sleep grep; do ln -s "$(type -P "$tool")" "$work/bin/$tool"; done
chmod -R a+rX "$work"
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups -- "$@"; }
clean_env() { env -i PATH="$work/bin" HOME="$work/elsewhere" "$@"; }

no_node_on_path() { ! PATH="$work/bin" command -v node >/dev/null && ! PATH="$work/bin" command -v bwrap >/dev/null; }
check "the test PATH has no node and no bwrap" no_node_on_path

checksums_hold() { (cd "$bundle" && sha256sum --quiet -c SHA256SUMS); }
check "SHA256SUMS lists every file and each matches" checksums_hold
every_file_listed() {
  local listed found
  listed="$(cut -c67- "$bundle/SHA256SUMS" | sort)"
  found="$(cd "$bundle" && find . -type f ! -name SHA256SUMS | sed 's|^\./||' | sort)"
  [[ "$listed" == "$found" ]]
}
check "SHA256SUMS lists exactly the bundle's files" every_file_listed

version_matches() { [[ "$(clean_env "$codex" --version)" == "$(basename "$bundle" | sed 's/^codex-sandbox-//; s/-linux-x64$//')" ]]; }
check "codex --version is the release version in the bundle's name (//release:VERSION = CLI_VERSION)" version_matches

runs_from_elsewhere() {
  local out
  out="$(cd "$work/elsewhere" && clean_env "$codex" sandbox -- sh -c 'echo "in $(pwd) as $(id -u)"')"
  [[ "$out" == "in $work/elsewhere as 0" ]]
}
check "runs a command from another directory, as root, with no node on PATH" runs_from_elsewhere

runs_as_nobody() {
  local out
  out="$(cd / && as_nobody env -i PATH="$work/bin" HOME=/nonexistent "$codex" sandbox -- sh -c 'echo "as $(id -u)"')"
  [[ "$out" == "as 65534" ]]
}
check "runs a command as uid 65534" runs_as_nobody

read_only_by_default() {
  (cd "$work/elsewhere" && clean_env "$codex" sandbox -- sh -c "echo x > '$work/elsewhere/out'") 2>/dev/null
  [[ $? -ne 0 && ! -e "$work/elsewhere/out" ]]
}
check "the default profile is read-only (the command cannot write the workspace)" read_only_by_default

through_symlink() {
  ln -sf "$codex" "$work/elsewhere/codex-link"
  [[ "$(clean_env "$work/elsewhere/codex-link" --version)" == "$(clean_env "$codex" --version)" ]] &&
    [[ "$(clean_env "$work/elsewhere/codex-link" sandbox -- echo linked)" == "linked" ]]
}
check "runs through a symbolic link to the launcher (resources found at its real path)" through_symlink

exit_status_passed() {
  clean_env "$codex" sandbox -- sh -c 'exit 7'
  [[ $? -eq 7 ]]
}
check "passes the command's exit status through" exit_status_passed

stashed_variables_restored() {
  local cov="$work/coverage" out name
  mkdir -p "$cov" && chmod 0777 "$cov"
  # --inspect in NODE_OPTIONS would stop a SEA's Node at start ("not allowed"); --require would
  # load a file: neither reaches our Node, and the command gets every value back.
  out="$(clean_env NODE_OPTIONS="--require $work/nonexistent.js" NODE_EXTRA_CA_CERTS=/nonexistent/ca.pem \
    NODE_V8_COVERAGE="$cov" NODE_PATH=/nonexistent OPENSSL_CONF=/nonexistent/openssl.cnf NODE_ICU_DATA=/nonexistent \
    "$codex" sandbox -- env)" || return 1
  for name in "NODE_OPTIONS=--require $work/nonexistent.js" NODE_EXTRA_CA_CERTS=/nonexistent/ca.pem "NODE_V8_COVERAGE=$cov" \
    NODE_PATH=/nonexistent OPENSSL_CONF=/nonexistent/openssl.cnf NODE_ICU_DATA=/nonexistent; do
    grep -qxF "$name" <<<"$out" || { echo "missing: $name" >&2; return 1; }
  done
  ! grep -qE '^CODEX_SANDBOX_(STASHED_|ARG0|LAUNCHER)' <<<"$out" && [[ -z "$(ls -A "$cov")" ]]
}
check "NODE_OPTIONS and the other stashed variables never reach the front end; the command gets them back" stashed_variables_restored

inspector_option_would_stop_a_bare_sea() {
  local err
  err="$(clean_env NODE_OPTIONS=--inspect CODEX_SANDBOX_LAUNCHER=1 "$bundle/codex-resources/codex-sea" --version 2>&1)"
  [[ "$err" == *"--inspect is not allowed in NODE_OPTIONS"* ]] &&
    [[ "$(clean_env NODE_OPTIONS=--inspect "$codex" --version)" =~ ^[0-9] ]]
}
check "NODE_OPTIONS=--inspect would stop the SEA itself; through the launcher it never sees it" inspector_option_would_stop_a_bare_sea

sea_alone_refused() {
  local err
  err="$(clean_env "$bundle/codex-resources/codex-sea" --version 2>&1)"
  [[ $? -eq 1 && "$err" == *"is started by the codex launcher of its release bundle"*"run $codex instead"* ]]
}
check "the SEA started without its launcher refuses, naming the launcher" sea_alone_refused

usr1_opens_no_inspector() {
  local pid out="$work/usr1.out"
  # exec: the background job's pid is the front end's (env and the launcher exec in place).
  (exec env -i PATH="$work/bin" HOME="$work/elsewhere" "$codex" sandbox -- sh -c 'trap "echo got-usr1" USR1; echo ready; i=0; while [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done' >"$out" 2>&1) &
  pid=$!
  for _ in $(seq 100); do grep -q ready "$out" && break; sleep 0.1; done
  kill -USR1 "$pid"
  for _ in $(seq 50); do grep -q got-usr1 "$out" && break; sleep 0.1; done
  local listening
  listening="$(ss -ltnpH 2>/dev/null | grep -c "pid=$pid," || true)"
  kill -TERM "$pid" 2>/dev/null
  wait "$pid"
  grep -q got-usr1 "$out" && [[ "$listening" == 0 ]] && ! grep -q 'Debugger listening' "$out" || { echo "listening: $listening; output:" >&2; cat "$out" >&2; return 1; }
}
check "SIGUSR1 to the front end reaches the command and opens no inspector" usr1_opens_no_inspector

tampered_bwrap_refused() {
  local copy="$work/tampered" status err
  cp -a "$bundle" "$copy"
  printf '\x00' | dd of="$copy/codex-resources/bwrap" bs=1 seek=4096 conv=notrunc status=none
  err="$(clean_env "$copy/codex" sandbox -- echo ran 2>&1)"
  status=$?
  [[ $status -eq 8 && "$err" == *"bundled bubblewrap digest mismatch for $copy/codex-resources/bwrap"* && "$err" != *$'\nran'* ]] || { echo "as root: $status $err" >&2; return 1; }
  err="$(cd / && as_nobody env -i PATH="$work/bin" HOME=/nonexistent "$copy/codex" sandbox -- echo ran 2>&1)"
  status=$?
  [[ $status -eq 8 && "$err" == *"digest mismatch"* && "$err" != *$'\nran'* ]] || { echo "as 65534: $status $err" >&2; return 1; }
}
check "a tampered codex-resources/bwrap is refused with exit 8, as root and as uid 65534" tampered_bwrap_refused

echo "linux bundle: $failures failed"
((failures == 0))
