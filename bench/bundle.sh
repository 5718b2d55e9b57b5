#!/usr/bin/env bash
# Start-up of the release bundle (release/: launcher + Node single executable application) next to
# today's sh/JS executable (bazel-bin/packages/cli/codex), in one run, with and without
# NODE_EXTRA_CA_CERTS set (it is set on these machines: Node parses the CA bundle it names at
# start, and a SEA cannot unset it before its Node starts; the bundle's launcher moves it aside, as
# the sh/JS executable's does). Also: the SEA started directly with the variable set, i.e. what a
# SEA without a launcher would pay (the Windows bundle's case), and each one's peak RSS.
#
#   bench/bundle.sh                    (builds //packages/cli:codex and //release:linux-x64)
#   env: RUNS (default 40), WARMUP (default 5), RSS_RUNS (default 9), CA (default the system bundle)
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"
runs="${RUNS:-40}"
warmup="${WARMUP:-5}"
rss_runs="${RSS_RUNS:-9}"
ca="${CA:-/etc/ssl/certs/ca-certificates.crt}"
command -v hyperfine >/dev/null || { echo "bench: hyperfine is required (apt-get install hyperfine)" >&2; exit 2; }
[[ -x /usr/bin/time ]] || apt-get install -y time >/dev/null
[[ -f "$ca" ]] || { echo "bench: no CA bundle at $ca (set CA=...)" >&2; exit 2; }

bazel build --ui_event_filters=-info,-warning,-stdout,-stderr --noshow_progress //packages/cli:codex //release:linux-x64
bin="$(bazel info bazel-bin 2>/dev/null)"
work="$(mktemp -d /tmp/codex-bench-bundle.XXXXXX)"
trap 'rm -rf "$work"' EXIT
cp -r "$bin/packages/cli/codex" "$bin/packages/cli/codex-resources" "$work/" && mkdir -p "$work/today" && mv "$work/codex" "$work/codex-resources" "$work/today/"
chmod -R u+w "$work"
tar -xzf "$bin/release/codex-sandbox-"*"-linux-x64.tar.gz" -C "$work"
bundle="$(echo "$work"/codex-sandbox-*-linux-x64)"
home="$work/home"
mkdir -p "$home"
today="$work/today/codex"
sea="$bundle/codex-resources/codex-sea"

# Both front ends get the same environment; each command line is one hyperfine benchmark.
base="env -i PATH=/usr/bin:/bin HOME=$home CODEX_HOME=$home"
with_ca="$base NODE_EXTRA_CA_CERTS=$ca"
cd "$work"
hyperfine -N --warmup "$warmup" --runs "$runs" --export-json "$work/results.json" \
  -n "today, no CA var: --version" "$base $today --version" \
  -n "bundle, no CA var: --version" "$base $bundle/codex --version" \
  -n "today, no CA var: sandbox -- true" "$base $today sandbox -- true" \
  -n "bundle, no CA var: sandbox -- true" "$base $bundle/codex sandbox -- true" \
  -n "today, CA var set: sandbox -- true" "$with_ca $today sandbox -- true" \
  -n "bundle, CA var set: sandbox -- true" "$with_ca $bundle/codex sandbox -- true" \
  -n "SEA without launcher, CA var set: sandbox -- true" "$with_ca CODEX_SANDBOX_LAUNCHER=1 $sea sandbox -- true" \
  >"$work/hyperfine.log" 2>&1 || { cat "$work/hyperfine.log" >&2; exit 1; }

rss() { # command...: median peak RSS in MB over RSS_RUNS runs
  local out="$work/rss"
  : >"$out"
  for _ in $(seq "$rss_runs"); do /usr/bin/time -f %M -o "$out" -a "$@" >/dev/null 2>&1; done
  sort -n "$out" | awk '{ a[NR] = $1 } END { printf "%.1f", a[int((NR + 1) / 2)] / 1024 }'
}
# shellcheck disable=SC2086
rss_today="$(rss $base "$today" sandbox -- true)"
# shellcheck disable=SC2086
rss_bundle="$(rss $base "$bundle/codex" sandbox -- true)"

node - "$work/results.json" "$rss_today" "$rss_bundle" <<'JS'
const [file, rssToday, rssBundle] = process.argv.slice(2);
const results = JSON.parse(require('fs').readFileSync(file, 'utf8')).results;
const median = (name) => results.find((r) => r.command === name).median * 1000;
const row = (label, a, b) => `| ${label} | ${median(a).toFixed(1)} ms | ${median(b).toFixed(1)} ms | ${(median(b) / median(a)).toFixed(2)}x |`;
console.log(`| median of ${results[0].times.length} | today's executable | bundle | bundle / today |`);
console.log('|---|---:|---:|---:|');
console.log(row('`--version`, NODE_EXTRA_CA_CERTS unset', "today, no CA var: --version", "bundle, no CA var: --version"));
console.log(row('`sandbox -- true`, unset', "today, no CA var: sandbox -- true", "bundle, no CA var: sandbox -- true"));
console.log(row('`sandbox -- true`, set', "today, CA var set: sandbox -- true", "bundle, CA var set: sandbox -- true"));
console.log(`| \`sandbox -- true\`, set, SEA started without the launcher | | ${median("SEA without launcher, CA var set: sandbox -- true").toFixed(1)} ms | ${(median("SEA without launcher, CA var set: sandbox -- true") / median("bundle, CA var set: sandbox -- true")).toFixed(2)}x the bundle |`);
console.log(`| peak RSS, \`sandbox -- true\` (median) | ${rssToday} MB | ${rssBundle} MB | ${(rssBundle / rssToday).toFixed(2)}x |`);
JS
