#!/usr/bin/env bash
# structure_test.sh NODE STRUCTURE_TEST_MJS ARGS...: runs the structural checks of one bundle.
set -euo pipefail
node="$1"
shift
exec "$node" "$@"
