#!/usr/bin/env bash
# bench/prepare-sources.sh REPO DEST [NODE_MODULES]
# Makes DEST a copy of REPO's TypeScript sources (packages/* without node_modules, and
# tsconfig.base.json) with the wire schema's generated TypeScript in packages/policy/src/gen, where
# Bazel's build puts it beside the hand-written sources. The benchmark bundles from DEST, so it works
# from a fresh clone (which has no src/gen) without Bazel.
#
# Must NOT write into REPO: a src/gen in the checkout would sit where Bazel's genrule writes its
# outputs of the same paths. NODE_MODULES (default REPO/node_modules) holds ts-proto.
set -euo pipefail

if [[ $# -lt 2 || $# -gt 3 ]]; then
  echo "usage: $0 REPO DEST [NODE_MODULES]" >&2
  exit 2
fi
repo="$(cd "$1" && pwd)"
dest="$2"
node_modules="${3:-$repo/node_modules}"
case "$dest" in "$repo" | "$repo"/packages | "$repo"/packages/*)
  echo "prepare-sources: DEST must not be the repository's own sources ($dest)" >&2
  exit 2
  ;;
esac

rm -rf "$dest"
mkdir -p "$dest"
# -h: a Bazel runfiles tree holds symlinks; the copy must hold the files (esbuild resolves links).
tar -C "$repo" -ch --exclude=node_modules --exclude=packages/policy/src/gen -f - packages tsconfig.base.json |
  tar -C "$dest" -xf -
CODEX_NODE_MODULES="$node_modules" bash "$dest/packages/policy/proto/generate.sh" "$dest/packages/policy/src/gen"
