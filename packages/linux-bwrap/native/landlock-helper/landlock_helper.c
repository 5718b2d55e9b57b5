/*
 * codex-landlock-helper: the legacy Landlock backend's only stage. It confines itself and then
 * becomes the command (same process), for hosts where bubblewrap cannot create namespaces.
 *
 *   codex-landlock-helper --abi                     print the kernel's Landlock ABI (0: none)
 *   codex-landlock-helper --spec-fd N -- COMMAND [ARG...]
 *
 * With --spec-fd it reads a LandlockHelperSpec (packages/policy/proto/landlock_helper.proto) from
 * descriptor N and, in this order: checks the kernel offers the spec's ABI; dies with its parent
 * (PR_SET_PDEATHSIG, and exits if the parent is already gone); drops every capability (bounding
 * set, ambient set, securebits so that uid 0 gains none on execve, then the sets themselves) and
 * checks none is left; sets no_new_privs; builds the Landlock ruleset from the spec, opening each
 * rule's path without following symlinks; restricts itself; installs the spec's seccomp program;
 * closes every descriptor above 2; execvp's the command with the environment it was started with.
 *
 * Owns only this mechanism: every decision (which rights, which paths, which seccomp program) is
 * the front end's. It must never exec the command unless every step above succeeded (it prints
 * "codex sandbox: landlock: ..." and exits 1 instead), never widen a mask, and never follow a
 * symlink when opening a rule's path.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/filter.h>
#include <linux/landlock.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "packages/linux-bwrap/native/common/helper_caps.h"
#include "packages/linux-bwrap/native/common/helper_io.h"
#include "packages/linux-bwrap/native/landlock-helper/landlock_helper.pb-c.h"

#define PREFIX "codex sandbox: landlock: "
#define MAX_SPEC_BYTES (1 << 22)
#define MAX_BPF_INSNS 4096

#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#define SYS_landlock_add_rule 445
#define SYS_landlock_restrict_self 446
#endif
#ifndef LANDLOCK_CREATE_RULESET_VERSION
#define LANDLOCK_CREATE_RULESET_VERSION (1U << 0)
#endif

/* The fields of struct landlock_ruleset_attr up to ABI 6, declared here so that the helper builds
 * against older kernel headers too; the kernel accepts a struct larger than it knows when the
 * extra fields are zero. */
struct ruleset_attr {
  uint64_t handled_access_fs;
  uint64_t handled_access_net;
  uint64_t scoped;
};

struct path_beneath_attr {
  uint64_t allowed_access;
  int32_t parent_fd;
} __attribute__((packed));

/* Rights a rule on a non-directory may carry (the kernel refuses others with EINVAL). */
#define FILE_RIGHTS ((1ULL << 0) | (1ULL << 1) | (1ULL << 2) | (1ULL << 14) | (1ULL << 15))

#define fail(...) helper_fail(PREFIX, "\n", __VA_ARGS__)

static long kernel_abi(void) {
  long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
  return abi < 0 ? -errno : abi;
}

static void read_spec(int fd, uint8_t **out, size_t *out_len) {
  if (helper_read_all(fd, MAX_SPEC_BYTES, out, out_len) < 0) {
    if (errno == EFBIG) fail("the spec on descriptor %d is larger than %d bytes", fd, MAX_SPEC_BYTES);
    fail("cannot read the spec on descriptor %d: %s", fd, strerror(errno));
  }
}

/* uid 0 keeps its uid but not its powers: an empty bounding set where it can be emptied, no
 * ambient capabilities, no capabilities gained on execve (SECBIT_NOROOT), and empty sets now. */
static void drop_capabilities(void) {
  const char *what = NULL;
  if (helper_drop_capabilities(0, &what) < 0) {
    if (errno == 0) fail("%s; refusing to run it", what);
    fail("%s: %s", what, strerror(errno));
  }
}

static int open_rule_path(const char *path) {
  struct open_how how = { .flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS };
  long fd = syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof how);
  if (fd >= 0) return (int)fd;
  if (errno == ENOENT) return -1; /* nothing there to grant anything on */
  if (errno == ELOOP) fail("%s has a symlink in it now (it had none when the run was planned); refusing to run", path);
  if (errno == ENOSYS) fail("this kernel has no openat2, needed to open %s without following symlinks", path);
  fail("cannot open %s: %s", path, strerror(errno));
}

