#!/usr/bin/env bash
# run_node.sh NODE SCRIPT ARGS...: runs one of the release tests written in JavaScript (Node from Bazel).
set -euo pipefail
node="$1"
shift
exec "$node" "$@"
