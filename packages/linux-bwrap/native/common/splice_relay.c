/* See splice_relay.h. */
#define _GNU_SOURCE
#include "packages/linux-bwrap/native/common/splice_relay.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef SPLICE_RELAY_BIG_PIPE
/* A direction whose pipe filled up (a bulk transfer) gets a pipe this large: fewer, larger
 * splices (a 1 GiB download then moves ~220 KB per splice, what the socket buffers hold). */
#define SPLICE_RELAY_BIG_PIPE (1 << 20)
#endif
#ifndef SPLICE_RELAY_MAX_BIG
/* At most this many big pipes at once, so that many busy pairs stay within the per-user pipe
 * budget (fs.pipe-user-pages-soft, 64 MiB by default): beyond it the kernel gives new pipes two
 * pages. The others keep the default 64 KiB. */
#define SPLICE_RELAY_MAX_BIG 32
#endif
#define EVENTS_PER_WAIT 64

enum { KIND_WATCH = 1, KIND_END = 2 };

struct watch {
  int kind;
  int fd;
  uint32_t token;
};

struct end {
  int kind;
  struct pair *pair;
};

/* Bytes read from fd[i] wait in pipe[i] until written to fd[1 - i]. */
struct dir {
  int pipe_r, pipe_w;
  size_t queued, cap;
  bool eof, shut, big;
  uint64_t moved;
};

struct pair {
  int fd[2];
  struct end ends[2];
  struct dir dir[2];
  uint64_t id;
  size_t index;
  int error; /* set once the pair must end: it ends after the batch of events it was in */
  bool ending;
};

struct splice_relay {
  int epfd;
  size_t max_pairs, count, watch_count, big_count;
  struct pair **pairs;
  struct watch *watches[64];
  splice_relay_end_fn on_end;
  void *ctx;
};

struct splice_relay *splice_relay_new(size_t max_pairs, splice_relay_end_fn on_end, void *ctx) {
  struct splice_relay *r = calloc(1, sizeof *r);
  if (r == NULL) return NULL;
  r->pairs = calloc(max_pairs == 0 ? 1 : max_pairs, sizeof *r->pairs);
  r->epfd = epoll_create1(EPOLL_CLOEXEC);
  if (r->pairs == NULL || r->epfd < 0) {
    int saved = errno;
    if (r->epfd >= 0) close(r->epfd);
    free(r->pairs);
    free(r);
    errno = saved;
    return NULL;
  }
  r->max_pairs = max_pairs;
  r->on_end = on_end;
  r->ctx = ctx;
  return r;
}

int splice_relay_watch(struct splice_relay *r, int fd, uint32_t token) {
  if (r->watch_count == sizeof r->watches / sizeof r->watches[0]) {
    errno = ENOSPC;
    return -1;
  }
  struct watch *w = malloc(sizeof *w);
  if (w == NULL) return -1;
  *w = (struct watch){ .kind = KIND_WATCH, .fd = fd, .token = token };
  struct epoll_event ev = { .events = EPOLLIN, .data.ptr = w };
  if (epoll_ctl(r->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
    int saved = errno;
    free(w);
    errno = saved;
    return -1;
  }
  r->watches[r->watch_count++] = w;
  return 0;
}

int splice_relay_watch_enable(struct splice_relay *r, int fd, uint32_t token, int enabled) {
  for (size_t i = 0; i < r->watch_count; i++) {
    struct watch *w = r->watches[i];
    if (w->fd != fd || w->token != token) continue;
    struct epoll_event ev = { .events = enabled ? EPOLLIN : 0, .data.ptr = w };
    return epoll_ctl(r->epfd, EPOLL_CTL_MOD, fd, &ev);
  }
  errno = ENOENT;
  return -1;
}

size_t splice_relay_count(const struct splice_relay *r) { return r->count; }

static void close_pair(struct splice_relay *r, struct pair *p) {
  for (int i = 0; i < 2; i++) {
    close(p->fd[i]);
    close(p->dir[i].pipe_r);
    close(p->dir[i].pipe_w);
    if (p->dir[i].big) r->big_count--;
  }
  struct pair *last = r->pairs[--r->count];
  r->pairs[p->index] = last;
  last->index = p->index;
}

static void end_pair(struct splice_relay *r, struct pair *p, int error) {
  uint64_t id = p->id, a_to_b = p->dir[0].moved, b_to_a = p->dir[1].moved;
  close_pair(r, p);
  free(p);
  if (r->on_end != NULL) r->on_end(r->ctx, id, error, a_to_b, b_to_a);
}

static size_t pipe_capacity(int fd) {
  int size = fcntl(fd, F_GETPIPE_SZ);
  return size > 0 ? (size_t)size : 4096;
}

int splice_relay_add(struct splice_relay *r, int a, int b, uint64_t id) {
  struct pair *p = NULL;
  int saved;
  if (r->count == r->max_pairs) {
    errno = EMFILE;
    goto fail;
  }
  p = calloc(1, sizeof *p);
  if (p == NULL) goto fail;
  p->fd[0] = a;
  p->fd[1] = b;
  p->id = id;
  for (int i = 0; i < 2; i++) p->dir[i].pipe_r = p->dir[i].pipe_w = -1;
  for (int i = 0; i < 2; i++) {
    int fl = fcntl(p->fd[i], F_GETFL);
    if (fl < 0 || fcntl(p->fd[i], F_SETFL, fl | O_NONBLOCK) < 0) goto fail;
    int pp[2];
    if (pipe2(pp, O_CLOEXEC | O_NONBLOCK) < 0) goto fail;
    p->dir[i].pipe_r = pp[0];
    p->dir[i].pipe_w = pp[1];
    p->dir[i].cap = pipe_capacity(pp[1]);
  }
  for (int i = 0; i < 2; i++) {
    p->ends[i] = (struct end){ .kind = KIND_END, .pair = p };
    /* Edge-triggered: every event runs both directions until they would block. */
    struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, .data.ptr = &p->ends[i] };
    if (epoll_ctl(r->epfd, EPOLL_CTL_ADD, p->fd[i], &ev) < 0) goto fail;
  }
  p->index = r->count;
  r->pairs[r->count++] = p;
  return 0;
fail:
  saved = errno;
  if (p != NULL) {
    for (int i = 0; i < 2; i++) {
      if (p->dir[i].pipe_r >= 0) close(p->dir[i].pipe_r);
      if (p->dir[i].pipe_w >= 0) close(p->dir[i].pipe_w);
    }
    free(p);
  }
  close(a);
  close(b);
  errno = saved;
  return -1;
}

