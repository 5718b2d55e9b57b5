#!/usr/bin/env bash
# ci/sign-macos.sh ARCHIVE IDENTITY: on a macOS runner, signs the SEA of a darwin bundle built on
# Linux (postject removed Node's signature; Apple silicon refuses to run unsigned code), rewrites
# the bundle's SHA256SUMS and repacks the archive in place (GNU tar, as make-bundle.mjs packs).
# IDENTITY "-" signs ad hoc (runs on the machine that trusts it; Gatekeeper still needs a
# Developer ID and notarization for downloads). Unverified here: there is no macOS on the build
# machine.
set -euo pipefail
archive="$1"
identity="$2"
[[ "$(uname -s)" == Darwin ]] || { echo "sign-macos: codesign runs on macOS only" >&2; exit 1; }
tar_bin="$(command -v gtar || true)"
[[ -n "$tar_bin" ]] || { echo "sign-macos: GNU tar (gtar, brew install gnu-tar) is needed to repack reproducibly" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$tar_bin" -xzf "$archive" -C "$work"
bundle="$(cd "$work" && echo codex-sandbox-*)"
codesign --force --sign "$identity" "$work/$bundle/codex-resources/codex-sea"
codesign --verify --strict "$work/$bundle/codex-resources/codex-sea"
(cd "$work/$bundle" && find . -type f ! -name SHA256SUMS | sed 's|^\./||' | LC_ALL=C sort | xargs shasum -a 256 >SHA256SUMS)
"$tar_bin" --sort=name --format=gnu --owner=0 --group=0 --numeric-owner --mtime=@0 -cf "$work/bundle.tar" -C "$work" "$bundle"
gzip -9 -n -c "$work/bundle.tar" >"$archive"
"$work/$bundle/codex" --version
