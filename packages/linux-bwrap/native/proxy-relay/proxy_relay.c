/*
 * codex-proxy-relay: the managed proxy's tunnel data path, host side.
 *
 *   codex-proxy-relay --channel-fd N --parent-pid P
 *
 * Started by the managed proxy (packages/proxy-bridge/src/tunnel-relay.ts) with a Node IPC channel
 * on descriptor N (child_process `ipc`, JSON serialization). After the proxy has decided a CONNECT
 * or SOCKS5 request, connected to the checked address and answered the client, it sends both
 * connected sockets over the channel (Node's handle passing: SCM_RIGHTS with a NODE_HANDLE
 * message, acknowledged with NODE_HANDLE_ACK), each with `{"tunnel":ID,"side":0|1}`; the relay
 * joins the two with splice_relay and answers `{"started":ID}`, and `{"ended":ID,...}` when the
 * tunnel is over.
 *
 * Fail closed (N19): when the proxy goes away (the channel ends, or its process dies:
 * PR_SET_PDEATHSIG) the relay exits at once and every tunnel it holds is cut. Owns only this mechanism: it must never
 * connect, resolve or decide anything (the proxy does, before any byte is relayed), never read the
 * bytes it relays, and never keep a descriptor other than its channel and its tunnels.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "packages/linux-bwrap/native/common/helper_io.h"
#include "packages/linux-bwrap/native/common/splice_relay.h"

#define PREFIX "codex sandbox: proxy relay: "
#define USAGE "codex-proxy-relay --channel-fd N --parent-pid P"
#define CHANNEL_FD 3
#define MAX_TUNNELS 4096
#define MAX_LINE (64 * 1024)
#define MAX_QUEUED_FDS 16
/* A tunnel whose first side arrived waits here for its second (Node sends them back to back). */
#define MAX_HALF 64

#define fail(...) helper_fail(PREFIX, "\n", __VA_ARGS__)

static char inbuf[MAX_LINE];
static size_t inlen;
static int fdq[MAX_QUEUED_FDS];
static size_t fdq_len;
static struct {
  uint64_t id;
  int fd[2];
} half[MAX_HALF];
static size_t half_count;

/* Writes a whole line to the channel (blocking: lines are short and the proxy reads them). */
static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...) {
  char line[256];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  if (n < 0 || (size_t)n >= sizeof line) fail("internal: message too long");
  size_t off = 0;
  while (off < (size_t)n) {
    ssize_t w = send(CHANNEL_FD, line + off, (size_t)n - off, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && errno == EAGAIN) {
      /* The channel is non-blocking for reads; wait for room the simple way. */
      usleep(1000);
      continue;
    }
    if (w <= 0) exit(0); /* the proxy is gone: so are its tunnels */
    off += (size_t)w;
  }
}

static void on_end(void *ctx, uint64_t id, int error, uint64_t a_to_b, uint64_t b_to_a) {
  (void)ctx;
  say("{\"ended\":%" PRIu64 ",\"error\":%d,\"sent\":%" PRIu64 ",\"received\":%" PRIu64 "}\n", id, error, a_to_b, b_to_a);
}

/* The unsigned integer after `"key":` in `line`, or -1. */
static long long field(const char *line, const char *key) {
  const char *at = strstr(line, key);
  if (at == NULL) return -1;
  at += strlen(key);
  if (*at < '0' || *at > '9') return -1;
  char *end;
  errno = 0;
  unsigned long long v = strtoull(at, &end, 10);
  if (errno != 0 || v > LLONG_MAX) return -1;
  return (long long)v;
}

static void on_handle(struct splice_relay *relay, const char *line) {
  if (fdq_len == 0) fail("the proxy announced a socket but sent no descriptor");
  int fd = fdq[0];
  memmove(fdq, fdq + 1, --fdq_len * sizeof fdq[0]);
  /* Acknowledge first: Node sends the next socket only after it. */
  say("{\"cmd\":\"NODE_HANDLE_ACK\"}\n");
  long long id = field(line, "\"tunnel\":"), side = field(line, "\"side\":");
  if (id < 0 || (side != 0 && side != 1)) fail("a socket came without a tunnel id and side");
  for (size_t i = 0; i < half_count; i++) {
    if (half[i].id != (uint64_t)id) continue;
    if (half[i].fd[side] >= 0) fail("tunnel %lld: side %lld sent twice", id, side);
    half[i].fd[side] = fd;
    int a = half[i].fd[0], b = half[i].fd[1];
    half[i] = half[--half_count];
    if (splice_relay_add(relay, a, b, (uint64_t)id) < 0) say("{\"failed\":%lld,\"error\":%d}\n", id, errno);
    else say("{\"started\":%lld}\n", id);
    return;
  }
  if (half_count == MAX_HALF) fail("too many tunnels waiting for their second socket");
  half[half_count].id = (uint64_t)id;
  half[half_count].fd[side] = fd;
  half[half_count].fd[1 - side] = -1;
  half_count++;
}