/* A pipe that filled up carries a bulk transfer: make it large, while the budget allows. */
static void grow(struct splice_relay *r, struct dir *d) {
  if (d->big || r->big_count >= SPLICE_RELAY_MAX_BIG) return;
  d->big = true; /* tried once, whatever the outcome */
  if (fcntl(d->pipe_w, F_SETPIPE_SZ, SPLICE_RELAY_BIG_PIPE) < 0) return;
  d->cap = pipe_capacity(d->pipe_w);
  r->big_count++;
}

/* Moves what it can from fd[i] to fd[1 - i]. 0, or the errno that ends the pair. */
static int pump(struct splice_relay *r, struct pair *p, int i) {
  struct dir *d = &p->dir[i];
  int from = p->fd[i], to = p->fd[1 - i];
  for (;;) {
    bool progress = false;
    if (d->queued > 0) {
      ssize_t n = splice(d->pipe_r, NULL, to, NULL, d->queued, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
      if (n > 0) {
        d->queued -= (size_t)n;
        d->moved += (uint64_t)n;
        progress = true;
      } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
        return errno;
      }
    }
    if (!d->eof && d->queued < d->cap) {
      ssize_t n = splice(from, NULL, d->pipe_w, NULL, d->cap - d->queued, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
      if (n > 0) {
        d->queued += (size_t)n;
        if (d->queued == d->cap) grow(r, d);
        progress = true;
      } else if (n == 0) {
        d->eof = true;
        progress = true;
      } else if (errno != EAGAIN && errno != EINTR) {
        return errno;
      }
    }
    if (d->eof && d->queued == 0 && !d->shut) {
      /* A peer that is already gone makes this fail; the pair then ends on its next error. */
      shutdown(to, SHUT_WR);
      d->shut = true;
    }
    if (!progress) return 0;
  }
}

int splice_relay_wait(struct splice_relay *r, int timeout_ms, uint32_t *ready, int max_ready) {
  struct epoll_event events[EVENTS_PER_WAIT];
  int n = epoll_wait(r->epfd, events, EVENTS_PER_WAIT, timeout_ms);
  if (n < 0) return errno == EINTR ? 0 : -1;
  int out = 0;
  /* A pair can appear twice in one batch (both ends ready): the ones that must end are ended
   * after the batch, so no event refers to a freed pair. */
  struct pair *ending[EVENTS_PER_WAIT];
  int ending_count = 0;
  for (int k = 0; k < n; k++) {
    int kind = *(int *)events[k].data.ptr;
    if (kind == KIND_WATCH) {
      struct watch *w = events[k].data.ptr;
      if (out < max_ready) ready[out++] = w->token;
      continue;
    }
    struct end *e = events[k].data.ptr;
    struct pair *p = e->pair;
    if (p->ending) continue;
    int err = pump(r, p, 0);
    if (err == 0) err = pump(r, p, 1);
    if (err == 0 && (events[k].events & EPOLLERR)) {
      int so = 0;
      socklen_t len = sizeof so;
      if (getsockopt(p->fd[e == &p->ends[0] ? 0 : 1], SOL_SOCKET, SO_ERROR, &so, &len) == 0 && so != 0) err = so;
    }
    if (err != 0 || (p->dir[0].shut && p->dir[1].shut)) {
      p->ending = true;
      p->error = err;
      ending[ending_count++] = p;
    }
  }
  for (int k = 0; k < ending_count; k++) end_pair(r, ending[k], ending[k]->error);
  return out;
}

void splice_relay_free(struct splice_relay *r) {
  if (r == NULL) return;
  while (r->count > 0) {
    struct pair *p = r->pairs[r->count - 1];
    close_pair(r, p);
    free(p);
  }
  for (size_t i = 0; i < r->watch_count; i++) free(r->watches[i]);
  close(r->epfd);
  free(r->pairs);
  free(r);
}

void splice_relay_raise_nofile(void) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}
