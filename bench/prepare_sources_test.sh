#!/usr/bin/env bash
# bench/prepare-sources.sh turns a fresh clone's sources (no packages/policy/src/gen: Bazel generates
# it into its outputs) into a tree esbuild bundles, both entry points the benchmark builds (the
# executable's main.ts and the library's index.ts), and leaves the clone itself untouched.
# Args: node node_modules (the runfiles tree is the repository: cwd; it holds hand-written files only).
set -euo pipefail
node="$PWD/$1"
node_modules="$PWD/$2"
export PATH="$(dirname "$node"):$PATH" # ts-proto's plugin is a `#!/usr/bin/env node` script
scratch="$(mktemp -d "${TEST_TMPDIR:-/tmp}/prepare-sources-test.XXXXXX")"
trap 'rm -rf "$scratch"' EXIT
clone="$scratch/clone"
mkdir -p "$clone"
cp -rL packages bench tsconfig.base.json "$clone/"

bundle() { # tree entry -> exit status of an esbuild bundle of tree/entry
  "$node" -e '
    const [esbuildPath, tree, entry, nodeModules] = process.argv.slice(1);
    require(esbuildPath).buildSync({
      entryPoints: [tree + "/" + entry], bundle: true, platform: "node", format: "cjs", write: false,
      tsconfig: tree + "/tsconfig.base.json", nodePaths: [nodeModules], external: ["koffi"], logLevel: "silent",
    });' "$node_modules/esbuild" "$1" "$2" "$node_modules"
}

# The clone is what a fresh clone is: no generated sources, and so it does not bundle.
if [[ -e "$clone/packages/policy/src/gen" ]]; then
  echo "FAIL - the test's clone already holds packages/policy/src/gen"
  exit 1
fi
if bundle "$clone" packages/cli/src/main.ts 2>/dev/null; then
  echo "FAIL - a tree without src/gen bundled: this test would prove nothing"
  exit 1
fi

"$clone/bench/prepare-sources.sh" "$clone" "$scratch/src" "$node_modules"
failures=0
for entry in packages/cli/src/main.ts packages/cli/src/index.ts; do
  if bundle "$scratch/src" "$entry"; then
    echo "ok - $entry bundles from the prepared sources"
  else
    echo "FAIL - $entry does not bundle from the prepared sources"
    failures=$((failures + 1))
  fi
done
if [[ -e "$clone/packages/policy/src/gen" ]]; then
  echo "FAIL - prepare-sources.sh wrote into the clone"
  failures=$((failures + 1))
else
  echo "ok - the clone is left as it was"
fi
if "$clone/bench/prepare-sources.sh" "$clone" "$clone/packages" "$node_modules" 2>/dev/null; then
  echo "FAIL - prepare-sources.sh accepted the clone's own packages/ as its destination"
  failures=$((failures + 1))
else
  echo "ok - the clone's own sources are refused as the destination"
fi
exit "$failures"
