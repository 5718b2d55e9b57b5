#!/usr/bin/env bash
# ci/collect.sh DIST FILE...: the release pipeline's last step. Copies the built archives and npm
# tarballs into DIST, writes DIST/SHA256SUMS over them and checks it with `sha256sum -c`; also
# checks each archive's own SHA256SUMS after extracting it. Refuses an empty list or a name twice.
set -euo pipefail
(($# >= 2)) || { echo "usage: ci/collect.sh DIST FILE..." >&2; exit 2; }
dist="$1"
shift
mkdir -p "$dist"
declare -A seen=()
for f in "$@"; do
  name="$(basename "$f")"
  [[ -z "${seen[$name]:-}" ]] || { echo "collect: $name given twice" >&2; exit 1; }
  seen[$name]=1
  cp "$f" "$dist/$name"
  chmod 0644 "$dist/$name"
done
(cd "$dist" && find . -maxdepth 1 -type f ! -name SHA256SUMS -printf '%f\n' | LC_ALL=C sort | xargs sha256sum >SHA256SUMS)
(cd "$dist" && sha256sum --quiet -c SHA256SUMS)
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
for archive in "$dist"/codex-sandbox-*.tar.gz; do
  [[ -e "$archive" ]] || continue
  rm -rf "${scratch:?}"/*
  tar -xzf "$archive" -C "$scratch"
  (cd "$scratch"/codex-sandbox-* && sha256sum --quiet -c SHA256SUMS) || { echo "collect: $(basename "$archive"): its SHA256SUMS does not match" >&2; exit 1; }
done
echo "collect: $(grep -c . "$dist/SHA256SUMS") files in $dist, SHA256SUMS checked"