static void on_line(struct splice_relay *relay, char *line) {
  if (strstr(line, "\"cmd\":\"NODE_HANDLE\"") != NULL) on_handle(relay, line);
  /* Anything else (Node's other internal messages) needs no answer from us. */
}

/* Reads what the channel has: bytes, and descriptors (SCM_RIGHTS) in the order they came. */
static void on_channel(struct splice_relay *relay) {
  for (;;) {
    if (inlen == sizeof inbuf) fail("a message from the proxy is longer than %d bytes", MAX_LINE);
    char control[CMSG_SPACE(sizeof(int) * MAX_QUEUED_FDS)];
    struct iovec iov = { .iov_base = inbuf + inlen, .iov_len = sizeof inbuf - inlen };
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control };
    ssize_t n = recvmsg(CHANNEL_FD, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    if (n <= 0) exit(0); /* the proxy closed the channel: every tunnel ends with us */
    if (msg.msg_flags & MSG_CTRUNC) fail("descriptors from the proxy were truncated");
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
      size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      for (size_t i = 0; i < count; i++) {
        int fd;
        memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
        if (fdq_len == MAX_QUEUED_FDS) fail("too many descriptors from the proxy at once");
        fdq[fdq_len++] = fd;
      }
    }
    inlen += (size_t)n;
    char *start = inbuf, *nl;
    while ((nl = memchr(start, '\n', inlen - (size_t)(start - inbuf))) != NULL) {
      *nl = '\0';
      on_line(relay, start);
      start = nl + 1;
    }
    inlen -= (size_t)(start - inbuf);
    memmove(inbuf, start, inlen);
  }
}

int main(int argc, char **argv) {
  long channel = -1, parent = -1;
  for (int i = 1; i < argc; i++) {
    char *end;
    if (strcmp(argv[i], "--channel-fd") == 0 && i + 1 < argc) {
      channel = strtol(argv[++i], &end, 10);
      if (*end != '\0' || channel < 0 || channel > INT_MAX) fail("--channel-fd %s is not a descriptor number", argv[i]);
    } else if (strcmp(argv[i], "--parent-pid") == 0 && i + 1 < argc) {
      parent = strtol(argv[++i], &end, 10);
      if (*end != '\0' || parent < 1 || parent > INT_MAX) fail("--parent-pid %s is not a process id", argv[i]);
    } else {
      fail("unknown argument %s; usage: %s", argv[i], USAGE);
    }
  }
  if (channel < 0 || parent < 0) fail("--channel-fd and --parent-pid are required; usage: %s", USAGE);
  /* Die with the proxy's process, and not at all if it is already gone. */
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0) fail("prctl(PR_SET_PDEATHSIG): %s", strerror(errno));
  if (getppid() != (pid_t)parent) exit(0);
  if (channel != CHANNEL_FD) {
    if (dup2((int)channel, CHANNEL_FD) < 0) fail("dup2: %s", strerror(errno));
  }
  helper_close_from(CHANNEL_FD + 1);
  /* A peer that is gone is an error on that tunnel, not a signal for the relay. */
  signal(SIGPIPE, SIG_IGN);
  splice_relay_raise_nofile();
  struct splice_relay *relay = splice_relay_new(MAX_TUNNELS, on_end, NULL);
  if (relay == NULL || splice_relay_watch(relay, CHANNEL_FD, 0) < 0) fail("cannot start: %s", strerror(errno));
  for (;;) {
    uint32_t ready[1];
    int n = splice_relay_wait(relay, -1, ready, 1);
    if (n < 0) fail("epoll_wait: %s", strerror(errno));
    if (n > 0) on_channel(relay);
  }
}
