/*
 * codex-mask-helper: the first program bubblewrap runs when a run has many deny masks (G11).
 *
 *   codex-mask-helper --spec-fd N -- COMMAND [ARG...]
 *
 * bubblewrap re-reads /proc/self/mountinfo after every bind it makes, so 400 masks cost it ~300 ms;
 * the same masks made here cost a few. bwrap starts this helper with CAP_SYS_ADMIN and CAP_SETPCAP
 * (and nothing else) in the sandbox's innermost user namespace, after making two template masks in
 * its private /dev. The helper reads a MaskHelperSpec (packages/policy/proto/mask_helper.proto)
 * from descriptor N and, in this order:
 *
 *  1. unshares a mount namespace of its own (bwrap's belongs to the outer user namespace, where
 *     this helper has no capability; every mount copied from it is locked, read-only flags too);
 *  2. opens the two templates without following symlinks and checks that each really is a mask:
 *     an empty mode-000 file / a mode-000 directory with nothing in it, alone on a read-only,
 *     nosuid, nodev tmpfs mount;
 *  3. for every path of the spec: opens it with openat2(RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS)
 *     (a path that became a symlink, changed kind or vanished since the plan refuses the run),
 *     clones the template (open_tree OPEN_TREE_CLONE), sets read-only, nosuid, nodev on the clone
 *     (mount_setattr) and attaches it onto exactly that opened path (move_mount with empty paths);
 *  4. hides /proc/PID of every other process in the pid namespace (bwrap's init), which still
 *     lives in bwrap's mount namespace: through /proc/1/root the command would see that
 *     namespace, where the masks are not;
 *  5. drops every capability (bounding and ambient sets included, securebits locked) and checks
 *     none is left, sets no_new_privs, closes every descriptor above 2 but those the spec keeps
 *     (the next stage's), and execvp's the command with the environment it was started with.
 *
 * Owns only this mechanism: which paths are masked, and how, is the front end's decision. It must
 * never exec the command unless every step above succeeded (it prints "codex sandbox: masks: ..."
 * and exits 1 instead: never a partly masked run), never follow a symlink to a mask target, and
 * never mount anything but a verified template.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/mount.h>
#include <linux/openat2.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "packages/linux-bwrap/native/common/helper_caps.h"
#include "packages/linux-bwrap/native/common/helper_io.h"
#include "packages/linux-bwrap/native/mask-helper/mask_helper.pb-c.h"

#define PREFIX "codex sandbox: masks: "
#define MAX_SPEC_BYTES (1 << 24)
#define MAX_MASKS 65536
#define MAX_KEEP_FDS 16

#ifndef SYS_open_tree
#define SYS_open_tree 428
#endif
#ifndef SYS_move_mount
#define SYS_move_mount 429
#endif
#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif
#ifndef SYS_openat2
#define SYS_openat2 437
#endif

#define fail(...) helper_fail(PREFIX, "; refusing to run\n", __VA_ARGS__)

static const char *syscall_problem(int err) {
  return err == ENOSYS ? "this kernel lacks the call (needs Linux 5.12 or later)" : strerror(err);
}

/* Opens `path` as O_PATH without following any symlink, on any component: a symlink anywhere,
 * the last component included, fails with ELOOP (with O_NOFOLLOW, openat2 would return the link
 * itself, and a mount can be attached onto a link). */
static int open_exact(const char *path, const char *what) {
  if (path == NULL || path[0] != '/') fail("%s %s is not an absolute path", what, path == NULL ? "(none)" : path);
  struct open_how how = { .flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS };
  long fd = syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof how);
  if (fd >= 0) return (int)fd;
  if (errno == ELOOP) fail("%s %s is a symlink now, or has one on its way (it had none when the run was planned)", what, path);
  if (errno == ENOENT) fail("%s %s is gone (it existed when the run was planned)", what, path);
  fail("cannot open %s %s: %s", what, path, syscall_problem(errno));
}

