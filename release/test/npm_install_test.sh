#!/usr/bin/env bash
# The npm packages install and run: `npm install -g` of the packed @codex-sandbox/cli and
# @codex-sandbox/cli-linux-x64 tarballs into a fresh prefix, offline (the other platforms'
# optional packages are skipped), then `codex sandbox -- true` from that prefix, as root and as
# uid 65534, and the installed bundle keeps its file modes and checksums.
#   npm_install_test.sh CLI_TGZ PLATFORM_TGZ
set -uo pipefail
cli="$1"
platform="$2"
failures=0
check() {
  local name="$1"
  shift
  if "$@"; then echo "ok - $name"; else echo "FAIL - $name"; failures=$((failures + 1)); fi
}
work="$(mktemp -d /tmp/codex-npm-test.XXXXXX)"
trap 'rm -rf "$work"' EXIT
chmod 0755 "$work"
prefix="$work/prefix"
export npm_config_cache="$work/npm-cache" npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false

installs_offline() {
  npm install -g --offline --prefix "$prefix" "$cli" "$platform" >"$work/install.log" 2>&1 || { cat "$work/install.log" >&2; return 1; }
}
check "npm install -g --offline of the two tarballs into a fresh prefix" installs_offline
chmod -R a+rX "$work"
installed="$prefix/lib/node_modules/@codex-sandbox/cli-linux-x64"

bin_linked() { [[ -x "$prefix/bin/codex" ]]; }
check "the codex command is linked into the prefix's bin" bin_linked
modes_kept() {
  local f
  for f in codex codex-resources/codex-sea codex-resources/bwrap codex-resources/codex-netns-helper codex-resources/codex-landlock-helper codex-resources/codex-proxy-relay codex-resources/codex-mask-helper; do
    [[ -f "$installed/$f" && -x "$installed/$f" ]] || { echo "not executable: $f" >&2; return 1; }
  done
}
check "the installed bundle's executables keep their execute bits" modes_kept
checksums_hold() { (cd "$installed" && sha256sum --quiet -c SHA256SUMS); }
check "the installed bundle matches its SHA256SUMS" checksums_hold

runs_as_root() {
  local out
  out="$(cd "$work" && env -i PATH="$prefix/bin:/usr/bin:/bin" HOME="$work" codex sandbox -- true 2>&1)" || { echo "$out" >&2; return 1; }
  [[ -z "$out" ]]
}
check "codex sandbox -- true from the installed command, as root" runs_as_root
runs_as_nobody() {
  (cd / && setpriv --reuid=65534 --regid=65534 --clear-groups -- env -i PATH="$prefix/bin:/usr/bin:/bin" HOME=/nonexistent codex sandbox -- sh -c 'test "$(id -u)" = 65534')
}
check "codex sandbox -- CMD from the installed command, as uid 65534" runs_as_nobody
status_passed() {
  env -i PATH="$prefix/bin:/usr/bin:/bin" HOME="$work" codex sandbox -- sh -c 'exit 9'
  [[ $? -eq 9 ]]
}
check "the command's exit status comes back through the npm shim" status_passed
signal_status_passed() {
  env -i PATH="$prefix/bin:/usr/bin:/bin" HOME="$work" codex sandbox -- sh -c 'kill -TERM $$'
  [[ $? -eq 143 ]]
}
check "a command killed by SIGTERM gives 143 through the npm shim" signal_status_passed
missing_platform_package() {
  local out
  rm -rf "$work/broken" && cp -a "$prefix" "$work/broken"
  rm -rf "$work/broken/lib/node_modules/@codex-sandbox/cli-linux-x64"
  out="$(env -i PATH="$work/broken/bin:/usr/bin:/bin" HOME="$work" codex --version 2>&1)"
  [[ $? -eq 1 && "$out" == *"@codex-sandbox/cli-linux-x64 is not installed"* ]]
}
check "without the platform package the command says which package is missing" missing_platform_package

echo "npm install: $failures failed"
((failures == 0))
