#!/usr/bin/env bash
# materialize.sh DEST GENDIR FILE...: copies FILEs (execroot paths) into DEST at their
# workspace-relative paths, generated files (under GENDIR) beside the sources. Tools that resolve
# symlinks (esbuild, jest, tsc) then see one tree, as in a checkout.
set -euo pipefail
dest="$1"
gendir="$2"
shift 2
rm -rf "$dest"
mkdir -p "$dest"
for f in "$@"; do
  rel="${f#"$gendir"/}"
  mkdir -p "$dest/$(dirname "$rel")"
  cp -L "$f" "$dest/$rel"
done