/* Step 2: the template at `path` is a mask, an empty mode-000 file or directory on a read-only,
 * nosuid, nodev tmpfs that holds nothing else: the directory is that tmpfs's root, the file the
 * only file in it (the kernel refuses to bind an unlinked file, such as bwrap's own masks). Returns
 * its O_PATH descriptor, which pins that very file and mount: every clone is made from it. */
static int open_template(const char *path, int want_dir) {
  int fd = open_exact(path, want_dir ? "the directory template" : "the file template");
  struct statx stx;
  struct statfs fs;
  struct statvfs vfs;
  if (statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &stx) < 0 || fstatfs(fd, &fs) < 0 || fstatvfs(fd, &vfs) < 0) {
    fail("cannot inspect the template %s: %s", path, strerror(errno));
  }
  if ((stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) == 0) fail("this kernel cannot say whether %s is a mount (needs Linux 5.8 or later)", path);
  int mount_root = (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT) != 0;
  /* Inodes in use on that tmpfs: its root, and for the file template the file. */
  fsfilcnt_t used = fs.f_files - fs.f_ffree;
  int kind_ok = want_dir ? S_ISDIR(stx.stx_mode) && mount_root && used == 1 : S_ISREG(stx.stx_mode) && !mount_root && stx.stx_size == 0 && used == 2;
  if (fs.f_type != TMPFS_MAGIC) fail("the template %s is not on a tmpfs", path);
  if (!kind_ok || (stx.stx_mode & 07777) != 0) {
    fail("the template %s is not an empty mode-000 %s alone on its tmpfs", path, want_dir ? "directory" : "file");
  }
  unsigned long need = ST_RDONLY | ST_NOSUID | ST_NODEV;
  if ((vfs.f_flag & need) != need) fail("the template %s is not on a read-only, nosuid, nodev mount", path);
  return fd;
}

