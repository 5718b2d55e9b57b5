#!/usr/bin/env bash
# Side-by-side benchmark: this project's `codex` executable, the Codex CLI's `codex sandbox`
# (npm @openai/codex, installed on demand into a cache OUTSIDE the repository; never a project
# dependency, never used by tests or CI), and bare bubblewrap, running `-- true` under read-only
# and workspace-write, with the floor (Node's start + bare bwrap) and our overhead above it; a deny
# glob over a generated 100,000-file workspace; the in-process API's per-command cost and each front
# end's peak RSS.
#
#   bench/run.sh [path/to/built/codex]        (default: build one with the repo's build script)
#   env: RUNS per round (default 15), ROUNDS (default 3), WARMUP (default 5), RSS_RUNS (default 7),
#        INPROCESS_RUNS (default 100), PEER_VERSION (default: latest), GLOB_FILES (default 100000)
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/codex-sandbox-bench"
runs="${RUNS:-15}"
warmup="${WARMUP:-5}"
rss_runs="${RSS_RUNS:-7}"
mkdir -p "$cache"
case "$cache" in /tmp/*) echo "bench: cache $cache must be outside /tmp (the peer refuses to run there)" >&2; exit 2 ;; esac

need() { command -v "$1" >/dev/null 2>&1; }
need hyperfine || { echo "bench: hyperfine is required (apt-get install hyperfine)" >&2; exit 2; }
if [ ! -x /usr/bin/time ]; then
  echo "bench: installing GNU time for peak-RSS measurement" >&2
  apt-get install -y time >/dev/null
fi
bwrap="$(command -v bwrap || true)"
[ -n "$bwrap" ] || { echo "bench: a system bwrap is required for the bare-bwrap baseline" >&2; exit 2; }

# --- this project -----------------------------------------------------------------------------
# Bundled from a copy of the sources with the generated wire-schema TypeScript beside them (a clone
# has no packages/policy/src/gen: Bazel generates it into its outputs).
src="$cache/src"
echo "bench: preparing the sources in $src" >&2
"$repo/bench/prepare-sources.sh" "$repo" "$src" "$repo/node_modules"
ours="${1:-}"
if [ -z "$ours" ]; then
  ours="$cache/ours/codex"
  echo "bench: building $ours" >&2
  node "$repo/packages/cli/scripts/build-executable.mjs" --entry "$src/packages/cli/src/main.ts" \
    --tsconfig "$src/tsconfig.base.json" --node-modules "$repo/node_modules" --out "$ours"
  # codex-mask-helper makes the deny-glob case's masks (docs/behaviour.md G11), beside the
  # executable as in a release; built by Bazel as it ships (no convenience links in the checkout).
  echo "bench: building codex-mask-helper" >&2
  (cd "$repo" && bazel build --symlink_prefix=/ //packages/linux-bwrap/native/mask-helper:codex-mask-helper >&2)
  mkdir -p "$(dirname "$ours")/codex-resources"
  install -m 0755 "$(cd "$repo" && bazel info bazel-bin 2>/dev/null)/packages/linux-bwrap/native/mask-helper/codex-mask-helper-bin/codex-mask-helper" \
    "$(dirname "$ours")/codex-resources/codex-mask-helper"
fi
ours="$(cd "$(dirname "$ours")" && pwd)/$(basename "$ours")"

# --- the peer ---------------------------------------------------------------------------------
peer_dir="$cache/peer"
peer_bin="$peer_dir/node_modules/.bin/codex"
if [ ! -x "$peer_bin" ]; then
  echo "bench: installing @openai/codex${PEER_VERSION:+@$PEER_VERSION} into $peer_dir (one time)" >&2
  mkdir -p "$peer_dir"
  [ -f "$peer_dir/package.json" ] || echo '{"private":true}' >"$peer_dir/package.json"
  npm install --prefix "$peer_dir" --no-audit --no-fund --loglevel=error "@openai/codex@${PEER_VERSION:-latest}" >&2
fi
# The npm entry point is a Node wrapper; time the native binary it execs, as users of the peer's
# standalone install would get it.
peer_native="$(find "$peer_dir/node_modules/@openai" -path '*/bin/codex' -type f -perm -u+x 2>/dev/null | head -n 1)"
peer="${peer_native:-$peer_bin}"

# --- a neutral workspace outside /tmp, private CODEX_HOMEs and TMPDIR (the peer's quirk) --------
work="$cache/work"
ours_home="$cache/home-ours"
peer_home="$cache/home-peer"
peer_tmp="$cache/tmp-peer"
mkdir -p "$work" "$ours_home" "$peer_home" "$peer_tmp"
cd "$work"
export TMPDIR="$peer_tmp"

