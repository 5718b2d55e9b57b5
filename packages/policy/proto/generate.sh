#!/usr/bin/env bash
# Generates TypeScript for permission_profile.proto and the helpers' specs (netns_helper.proto,
# landlock_helper.proto, mask_helper.proto) with ts-proto into
# OUT_DIR/<name>.ts each.
# Usage: generate.sh OUT_DIR
# The ts-proto plugin comes from the repository's node_modules: $CODEX_NODE_MODULES when set
# (absolute path, as Bazel provides it), otherwise <repo>/node_modules relative to this script.
set -euo pipefail

if [[ $# -ne 1 ]]; then
  echo "usage: $0 OUT_DIR" >&2
  exit 2
fi

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "$script_dir/../../.." && pwd)"
node_modules="${CODEX_NODE_MODULES:-$repo_root/node_modules}"
plugin="$node_modules/ts-proto/protoc-gen-ts_proto"
if [[ ! -f "$plugin" ]]; then
  echo "generate.sh: ts-proto plugin not found at $plugin (set CODEX_NODE_MODULES to the repository's node_modules)" >&2
  exit 1
fi
if ! command -v protoc >/dev/null 2>&1; then
  echo "generate.sh: protoc not found on PATH" >&2
  exit 1
fi

out_dir="$1"
mkdir -p "$out_dir"
out_dir="$(cd "$out_dir" && pwd)"

# The plugin is a node script; resolve its own requires from the same node_modules.
NODE_PATH="$node_modules${NODE_PATH:+:$NODE_PATH}" protoc \
  --plugin="protoc-gen-ts_proto=$plugin" \
  --ts_proto_out="$out_dir" \
  --ts_proto_opt=esModuleInterop=true,outputServices=false,useOptionals=messages,importSuffix=.js,forceLong=number,env=node,outputJsonMethods=false,outputPartialMethods=false,useExactTypes=false \
  --proto_path="$script_dir" \
  "$script_dir/permission_profile.proto" \
  "$script_dir/netns_helper.proto" \
  "$script_dir/landlock_helper.proto" \
  "$script_dir/mask_helper.proto"
