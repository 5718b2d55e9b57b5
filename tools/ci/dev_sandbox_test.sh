#!/usr/bin/env bash
# `./dev sandbox` runs the command in the caller's directory, with none of Bazel's variables, while
# Bazel itself is started in the repository. Checked with a copy of `dev` in a scratch repository,
# a stand-in `bazel` on PATH (it refuses to start outside the repository and does what `bazel run`
# would do: start the binary in the directory bazel was started from, with BUILD_* variables) and a
# stand-in `codex` that reports where it runs.
set -euo pipefail

dev_script="$1"
failures=0
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
repo="$work/repo"
mkdir -p "$repo/tools" "$repo/out/packages/cli" "$work/bin" "$work/caller dir"
cp "$dev_script" "$repo/dev"
printf '#!/bin/sh\nexit 0\n' >"$repo/tools/setup.sh"
cat >"$repo/out/packages/cli/codex" <<'SCRIPT'
#!/bin/sh
echo "cwd=$(pwd)"
echo "args=$*"
echo "bazel variables=$(env | grep -c '^BUILD_WORK')"
SCRIPT
cat >"$work/bin/bazel" <<SCRIPT
#!/bin/sh
case "\$(pwd)/" in "$repo"/*) ;; *) echo "bazel: not in a workspace: \$(pwd)" >&2; exit 2 ;; esac
verb="\$1"; shift
case "\$verb" in
  build) exit 0 ;;
  info) echo "$repo/out" ;;
  run)
    while [ "\$#" -gt 0 ] && [ "\$1" != "--" ]; do shift; done
    shift
    export BUILD_WORKING_DIRECTORY="\$(pwd)" BUILD_WORKSPACE_DIRECTORY="$repo"
    cd "\$BUILD_WORKING_DIRECTORY" && exec "$repo/out/packages/cli/codex" "\$@"
    ;;
esac
SCRIPT
chmod +x "$repo/dev" "$repo/tools/setup.sh" "$repo/out/packages/cli/codex" "$work/bin/bazel"

check() { # name, expected, actual
  if [[ "$2" == "$3" ]]; then
    echo "ok - $1"
  else
    echo "FAIL - $1: got '$3', want '$2'"
    failures=$((failures + 1))
  fi
}

out="$(cd "$work/caller dir" && PATH="$work/bin:$PATH" "$repo/dev" sandbox -P :workspace -- sh -c 'echo hi > note.txt')"
check "the command runs in the caller's directory" "cwd=$work/caller dir" "$(sed -n 1p <<<"$out")"
check "the arguments reach codex sandbox unchanged" "args=sandbox -P :workspace -- sh -c echo hi > note.txt" "$(sed -n 2p <<<"$out")"
check "no Bazel variables reach the command" "bazel variables=0" "$(sed -n 3p <<<"$out")"
out="$(cd "$repo" && PATH="$work/bin:$PATH" "$repo/dev" sandbox -- true)"
check "from the repository itself, it runs there" "cwd=$repo" "$(sed -n 1p <<<"$out")"

if ((failures > 0)); then
  exit 1
fi