results="$cache/results"
rm -rf "$results" && mkdir -p "$results"

# Each hyperfine call times the commands being compared together, and the rounds alternate their
# order, so drift in machine load hits both sides alike. Runs are pooled across rounds.
rounds="${ROUNDS:-3}"
hf() { # file, then name/command pairs
  local file="$1"; shift
  local args=()
  while [ "$#" -gt 0 ]; do args+=(-n "$1" "$2"); shift 2; done
  hyperfine -N --warmup "$warmup" --runs "$runs" --export-json "$results/$file.json" "${args[@]}" >/dev/null
}

echo "bench: sanity checks" >&2
CODEX_HOME="$ours_home" "$ours" sandbox -- true
CODEX_HOME="$ours_home" "$ours" sandbox -P :workspace -- true
CODEX_HOME="$peer_home" "$peer" sandbox -- true
CODEX_HOME="$peer_home" "$peer" sandbox -c sandbox_mode=workspace-write -- true

# The floor: the Node the executable runs (its launcher line names it), started with the same
# environment handling as the launcher (the variables it moves aside, NODE_EXTRA_CA_CERTS among them),
# plus bare bwrap.
ours_node="$(sed -n '2s/.* exec '"'"'\([^'"'"']*\)'"'"' .*/\1/p' "$ours")"
[ -x "$ours_node" ] || { echo "bench: cannot find the Node that $ours runs (got '$ours_node')" >&2; exit 1; }
node_floor="env"
for var in $(sed -n '2p' "$ours" | grep -o 'unset [A-Z_]*' | cut -d' ' -f2); do node_floor="$node_floor -u $var"; done
node_floor="$node_floor $ours_node -e 0"
ours_ro="env CODEX_HOME=$ours_home $ours sandbox -- true"
peer_ro="env CODEX_HOME=$peer_home TMPDIR=$peer_tmp $peer sandbox -- true"
ours_ws="env CODEX_HOME=$ours_home $ours sandbox -P :workspace -- true"
peer_ws="env CODEX_HOME=$peer_home TMPDIR=$peer_tmp $peer sandbox -c sandbox_mode=workspace-write -- true"
echo "bench: timing ($rounds rounds; hyperfine -N, $warmup warmups, $runs runs per command per round)" >&2
for round in $(seq "$rounds"); do
  if [ $((round % 2)) -eq 1 ]; then
    hf "round$round-a" ours-read-only "$ours_ro" peer-read-only "$peer_ro" bare-bwrap "$bwrap --ro-bind / / --unshare-all -- true"
    hf "round$round-b" ours-workspace "$ours_ws" peer-workspace "$peer_ws" node-baseline "$node_floor"
  else
    hf "round$round-a" bare-bwrap "$bwrap --ro-bind / / --unshare-all -- true" peer-read-only "$peer_ro" ours-read-only "$ours_ro"
    hf "round$round-b" node-baseline "$node_floor" peer-workspace "$peer_ws" ours-workspace "$ours_ws"
  fi
done

# --- deny-glob expansion at scale: `**/*.env` over a generated 100,000-file workspace, depth 8 ----
# The same profile for both CLIs, each in a CODEX_HOME of its own; the workspace is made by
# bench/glob-tree.mjs, the same tree every time (reused when a previous run left it).
glob_tree="$cache/glob-tree"
echo "bench: deny-glob workspace in $glob_tree" >&2
node "$repo/bench/glob-tree.mjs" "$glob_tree" --files "${GLOB_FILES:-100000}" --depth 8 >"$results/glob-tree.json"
for home in "$cache/home-ours-glob" "$cache/home-peer-glob"; do
  mkdir -p "$home"
  cat >"$home/config.toml" <<'TOML'
[permissions.globbench]
extends = ":read-only"
[permissions.globbench.filesystem]
glob_scan_max_depth = 8
[permissions.globbench.filesystem.":workspace_roots"]
"**/*.env" = "none"
TOML
done
# Both must really mask a match (a scan that found nothing would be fast and wrong).
probe="$(cd "$glob_tree" && find . -name '*.env' -print -quit)"
for side in ours peer; do
  bin="$ours"; [ "$side" = peer ] && bin="$peer"
  if (cd "$glob_tree" && CODEX_HOME="$cache/home-$side-glob" "$bin" sandbox -P globbench -- cat "$probe" >/dev/null 2>&1); then
    echo "bench: $side read $probe through the deny glob; the glob case would measure nothing" >&2
    exit 1
  fi
done
# The floor of this case: bare bwrap making the same masks (an empty read-only file, mode 000, on
# each match, as both CLIs do), so a reader sees what the mounts alone cost.
glob_floor="$cache/bwrap-glob-masks.sh"
{
  echo '#!/bin/bash'
  echo 'exec 3</dev/null'
  printf 'exec %q --unshare-all --ro-bind / /' "$bwrap"
  (cd "$glob_tree" && find "$PWD" -maxdepth 8 -name '*.env' -print0) | xargs -0 printf ' --perms 000 --ro-bind-data 3 %q'
  echo ' -- true'
} >"$glob_floor"
chmod +x "$glob_floor"
ours_glob="env CODEX_HOME=$cache/home-ours-glob $ours sandbox -P globbench -- true"
peer_glob="env CODEX_HOME=$cache/home-peer-glob TMPDIR=$peer_tmp $peer sandbox -P globbench -- true"
# Which stage makes our masks there (G11: codex-mask-helper when it is installed and works here).
(cd "$glob_tree" && CODEX_HOME="$cache/home-ours-glob" "$ours" sandbox -P globbench --dry-run -- true | grep '^masks' >&2) || true
echo "bench: timing the deny-glob case ($rounds rounds)" >&2
(
  cd "$glob_tree"
  for round in $(seq "$rounds"); do
    if [ $((round % 2)) -eq 1 ]; then
      hf "glob$round" ours-glob "$ours_glob" peer-glob "$peer_glob" bwrap-glob-masks "$glob_floor"
    else
      hf "glob$round" bwrap-glob-masks "$glob_floor" peer-glob "$peer_glob" ours-glob "$ours_glob"
    fi
  done
)

# --- proxy-only network: what the managed proxy adds to a run's start (issue 11) -----------------
# The same network-enabled profile twice: plain (the host network) and with one allowed domain,
# which runs behind the managed proxy in its own network namespace (proxy start, codex-netns-helper,
# the bridge). Only ours: the Codex CLI starts its proxy only with a feature flag and a login.
net_home="$cache/home-ours-net"
mkdir -p "$net_home"
cat >"$net_home/config.toml" <<'TOML'
default_permissions = "netplain"
[permissions.netplain]
extends = ":read-only"
[permissions.netplain.network]
enabled = true
[permissions.netproxy]
extends = ":read-only"
[permissions.netproxy.network]
enabled = true
domains = { "example.com" = "allow" }
TOML
ours_netplain="env CODEX_HOME=$net_home $ours sandbox -P netplain -- true"
ours_netproxy="env CODEX_HOME=$net_home $ours sandbox -P netproxy -- true"
CODEX_HOME="$net_home" "$ours" sandbox -P netproxy -- true
echo "bench: timing a proxy-mode start ($rounds rounds)" >&2
for round in $(seq "$rounds"); do
  if [ $((round % 2)) -eq 1 ]; then
    hf "round$round-net" ours-netplain "$ours_netplain" ours-netproxy "$ours_netproxy"
  else
    hf "round$round-net" ours-netproxy "$ours_netproxy" ours-netplain "$ours_netplain"
  fi
done

echo "bench: in-process API" >&2
NODE_PATH="$repo/node_modules" node "$repo/bench/inprocess.mjs" --repo "$repo" --src "$src" --cache "$cache" --bwrap "$bwrap" --work "$work" >"$results/inprocess.json"

echo "bench: peak RSS (/usr/bin/time -f %M, median of $rss_runs)" >&2
rss() { # name, command...
  local name="$1"; shift
  : >"$results/$name.rss"
  for _ in $(seq "$rss_runs"); do
    /usr/bin/time -f %M -o "$results/$name.rss" -a "$@" >/dev/null
  done
}
rss ours-read-only env CODEX_HOME="$ours_home" "$ours" sandbox -- true
rss ours-workspace env CODEX_HOME="$ours_home" "$ours" sandbox -P :workspace -- true
rss peer-read-only env CODEX_HOME="$peer_home" TMPDIR="$peer_tmp" "$peer" sandbox -- true
rss peer-workspace env CODEX_HOME="$peer_home" TMPDIR="$peer_tmp" "$peer" sandbox -c sandbox_mode=workspace-write -- true

node "$repo/bench/summarize.mjs" "$results" "$("$peer" --version 2>/dev/null | head -n 1)"
