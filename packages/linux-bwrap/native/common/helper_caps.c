/* See helper_caps.h. */
#define _GNU_SOURCE
#include "packages/linux-bwrap/native/common/helper_caps.h"

#include <errno.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The highest capability number the kernel knows is the last one PR_CAPBSET_READ accepts. */
#define MAX_CAP_PROBED 63

static int sets_not_empty(int *out) {
  struct __user_cap_header_struct header = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
  struct __user_cap_data_struct data[2];
  memset(data, 0, sizeof data);
  if (syscall(SYS_capget, &header, data) < 0) return -1;
  *out = (data[0].effective | data[0].permitted | data[1].effective | data[1].permitted | data[0].inheritable | data[1].inheritable) != 0;
  return 0;
}

static int fail_with(const char **what, const char *step, int err) {
  *what = step;
  errno = err;
  return -1;
}

int helper_drop_capabilities(int require_empty_bounding, const char **what) {
  int left;
  if (sets_not_empty(&left) < 0) return fail_with(what, "capget", errno);
  if (left) {
    for (int cap = 0; cap <= MAX_CAP_PROBED; cap++) {
      if (prctl(PR_CAPBSET_READ, cap, 0, 0, 0) < 0) break; /* past the last capability */
      if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EPERM) return fail_with(what, "cannot drop a capability from the bounding set", errno);
    }
    unsigned long bits = SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP | SECBIT_NO_SETUID_FIXUP_LOCKED |
                         SECBIT_KEEP_CAPS_LOCKED | SECBIT_NO_CAP_AMBIENT_RAISE | SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED;
    if (prctl(PR_SET_SECUREBITS, bits, 0, 0, 0) < 0) return fail_with(what, "cannot set the securebits that keep uid 0 from regaining capabilities", errno);
  }
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL) return fail_with(what, "cannot clear the ambient capabilities", errno);
  struct __user_cap_header_struct header = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
  struct __user_cap_data_struct data[2];
  memset(data, 0, sizeof data);
  if (syscall(SYS_capset, &header, data) < 0) return fail_with(what, "cannot drop capabilities", errno);
  if (sets_not_empty(&left) < 0) return fail_with(what, "capget", errno);
  if (left) return fail_with(what, "the command would keep capabilities", 0);
  if (require_empty_bounding) {
    for (int cap = 0; cap <= MAX_CAP_PROBED; cap++) {
      int in_bounding = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);
      if (in_bounding < 0) break;
      if (in_bounding > 0) return fail_with(what, "the bounding set still holds a capability", 0);
      int ambient = prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, cap, 0, 0);
      if (ambient > 0) return fail_with(what, "the ambient set still holds a capability", 0);
    }
  }
  return 0;
}
