#!/bin/sh
# codex (release bundle, Linux and macOS): starts codex-resources/codex-sea, the Node.js single
# executable application (SEA) holding the program, from the real directory of this file.
#
# A SEA's Node acts on NODE_OPTIONS (--require: code from disk), NODE_EXTRA_CA_CERTS (a CA bundle
# parsed at start, ~47 ms), OPENSSL_CONF and the others below before the program's first
# statement, and nothing in the program can undo that. So this launcher moves each one into
# CODEX_SANDBOX_STASHED_<NAME> first, exactly as the sh part of bazel-bin/packages/cli/codex does
# (packages/cli/scripts/build-executable.mjs), and the program gives them back to the sandboxed
# command (packages/cli/src/launcher-env.ts). One statement per variable, no variable of ours
# (the caller's own are passed on untouched).
#
# Shell built-ins only, plus /usr/bin/readlink when this file is reached through a symbolic link:
# nothing is looked up on PATH, where a sandboxed command may have written.
if [ -n "${NODE_OPTIONS+x}" ]; then CODEX_SANDBOX_STASHED_NODE_OPTIONS=$NODE_OPTIONS; export CODEX_SANDBOX_STASHED_NODE_OPTIONS; unset NODE_OPTIONS; fi
if [ -n "${NODE_EXTRA_CA_CERTS+x}" ]; then CODEX_SANDBOX_STASHED_NODE_EXTRA_CA_CERTS=$NODE_EXTRA_CA_CERTS; export CODEX_SANDBOX_STASHED_NODE_EXTRA_CA_CERTS; unset NODE_EXTRA_CA_CERTS; fi
if [ -n "${NODE_V8_COVERAGE+x}" ]; then CODEX_SANDBOX_STASHED_NODE_V8_COVERAGE=$NODE_V8_COVERAGE; export CODEX_SANDBOX_STASHED_NODE_V8_COVERAGE; unset NODE_V8_COVERAGE; fi
if [ -n "${NODE_CHANNEL_FD+x}" ]; then CODEX_SANDBOX_STASHED_NODE_CHANNEL_FD=$NODE_CHANNEL_FD; export CODEX_SANDBOX_STASHED_NODE_CHANNEL_FD; unset NODE_CHANNEL_FD; fi
if [ -n "${NODE_CHANNEL_SERIALIZATION_MODE+x}" ]; then CODEX_SANDBOX_STASHED_NODE_CHANNEL_SERIALIZATION_MODE=$NODE_CHANNEL_SERIALIZATION_MODE; export CODEX_SANDBOX_STASHED_NODE_CHANNEL_SERIALIZATION_MODE; unset NODE_CHANNEL_SERIALIZATION_MODE; fi
if [ -n "${NODE_UNIQUE_ID+x}" ]; then CODEX_SANDBOX_STASHED_NODE_UNIQUE_ID=$NODE_UNIQUE_ID; export CODEX_SANDBOX_STASHED_NODE_UNIQUE_ID; unset NODE_UNIQUE_ID; fi
if [ -n "${NODE_PATH+x}" ]; then CODEX_SANDBOX_STASHED_NODE_PATH=$NODE_PATH; export CODEX_SANDBOX_STASHED_NODE_PATH; unset NODE_PATH; fi
if [ -n "${NODE_ICU_DATA+x}" ]; then CODEX_SANDBOX_STASHED_NODE_ICU_DATA=$NODE_ICU_DATA; export CODEX_SANDBOX_STASHED_NODE_ICU_DATA; unset NODE_ICU_DATA; fi
if [ -n "${NODE_REPL_EXTERNAL_MODULE+x}" ]; then CODEX_SANDBOX_STASHED_NODE_REPL_EXTERNAL_MODULE=$NODE_REPL_EXTERNAL_MODULE; export CODEX_SANDBOX_STASHED_NODE_REPL_EXTERNAL_MODULE; unset NODE_REPL_EXTERNAL_MODULE; fi
if [ -n "${NODE_REDIRECT_WARNINGS+x}" ]; then CODEX_SANDBOX_STASHED_NODE_REDIRECT_WARNINGS=$NODE_REDIRECT_WARNINGS; export CODEX_SANDBOX_STASHED_NODE_REDIRECT_WARNINGS; unset NODE_REDIRECT_WARNINGS; fi
if [ -n "${NODE_TEST_CONTEXT+x}" ]; then CODEX_SANDBOX_STASHED_NODE_TEST_CONTEXT=$NODE_TEST_CONTEXT; export CODEX_SANDBOX_STASHED_NODE_TEST_CONTEXT; unset NODE_TEST_CONTEXT; fi
if [ -n "${OPENSSL_CONF+x}" ]; then CODEX_SANDBOX_STASHED_OPENSSL_CONF=$OPENSSL_CONF; export CODEX_SANDBOX_STASHED_OPENSSL_CONF; unset OPENSSL_CONF; fi
if [ -n "${OPENSSL_CONF_INCLUDE+x}" ]; then CODEX_SANDBOX_STASHED_OPENSSL_CONF_INCLUDE=$OPENSSL_CONF_INCLUDE; export CODEX_SANDBOX_STASHED_OPENSSL_CONF_INCLUDE; unset OPENSSL_CONF_INCLUDE; fi
if [ -n "${OPENSSL_ENGINES+x}" ]; then CODEX_SANDBOX_STASHED_OPENSSL_ENGINES=$OPENSSL_ENGINES; export CODEX_SANDBOX_STASHED_OPENSSL_ENGINES; unset OPENSSL_ENGINES; fi
if [ -n "${OPENSSL_MODULES+x}" ]; then CODEX_SANDBOX_STASHED_OPENSSL_MODULES=$OPENSSL_MODULES; export CODEX_SANDBOX_STASHED_OPENSSL_MODULES; unset OPENSSL_MODULES; fi
if [ -L "$0" ]; then
  # A symbolic link to the bundle's launcher: follow it (in a subshell: no variable of ours leaks).
  CODEX_SANDBOX_SEA=$(p=$0; n=0; while [ -L "$p" ]; do n=$((n + 1)); [ "$n" -le 40 ] || exit 1; l=$(/usr/bin/readlink "$p") || exit 1; case $l in /*) p=$l ;; *) case $p in */*) p=${p%/*}/$l ;; *) p=$l ;; esac ;; esac; done; case $p in */*) printf '%s/' "${p%/*}" ;; *) printf './' ;; esac) || { echo "codex: cannot follow the symbolic links from $0 to the release bundle" >&2; exit 1; }
  CODEX_SANDBOX_SEA=${CODEX_SANDBOX_SEA}codex-resources/codex-sea
else
  case $0 in */*) CODEX_SANDBOX_SEA=${0%/*}/codex-resources/codex-sea ;; *) CODEX_SANDBOX_SEA=./codex-resources/codex-sea ;; esac
fi
[ -f "$CODEX_SANDBOX_SEA" ] && [ -x "$CODEX_SANDBOX_SEA" ] || { echo "codex: $CODEX_SANDBOX_SEA is missing or not executable (an incomplete release bundle)" >&2; exit 1; }
CODEX_SANDBOX_ARG0=$0 CODEX_SANDBOX_LAUNCHER=1 exec "$CODEX_SANDBOX_SEA" "$@"