static void apply_landlock(const Codex__Sandbox__V1__LandlockHelperSpec *spec) {
  struct ruleset_attr attr = { .handled_access_fs = spec->handled_access_fs, .handled_access_net = spec->handled_access_net, .scoped = spec->scoped };
  long ruleset = syscall(SYS_landlock_create_ruleset, &attr, sizeof attr, 0);
  if (ruleset < 0) fail("cannot create the Landlock ruleset (ABI %u masks): %s", spec->abi, strerror(errno));
  for (size_t i = 0; i < spec->n_path_rules; i++) {
    const Codex__Sandbox__V1__LandlockPathRule *rule = spec->path_rules[i];
    if (rule->path == NULL || rule->path[0] != '/') fail("rule %zu: the path is not absolute", i);
    if (rule->allowed_access == 0 || (rule->allowed_access & ~spec->handled_access_fs) != 0) fail("rule %zu (%s) grants rights the ruleset does not handle", i, rule->path);
    int fd = open_rule_path(rule->path);
    if (fd < 0) continue;
    struct stat st;
    if (fstat(fd, &st) < 0) fail("cannot stat %s: %s", rule->path, strerror(errno));
    struct path_beneath_attr beneath = { .allowed_access = rule->allowed_access, .parent_fd = fd };
    /* A file takes only file rights: the directory-only ones in a write grant mean nothing there. */
    if (!S_ISDIR(st.st_mode)) beneath.allowed_access &= FILE_RIGHTS;
    if (beneath.allowed_access != 0 && syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &beneath, 0) < 0) {
      fail("cannot add the Landlock rule for %s: %s", rule->path, strerror(errno));
    }
    close(fd);
  }
  if (syscall(SYS_landlock_restrict_self, ruleset, 0) < 0) fail("cannot enforce the Landlock ruleset: %s", strerror(errno));
  close((int)ruleset);
}

int main(int argc, char **argv) {
  if (argc == 2 && strcmp(argv[1], "--abi") == 0) {
    long abi = kernel_abi();
    printf("%ld\n", abi < 0 ? 0 : abi);
    if (abi < 0) fprintf(stderr, "%s\n", strerror((int)-abi));
    return 0;
  }
  int spec_fd;
  char **command;
  helper_args_or_fail(argc, argv, PREFIX, "\n", "codex-landlock-helper --abi | --spec-fd N -- COMMAND [ARG...]", &spec_fd, &command);

  uint8_t *raw;
  size_t raw_len;
  read_spec(spec_fd, &raw, &raw_len);
  Codex__Sandbox__V1__LandlockHelperSpec *spec = codex__sandbox__v1__landlock_helper_spec__unpack(NULL, raw_len, raw);
  if (spec == NULL) fail("the spec on descriptor %d is not a valid LandlockHelperSpec message", spec_fd);
  const ProtobufCBinaryData *program = &spec->seccomp_program;
  if (program->len == 0 || program->len % sizeof(struct sock_filter) != 0 || program->len / sizeof(struct sock_filter) > MAX_BPF_INSNS) {
    fail("the spec's seccomp program has %zu bytes (required: 1-%d instructions of %zu bytes)", program->len, MAX_BPF_INSNS, sizeof(struct sock_filter));
  }
  if (spec->abi < 1) fail("the spec names no Landlock ABI");
  if (spec->handled_access_fs == 0) fail("the spec's ruleset handles no file access");

  long abi = kernel_abi();
  if (abi < 0) fail("this kernel offers no Landlock (%s); refusing to run", strerror((int)-abi));
  if (abi < (long)spec->abi) fail("this kernel offers Landlock ABI %ld, the run was planned for ABI %u; refusing to run", abi, spec->abi);

  if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0) fail("prctl(PR_SET_PDEATHSIG): %s", strerror(errno));
  if (spec->parent_pid == 0 || getppid() != (pid_t)spec->parent_pid) exit(1); /* the front end is gone */

  drop_capabilities();
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) fail("prctl(PR_SET_NO_NEW_PRIVS): %s", strerror(errno));
  apply_landlock(spec);
  struct sock_fprog prog = { .len = (unsigned short)(program->len / sizeof(struct sock_filter)), .filter = (struct sock_filter *)program->data };
  if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0) fail("cannot install the seccomp program: %s", strerror(errno));
  helper_close_from(3);
  execvp(command[0], command);
  int err = errno;
  fprintf(stderr, "codex sandbox: %s: %s\n", command[0], strerror(err));
  _exit(err == ENOENT ? 127 : 126);
}
