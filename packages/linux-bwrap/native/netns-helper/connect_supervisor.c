/*
 * The connect(2) supervisor of codex-netns-helper: see connect_supervisor.h for what it owns and
 * must not do. One thread receives the notifications; a connect on a non-blocking socket is done
 * at once, one on a blocking socket in a short-lived thread of its own (a server with a full
 * backlog must not stall every other connect of the command).
 *
 * Each notification: open a pidfd for the pid, check the notification is still live (so the pid
 * is the caller, not a reused number), copy the address out of the caller's memory, check again,
 * take a duplicate of the caller's socket, decide on the socket's real domain and our copy of the
 * address, connect the duplicate (same open file: the caller's socket becomes connected), and
 * reply with the result. An allowed Unix socket is connected at the place the helper has it bound,
 * never at the path the caller gave. If this thread cannot go on, it closes the listener: every
 * later connect of the command then fails with ENOSYS (the kernel's answer without a listener).
 */
#define _GNU_SOURCE
#include "packages/linux-bwrap/native/netns-helper/connect_supervisor.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#define PREFIX "codex sandbox: network bridge: "
/* Connects on blocking sockets in flight at once; beyond that a connect gets EAGAIN. */
#define MAX_BLOCKING_CONNECTS 128

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

static int listener_fd = -1;
static const struct allowed_socket *allowed_sockets;
static size_t allowed_count;
static struct seccomp_notif_sizes sizes;
static atomic_int blocking_in_flight;

enum connect_verdict supervisor_decide(int domain, const struct sockaddr_storage *addr, socklen_t len,
                                       const struct allowed_socket *allowed, size_t count, size_t *which) {
  if (domain == AF_INET || domain == AF_INET6) return CONNECT_AS_GIVEN; /* the namespace has only lo */
  if (domain != AF_UNIX) return CONNECT_REFUSED;
  const size_t path_offset = offsetof(struct sockaddr_un, sun_path);
  /* Not a Unix address, or no path at all: the kernel refuses it (EINVAL / EAFNOSUPPORT). */
  if (len <= path_offset || addr->ss_family != AF_UNIX) return CONNECT_AS_GIVEN;
  const char *path = ((const struct sockaddr_un *)addr)->sun_path;
  size_t room = (size_t)len - path_offset;
  /* Abstract: the sandbox's own network namespace has its own abstract names. */
  if (path[0] == '\0') return CONNECT_AS_GIVEN;
  size_t plen = strnlen(path, room);
  for (size_t i = 0; i < count; i++) {
    for (size_t n = 0; n < allowed[i].name_count; n++) {
      const char *name = allowed[i].names[n];
      if (strlen(name) == plen && memcmp(name, path, plen) == 0) {
        *which = i;
        return CONNECT_ALLOWED;
      }
    }
  }
  return CONNECT_REFUSED;
}

int supervisor_install_and_send(const struct sock_fprog *program, int channel) {
  int listener = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, program);
  if (listener < 0) return -1;
  char byte = 'L';
  struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
  union {
    struct cmsghdr header;
    char space[CMSG_SPACE(sizeof(int))];
  } control;
  memset(&control, 0, sizeof control);
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.space, .msg_controllen = sizeof control.space };
  struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
  cmsg->cmsg_level = SOL_SOCKET;
  cmsg->cmsg_type = SCM_RIGHTS;
  cmsg->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(cmsg), &listener, sizeof(int));
  ssize_t sent;
  do sent = sendmsg(channel, &msg, MSG_NOSIGNAL);
  while (sent < 0 && errno == EINTR);
  int saved = errno;
  close(listener);
  if (sent != 1) {
    errno = sent < 0 ? saved : EPIPE;
    return -1;
  }
  /* Wait until the helper has the listener and can supervise; EOF: it could not. */
  ssize_t got;
  do got = recv(channel, &byte, 1, 0);
  while (got < 0 && errno == EINTR);
  saved = errno;
  close(channel);
  if (got != 1 || byte != 'G') {
    errno = got < 0 ? saved : ECANCELED;
    return -1;
  }
  return 0;
}

