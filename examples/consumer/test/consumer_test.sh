#!/usr/bin/env bash
# The consumer program, built against codex-sandbox's libraries, sandboxes real commands with real
# bubblewrap: it reads the workspace, cannot write it, has no network, and a bad profile is an error.
set -uo pipefail
node="$1"
program="$2"
work="$(mktemp -d /tmp/codex-consumer-test.XXXXXX)"
trap 'rm -rf "$work"' EXIT
echo hello >"$work/input.txt"
out="$(env -i PATH=/usr/bin:/bin HOME="$work" "$node" "$program" "$work" 2>&1)"
expected='read: 0 hello
write: denied
network disabled: 1
bad profile: PolicyError'
if [[ "$out" == "$expected" && ! -e "$work/output.txt" ]]; then
  echo "ok - the consumer sandboxes commands through @codex-sandbox/cli and @codex-sandbox/policy"
else
  echo "FAIL - the consumer sandboxes commands through @codex-sandbox/cli and @codex-sandbox/policy"
  printf 'got:\n%s\n' "$out"
  exit 1
fi
