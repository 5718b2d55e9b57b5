/* See helper_io.h. */
#define _GNU_SOURCE
#include "packages/linux-bwrap/native/common/helper_io.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

int helper_read_all(int fd, size_t max, uint8_t **out, size_t *out_len) {
  size_t cap = 1 << 16, len = 0;
  uint8_t *buf = malloc(cap);
  if (buf == NULL) return -1;
  for (;;) {
    if (len == cap) {
      if (cap >= max) {
        free(buf);
        errno = EFBIG;
        return -1;
      }
      cap *= 2;
      uint8_t *grown = realloc(buf, cap);
      if (grown == NULL) {
        free(buf);
        return -1;
      }
      buf = grown;
    }
    ssize_t n = pread(fd, buf + len, cap - len, (off_t)len);
    if (n < 0 && errno == ESPIPE) n = read(fd, buf + len, cap - len);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int saved = errno;
      free(buf);
      errno = saved;
      return -1;
    }
    if (n == 0) break;
    len += (size_t)n;
    if (len > max) {
      free(buf);
      errno = EFBIG;
      return -1;
    }
  }
  *out = buf;
  *out_len = len;
  return 0;
}

int helper_parse_args(int argc, char **argv, int *spec_fd, char ***command, const char **bad) {
  *spec_fd = -1;
  int i = 1;
  for (; i < argc; i++) {
    if (strcmp(argv[i], "--") == 0) {
      i++;
      break;
    }
    if (strcmp(argv[i], "--spec-fd") == 0 && i + 1 < argc) {
      char *end;
      long v = strtol(argv[++i], &end, 10);
      if (*end != '\0' || v < 3 || v > INT_MAX) {
        *bad = argv[i];
        return HELPER_ARGS_BAD_FD;
      }
      *spec_fd = (int)v;
      continue;
    }
    *bad = argv[i];
    return HELPER_ARGS_UNKNOWN;
  }
  if (*spec_fd < 0) return HELPER_ARGS_NO_SPEC_FD;
  if (i >= argc) return HELPER_ARGS_NO_COMMAND;
  *command = &argv[i];
  return 0;
}

const char *helper_args_problem(int code, const char *bad, const char *usage, char *buf, size_t size) {
  switch (code) {
    case HELPER_ARGS_UNKNOWN:
      snprintf(buf, size, "unknown argument %s; usage: %s", bad, usage);
      break;
    case HELPER_ARGS_BAD_FD:
      snprintf(buf, size, "--spec-fd %s is not a descriptor number of 3 or more", bad);
      break;
    case HELPER_ARGS_NO_SPEC_FD:
      snprintf(buf, size, "--spec-fd is required; usage: %s", usage);
      break;
    default:
      snprintf(buf, size, "no command after --");
      break;
  }
  return buf;
}

void helper_close_range(int first, int last) {
  if (last < first) return;
#ifdef SYS_close_range
  if (syscall(SYS_close_range, (unsigned)first, (unsigned)last, 0) == 0) return;
#endif
  for (long fd = first; fd <= last; fd++) close((int)fd);
}

void helper_close_from(int first) {
#ifdef SYS_close_range
  if (syscall(SYS_close_range, (unsigned)first, ~0U, 0) == 0) return;
#endif
  struct rlimit rl;
  long max = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY ? (long)rl.rlim_cur : 65536;
  for (long fd = first; fd < max; fd++) close((int)fd);
}

void helper_fail(const char *prefix, const char *suffix, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs(prefix, stderr);
  vfprintf(stderr, fmt, ap);
  fputs(suffix, stderr);
  va_end(ap);
  exit(1);
}

void helper_args_or_fail(int argc, char **argv, const char *prefix, const char *suffix, const char *usage, int *spec_fd, char ***command) {
  const char *bad = NULL;
  int parsed = helper_parse_args(argc, argv, spec_fd, command, &bad);
  if (parsed != 0) {
    char problem[512];
    helper_fail(prefix, suffix, "%s", helper_args_problem(parsed, bad, usage, problem, sizeof problem));
  }
}
