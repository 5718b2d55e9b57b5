/*
 * What our helper binaries (codex-netns-helper, codex-landlock-helper, codex-mask-helper,
 * codex-proxy-relay) share: reading their spec from a descriptor, parsing `--spec-fd N [--]
 * COMMAND...`, closing descriptors before exec, and the one way they refuse (helper_fail). Must NOT
 * print or exit anywhere else: callers word their failures themselves.
 */
#ifndef CODEX_HELPER_IO_H
#define CODEX_HELPER_IO_H

#include <stddef.h>
#include <stdint.h>

/* Reads `fd` to its end (from offset 0 when it can seek). 0 on success; -1 with errno set
 * (EFBIG: more than `max` bytes). The caller frees *out. */
int helper_read_all(int fd, size_t max, uint8_t **out, size_t *out_len);

enum {
  HELPER_ARGS_UNKNOWN = -1,    /* *bad: the unknown argument */
  HELPER_ARGS_BAD_FD = -2,     /* *bad: N, which is not a descriptor number of 3 or more */
  HELPER_ARGS_NO_SPEC_FD = -3,
  HELPER_ARGS_NO_COMMAND = -4,
};

/* Parses `--spec-fd N [--] COMMAND [ARG...]`: 0 with *spec_fd and *command set, else one of the
 * HELPER_ARGS_ codes. */
int helper_parse_args(int argc, char **argv, int *spec_fd, char ***command, const char **bad);

/* The message for a non-zero helper_parse_args result, in `buf` (which it returns). */
const char *helper_args_problem(int code, const char *bad, const char *usage, char *buf, size_t size);

/* Writes `prefix`, the formatted message and `suffix` to stderr and exits with status 1: how every
 * helper refuses (each passes its own prefix, such as "codex sandbox: landlock: "). */
void helper_fail(const char *prefix, const char *suffix, const char *fmt, ...) __attribute__((noreturn, format(printf, 3, 4)));

/* helper_parse_args, refusing through helper_fail with the usage on a problem. */
void helper_args_or_fail(int argc, char **argv, const char *prefix, const char *suffix, const char *usage, int *spec_fd, char ***command);

/* Closes every descriptor from first to last, both included (close_range, else one by one). */
void helper_close_range(int first, int last);

/* Closes every descriptor >= first (close_range, else one by one up to RLIMIT_NOFILE). */
void helper_close_from(int first);

#endif