static void reply(uint64_t id, int error) {
  struct seccomp_notif_resp *resp = calloc(1, sizes.seccomp_notif_resp);
  if (resp == NULL) return; /* the caller stays blocked until it is killed: never let it through */
  resp->id = id;
  resp->error = error == 0 ? 0 : -error;
  resp->val = 0;
  resp->flags = 0;
  /* ENOENT: the caller is gone or was interrupted; nothing to do. */
  ioctl(listener_fd, SECCOMP_IOCTL_NOTIF_SEND, resp);
  free(resp);
}

struct pending {
  uint64_t id;
  int fd;
  struct sockaddr_storage addr;
  socklen_t len;
};

/* Once: a connect interrupted here goes on in the kernel, as the caller's own would. */
static int connect_now(const struct pending *p) {
  return connect(p->fd, (const struct sockaddr *)&p->addr, p->len) < 0 ? errno : 0;
}

static void *blocking_connect(void *arg) {
  struct pending *p = arg;
  int err = connect_now(p);
  reply(p->id, err);
  close(p->fd);
  free(p);
  atomic_fetch_sub(&blocking_in_flight, 1);
  return NULL;
}

static int id_valid(uint64_t id) {
  return ioctl(listener_fd, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0;
}

/* The caller's address, copied while the notification is live; an errno on failure. */
static int copy_address(pid_t pid, uint64_t id, uint64_t where, uint64_t len, struct sockaddr_storage *out, socklen_t *out_len) {
  if (len > sizeof *out) return EINVAL; /* the kernel's own limit for connect */
  if (len == 0) return EINVAL;
  memset(out, 0, sizeof *out);
  struct iovec local = { .iov_base = out, .iov_len = (size_t)len };
  struct iovec remote = { .iov_base = (void *)(uintptr_t)where, .iov_len = (size_t)len };
  ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
  if (n != (ssize_t)len) return EFAULT;
  /* Still the same caller: the memory read was its own. */
  if (!id_valid(id)) return ESRCH;
  *out_len = (socklen_t)len;
  return 0;
}

static void handle(const struct seccomp_notif *req) {
  if (req->data.nr != SYS_connect) {
    reply(req->id, ENOSYS);
    return;
  }
  int pidfd = (int)syscall(SYS_pidfd_open, req->pid, 0);
  if (pidfd < 0) {
    reply(req->id, EPERM);
    return;
  }
  if (!id_valid(req->id)) {
    close(pidfd);
    return;
  }
  struct pending p = { .id = req->id, .fd = -1 };
  int err = copy_address(req->pid, req->id, req->data.args[1], req->data.args[2], &p.addr, &p.len);
  if (err == ESRCH) {
    close(pidfd);
    return;
  }
  if (err == 0) {
    p.fd = (int)syscall(SYS_pidfd_getfd, pidfd, (int)req->data.args[0], 0);
    if (p.fd < 0) err = errno == EBADF ? EBADF : EPERM;
  }
  close(pidfd);
  if (err == 0) {
    int domain = 0;
    socklen_t dlen = sizeof domain;
    if (getsockopt(p.fd, SOL_SOCKET, SO_DOMAIN, &domain, &dlen) < 0) err = errno == ENOTSOCK ? ENOTSOCK : EBADF;
    size_t which = 0;
    if (err == 0) {
      switch (supervisor_decide(domain, &p.addr, p.len, allowed_sockets, allowed_count, &which)) {
        case CONNECT_AS_GIVEN:
          break;
        case CONNECT_ALLOWED:
          memset(&p.addr, 0, sizeof p.addr);
          memcpy(&p.addr, &allowed_sockets[which].addr, allowed_sockets[which].addr_len);
          p.len = allowed_sockets[which].addr_len;
          break;
        case CONNECT_REFUSED:
          err = EACCES;
          break;
      }
    }
  }
  if (err != 0) {
    if (p.fd >= 0) close(p.fd);
    reply(p.id, err);
    return;
  }
  if (fcntl(p.fd, F_GETFL) & O_NONBLOCK) {
    /* Returns at once (EINPROGRESS for a connection under way, as the caller expects). */
    reply(p.id, connect_now(&p));
    close(p.fd);
    return;
  }
  struct pending *heap = NULL;
  if (atomic_fetch_add(&blocking_in_flight, 1) >= MAX_BLOCKING_CONNECTS || (heap = malloc(sizeof *heap)) == NULL) {
    atomic_fetch_sub(&blocking_in_flight, 1);
    close(p.fd);
    reply(p.id, EAGAIN);
    return;
  }
  *heap = p;
  pthread_attr_t attr;
  pthread_t thread;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_attr_setstacksize(&attr, 64 * 1024);
  int rc = pthread_create(&thread, &attr, blocking_connect, heap);
  pthread_attr_destroy(&attr);
  if (rc != 0) {
    atomic_fetch_sub(&blocking_in_flight, 1);
    close(heap->fd);
    free(heap);
    reply(p.id, EAGAIN);
  }
}

static void *receive_loop(void *unused) {
  (void)unused;
  struct seccomp_notif *req = malloc(sizes.seccomp_notif);
  if (req == NULL) {
    fprintf(stderr, PREFIX "out of memory; the command's connects now fail\n");
    close(listener_fd);
    return NULL;
  }
  for (;;) {
    struct pollfd pfd = { .fd = listener_fd, .events = POLLIN };
    int ready = poll(&pfd, 1, -1);
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0 || (pfd.revents & (POLLHUP | POLLERR | POLLNVAL)) != 0) break; /* no process uses the filter any more */
    memset(req, 0, sizes.seccomp_notif);
    if (ioctl(listener_fd, SECCOMP_IOCTL_NOTIF_RECV, req) < 0) {
      if (errno == EINTR || errno == ENOENT) continue; /* interrupted, or the caller already gone */
      fprintf(stderr, PREFIX "cannot receive connect notifications: %s; the command's connects now fail\n", strerror(errno));
      break;
    }
    handle(req);
  }
  free(req);
  /* Fail closed: without a listener every later connect of the command gets ENOSYS. */
  close(listener_fd);
  return NULL;
}

