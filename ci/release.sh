#!/usr/bin/env bash
# ci/release.sh [PLATFORM...]: the release pipeline, on Linux (Debian 12). Builds the bundles
# (default: all five; CI here runs linux-x64), tests them (the whole suite, plus every requested
# bundle's reproducibility test), packs the npm packages, and collects everything with SHA256SUMS
# into dist/. macOS bundles come out unsigned: ci/sign-macos.sh signs them on a macOS runner
# (ci/workflow.yml); unsigned, they do not run on Apple silicon.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
platforms=("$@")
((${#platforms[@]} > 0)) || platforms=(linux-x64 linux-arm64 darwin-x64 darwin-arm64 win32-x64)

tools/setup.sh
targets=(//release:npm-cli)
tests=()
for p in "${platforms[@]}"; do
  targets+=("//release:$p" "//release:npm-$p")
  tests+=("//release:${p}_reproducible_test")
done
say() { printf 'release: %s\n' "$*" >&2; }
say "building ${targets[*]}"
bazel build "${targets[@]}"
say "testing: the whole suite, then the reproducibility of ${platforms[*]}"
tools/ci/test-all.sh
bazel test "${tests[@]}"
bin="$(bazel info bazel-bin)"
files=("$bin/release/npm/codex-sandbox-cli-"*.tgz)
for p in "${platforms[@]}"; do
  files+=("$bin/release/codex-sandbox-"*"-$p.tar.gz" "$bin/release/npm/codex-sandbox-cli-$p-"*.tgz)
done
ci/collect.sh dist "${files[@]}"