/* Step 3 for one path. */
static void mask(int template, const char *path, int want_dir) {
  int target = open_exact(path, want_dir ? "the denied directory" : "the denied file");
  struct stat st;
  if (fstat(target, &st) < 0) fail("cannot inspect %s: %s", path, strerror(errno));
  if (S_ISLNK(st.st_mode)) fail("%s is a symlink now (it had none when the run was planned)", path);
  if (want_dir != (S_ISDIR(st.st_mode) != 0)) fail("%s is %s now (it was %s when the run was planned)", path, want_dir ? "not a directory" : "a directory", want_dir ? "one" : "not");
  long tree = syscall(SYS_open_tree, template, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
  if (tree < 0) fail("cannot clone the mask for %s: %s", path, syscall_problem(errno));
  struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV };
  if (syscall(SYS_mount_setattr, (int)tree, "", AT_EMPTY_PATH, &attr, sizeof attr) < 0) {
    fail("cannot make the mask for %s read-only: %s", path, syscall_problem(errno));
  }
  if (syscall(SYS_move_mount, (int)tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0) {
    fail("cannot mask %s: %s", path, syscall_problem(errno));
  }
  close((int)tree);
  close(target);
}

/*
 * Step 4: every process in /proc but this one is outside our mount namespace (the command's
 * descendants are born inside it), so its /proc/PID (root, cwd, fd, task/...) is hidden.
 */
static void hide_other_processes(int dir_template) {
  struct statfs fs;
  if (statfs("/proc", &fs) < 0 || fs.f_type != PROC_SUPER_MAGIC) return; /* an empty tmpfs: nothing to reach */
  DIR *proc = opendir("/proc");
  if (proc == NULL) fail("cannot list /proc: %s", strerror(errno));
  pid_t self = getpid();
  struct dirent *entry;
  char path[64];
  while ((errno = 0, entry = readdir(proc)) != NULL) {
    char *end;
    long pid = strtol(entry->d_name, &end, 10);
    if (*end != '\0' || pid <= 0 || pid == self) continue;
    snprintf(path, sizeof path, "/proc/%ld", pid);
    mask(dir_template, path, 1);
  }
  if (errno != 0) fail("cannot list /proc: %s", strerror(errno));
  closedir(proc);
}

static int compare_fds(const void *a, const void *b) {
  return (int)*(const uint32_t *)a - (int)*(const uint32_t *)b;
}

/* Closes every descriptor above 2 except `keep` (sorted, distinct, each > 2). */
static void close_all_but(const uint32_t *keep, size_t n) {
  int next = 3;
  for (size_t i = 0; i < n; i++) {
    if ((int)keep[i] > next) helper_close_range(next, (int)keep[i] - 1);
    next = (int)keep[i] + 1;
  }
  helper_close_from(next);
}

int main(int argc, char **argv) {
  int spec_fd;
  char **command;
  helper_args_or_fail(argc, argv, PREFIX, "; refusing to run\n", "codex-mask-helper --spec-fd N -- COMMAND [ARG...]", &spec_fd, &command);
  uint8_t *raw;
  size_t raw_len;
  if (helper_read_all(spec_fd, MAX_SPEC_BYTES, &raw, &raw_len) < 0) {
    if (errno == EFBIG) fail("the spec on descriptor %d is larger than %d bytes", spec_fd, MAX_SPEC_BYTES);
    fail("cannot read the spec on descriptor %d: %s", spec_fd, strerror(errno));
  }
  close(spec_fd);
  Codex__Sandbox__V1__MaskHelperSpec *spec = codex__sandbox__v1__mask_helper_spec__unpack(NULL, raw_len, raw);
  if (spec == NULL) fail("the spec on descriptor %d is not a valid MaskHelperSpec message", spec_fd);
  if (spec->n_file_masks + spec->n_dir_masks > MAX_MASKS) fail("the spec has %zu masks (at most %d)", spec->n_file_masks + spec->n_dir_masks, MAX_MASKS);
  if (spec->n_keep_fds > MAX_KEEP_FDS) fail("the spec keeps %zu descriptors (at most %d)", spec->n_keep_fds, MAX_KEEP_FDS);
  qsort(spec->keep_fds, spec->n_keep_fds, sizeof spec->keep_fds[0], compare_fds);
  for (size_t i = 0; i < spec->n_keep_fds; i++) {
    if (spec->keep_fds[i] < 3 || spec->keep_fds[i] > 65535 || (i > 0 && spec->keep_fds[i] == spec->keep_fds[i - 1])) fail("kept descriptor %u is not 3-65535 or is given twice", spec->keep_fds[i]);
    if ((int)spec->keep_fds[i] == spec_fd) fail("the spec's own descriptor %d cannot be kept", spec_fd);
  }

  if (unshare(CLONE_NEWNS) < 0) fail("cannot create a mount namespace for the masks: %s", strerror(errno));
  int dir_template = open_template(spec->dir_template, 1);
  int file_template = -1;
  if (spec->n_file_masks > 0) file_template = open_template(spec->file_template, 0);
  for (size_t i = 0; i < spec->n_file_masks; i++) mask(file_template, spec->file_masks[i], 0);
  for (size_t i = 0; i < spec->n_dir_masks; i++) mask(dir_template, spec->dir_masks[i], 1);
  hide_other_processes(dir_template);
  if (file_template >= 0) close(file_template);
  close(dir_template);

  const char *what = NULL;
  if (helper_drop_capabilities(1, &what) < 0) fail("%s%s%s", what, errno == 0 ? "" : ": ", errno == 0 ? "" : strerror(errno));
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) fail("prctl(PR_SET_NO_NEW_PRIVS): %s", strerror(errno));
  close_all_but(spec->keep_fds, spec->n_keep_fds);
  execvp(command[0], command);
  int err = errno;
  fprintf(stderr, "codex sandbox: %s: %s\n", command[0], strerror(err));
  _exit(err == ENOENT ? 127 : 126);
}