static int receive_listener(int channel) {
  char byte;
  struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
  union {
    struct cmsghdr header;
    char space[CMSG_SPACE(sizeof(int))];
  } control;
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.space, .msg_controllen = sizeof control.space };
  ssize_t n;
  do n = recvmsg(channel, &msg, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  if (n <= 0) return -1;
  struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
  if (cmsg == NULL || cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS || cmsg->cmsg_len != CMSG_LEN(sizeof(int))) return -1;
  int fd;
  memcpy(&fd, CMSG_DATA(cmsg), sizeof fd);
  return fd;
}

int supervisor_start(int channel, pid_t command, const struct allowed_socket *allowed, size_t count, char *why, size_t why_size) {
  allowed_sockets = allowed;
  allowed_count = count;
  if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) < 0) {
    snprintf(why, why_size, "the kernel has no seccomp user notification (%s); Unix-socket rules need Linux 5.0 or later", strerror(errno));
    return -1;
  }
  listener_fd = receive_listener(channel);
  if (listener_fd < 0) return 1; /* the command stopped before: its message says why */
  /* Can we take the command's descriptors? Checked on the channel it still holds, before it runs. */
  int pidfd = (int)syscall(SYS_pidfd_open, command, 0);
  int probe = pidfd < 0 ? -1 : (int)syscall(SYS_pidfd_getfd, pidfd, 3, 0);
  int saved = errno;
  if (pidfd >= 0) close(pidfd);
  if (probe < 0) {
    snprintf(why, why_size, "cannot take the command's sockets to supervise its connects (pidfd_getfd: %s; Linux 5.6 or later and ptrace access are needed)", strerror(saved));
    return -1;
  }
  close(probe);
  pthread_t thread;
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  int rc = pthread_create(&thread, &attr, receive_loop, NULL);
  pthread_attr_destroy(&attr);
  if (rc != 0) {
    snprintf(why, why_size, "cannot start the connect supervisor: %s", strerror(rc));
    return -1;
  }
  char go = 'G';
  if (send(channel, &go, 1, MSG_NOSIGNAL) != 1) return 1; /* the command is gone */
  return 0;
}
