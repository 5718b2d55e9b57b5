#!/usr/bin/env bash
# typecheck.sh OUT PKG GENDIR NODE NODE_MODULES FILE...: the build-time type check of one package.
# Copies FILEs (a package's :srcs, which carry the sources of the packages it imports, plus the
# shared configs) into a scratch tree, runs tsc (strict, no emit) over PKG/src, and writes OUT only
# when it passes: a target that depends on OUT (the release executable) cannot be built from code
# with a type error. Tests are left to :typecheck, so `bazel build` checks what ships.
set -euo pipefail
out="$1"
pkg="$2"
gendir="$3"
node="$(cd "$(dirname "$4")" && pwd)/$(basename "$4")"
node_modules="$(cd "$5" && pwd)"
shift 5
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
"$here/materialize.sh" "$scratch/tree" "$gendir" "$@"
ln -s "$node_modules" "$scratch/tree/node_modules"
printf '{ "extends": "./tsconfig.json", "include": ["src/**/*.ts"] }\n' >"$scratch/tree/$pkg/tsconfig.build.json"
rm -f "$out"
# From the tree's root, so errors name workspace paths (packages/x/src/y.ts(LINE,COL)).
if ! (cd "$scratch/tree" && "$node" node_modules/typescript/bin/tsc --pretty false -p "$pkg/tsconfig.build.json"); then
  echo "type errors in $pkg/src (above): the build stops here" >&2
  exit 1
fi
touch "$out"
