/*
 * codex-netns-helper: the first program bubblewrap runs in a proxy-only sandbox.
 *
 *   codex-netns-helper --spec-fd N -- COMMAND [ARG...]
 *
 * Reads a NetnsHelperSpec (packages/policy/proto/netns_helper.proto) from descriptor N, opens one
 * 127.0.0.1 listener per route in the sandbox's own network namespace, and forks. The child is the
 * command: killed if the bridge dies (PR_SET_PDEATHSIG), every descriptor above 2 closed,
 * no_new_privs, the spec's seccomp program installed (it refuses new AF_UNIX sockets, so the
 * command cannot reach the bound proxy sockets itself), then execvp. The parent is the bridge: it
 * accepts on the listeners and relays each connection both ways to the route's Unix socket
 * (splice_relay: splice(2), half-close on EOF), until the command exits, then exits the way the
 * command did.
 *
 * Owns only this mechanism. It must never open a path out of the namespace other than the Unix
 * sockets the spec names, never run the command without the seccomp program, and never start the
 * command when a listener or a proxy socket is not usable (it exits 1 with a message instead).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "packages/linux-bwrap/native/common/helper_io.h"
#include "packages/linux-bwrap/native/common/splice_relay.h"
#include "packages/linux-bwrap/native/netns-helper/connect_supervisor.h"
#include "packages/linux-bwrap/native/netns-helper/netns_helper.pb-c.h"

#define PREFIX "codex sandbox: network bridge: "
#define MAX_SPEC_BYTES (1 << 20)
#define MAX_ROUTES 64
#define MAX_CONNECTIONS 1024
#define MAX_BPF_INSNS 4096

#define fail(...) helper_fail(PREFIX, "\n", __VA_ARGS__)

struct route {
  int listen_fd;
  uint16_t port;
  int held_open; /* the front end holds the listener open: no probe (NetnsHelperSpec held_open) */
  struct sockaddr_un addr;
  socklen_t addr_len;
};

#define MAX_UNIX_SOCKETS 64

static struct route routes[MAX_ROUTES];
static struct allowed_socket allowed[MAX_UNIX_SOCKETS];
static size_t allowed_count;
static size_t route_count;

static void read_spec(int fd, uint8_t **out, size_t *out_len) {
  if (helper_read_all(fd, MAX_SPEC_BYTES, out, out_len) < 0) {
    if (errno == EFBIG) fail("the spec on descriptor %d is larger than %d bytes", fd, MAX_SPEC_BYTES);
    fail("cannot read the spec from descriptor %d: %s", fd, strerror(errno));
  }
  close(fd);
}

static int connect_uds(const struct route *r) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int rc;
  do rc = connect(fd, (const struct sockaddr *)&r->addr, r->addr_len);
  while (rc < 0 && errno == EINTR);
  if (rc < 0) {
    int saved = errno;
    close(fd);
    errno = saved;
    return -1;
  }
  if (fcntl(fd, F_SETFL, O_NONBLOCK) < 0) {
    close(fd);
    return -1;
  }
  return fd;
}

static void setup_routes(const Codex__Sandbox__V1__NetnsHelperSpec *spec) {
  if (spec->n_routes == 0) fail("the spec has no routes (at least one is required)");
  if (spec->n_routes > MAX_ROUTES) fail("the spec has %zu routes (at most %d)", spec->n_routes, MAX_ROUTES);
  for (size_t i = 0; i < spec->n_routes; i++) {
    const Codex__Sandbox__V1__ProxyBridgeRoute *in = spec->routes[i];
    struct route *r = &routes[i];
    if (in->listen_port == 0 || in->listen_port > 65535) fail("route %zu: port %u is not 1-65535", i, in->listen_port);
    for (size_t j = 0; j < i; j++)
      if (routes[j].port == in->listen_port) fail("route %zu: port %u is used twice", i, in->listen_port);
    const char *path = in->socket_path;
    size_t plen = path == NULL ? 0 : strlen(path);
    if (plen == 0 || path[0] != '/') fail("route %zu: the socket path must be absolute", i);
    if (plen >= sizeof(r->addr.sun_path)) fail("route %zu: the socket path %s is too long", i, path);
    r->port = (uint16_t)in->listen_port;
    memset(&r->addr, 0, sizeof r->addr);
    r->addr.sun_family = AF_UNIX;
    memcpy(r->addr.sun_path, path, plen + 1);
    r->addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + plen + 1);
    /* No endpoint, no run: refuse now rather than let the command meet a dead route. A socket the
     * front end holds open for the run needs no probe (it would only cost the proxy a connection). */
    r->held_open = in->held_open;
    if (!r->held_open) {
      int probe = connect_uds(r);
      if (probe < 0) fail("cannot reach the proxy socket %s: %s", path, strerror(errno));
      close(probe);
    }

    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) fail("socket(AF_INET): %s", strerror(errno));
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in sin;
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_port = htons(r->port);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&sin, sizeof sin) < 0) fail("cannot listen on 127.0.0.1:%u: %s", r->port, strerror(errno));
    if (listen(fd, 512) < 0) fail("listen on 127.0.0.1:%u: %s", r->port, strerror(errno));
    r->listen_fd = fd;
  }
  route_count = spec->n_routes;
}

static void setup_allowed(const Codex__Sandbox__V1__ConnectSupervision *sup) {
  if (sup->n_unix_sockets > MAX_UNIX_SOCKETS) fail("the spec allows %zu Unix sockets (at most %d)", sup->n_unix_sockets, MAX_UNIX_SOCKETS);
  for (size_t i = 0; i < sup->n_unix_sockets; i++) {
    const Codex__Sandbox__V1__AllowedUnixSocket *in = sup->unix_sockets[i];
    struct allowed_socket *a = &allowed[i];
    if (in->n_names == 0 || in->n_names > SUPERVISOR_MAX_NAMES) fail("allowed Unix socket %zu has %zu names (1-%d)", i, in->n_names, SUPERVISOR_MAX_NAMES);
    for (size_t n = 0; n < in->n_names; n++) {
      const char *name = in->names[n];
      if (name == NULL || name[0] != '/' || strlen(name) >= sizeof a->addr.sun_path) fail("allowed Unix socket %zu: name %zu must be an absolute path shorter than %zu bytes", i, n, sizeof a->addr.sun_path);
      a->names[n] = name;
    }
    a->name_count = in->n_names;
    const char *path = in->socket_path;
    size_t plen = path == NULL ? 0 : strlen(path);
    if (plen == 0 || path[0] != '/' || plen >= sizeof a->addr.sun_path) fail("allowed Unix socket %zu: the socket path must be absolute and shorter than %zu bytes", i, sizeof a->addr.sun_path);
    memset(&a->addr, 0, sizeof a->addr);
    a->addr.sun_family = AF_UNIX;
    memcpy(a->addr.sun_path, path, plen + 1);
    a->addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + plen + 1);
  }
  allowed_count = sup->n_unix_sockets;
}

/* In the forked child: becomes the command, under the seccomp program, or dies. */
/* `channel` >= 0: install the program with a listener and hand it to the bridge over it. */
static void exec_command(char **argv, const ProtobufCBinaryData *program, pid_t bridge, const sigset_t *mask, int channel) __attribute__((noreturn));
static void exec_command(char **argv, const ProtobufCBinaryData *program, pid_t bridge, const sigset_t *mask, int channel) {
  /* Copy the program before closing descriptors (it lives in our heap; that is fine) and before
   * anything can fail half-way. */
  struct sock_fprog prog = { .len = (unsigned short)(program->len / sizeof(struct sock_filter)), .filter = (struct sock_filter *)program->data };
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0) _exit(1);
  if (getppid() != bridge) _exit(1); /* the bridge died before the line above */
  /* The bridge must be able to take this process's sockets (it is not dumpable itself). */
  if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) < 0) _exit(1);
  if (channel >= 0) {
    /* Kept at 3 (the bridge probes pidfd_getfd on it), everything else closed. */
    if (channel != 3 && dup2(channel, 3) < 0) _exit(1);
    channel = 3;
    helper_close_from(4);
  } else {
    helper_close_from(3);
  }
  if (sigprocmask(SIG_SETMASK, mask, NULL) < 0) _exit(1);
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
    fprintf(stderr, PREFIX "prctl(PR_SET_NO_NEW_PRIVS): %s\n", strerror(errno));
    _exit(1);
  }
  if (channel >= 0) {
    if (supervisor_install_and_send(&prog, channel) < 0) {
      /* ECANCELED: the bridge refused (it said why); anything else is ours to report. */
      if (errno != ECANCELED) fprintf(stderr, PREFIX "cannot install the seccomp program with a listener: %s\n", strerror(errno));
      _exit(1);
    }
  } else if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0) {
    fprintf(stderr, PREFIX "cannot install the seccomp program: %s\n", strerror(errno));
    _exit(1);
  }
  execvp(argv[0], argv);
  int err = errno;
  fprintf(stderr, "codex sandbox: %s: %s\n", argv[0], strerror(err));
  _exit(err == ENOENT ? 127 : 126);
}

/* Accepts what is waiting on route `r`; each connection is relayed to a new connection to the
 * route's Unix socket. */
static void accept_on(struct splice_relay *relay, const struct route *r) {
  for (;;) {
    if (splice_relay_count(relay) == MAX_CONNECTIONS) return;
    int tcp = accept4(r->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (tcp < 0) return; /* EAGAIN, or a client that gave up */
    int uds = connect_uds(r);
    if (uds < 0) {
      /* Fail closed: the client sees its connection closed, nothing else is tried. */
      fprintf(stderr, PREFIX "cannot reach the proxy socket %s: %s\n", r->addr.sun_path, strerror(errno));
      close(tcp);
      continue;
    }
    /* On failure (no memory, no descriptors) both are closed: the client sees its connection end. */
    if (splice_relay_add(relay, tcp, uds, 0) < 0) fprintf(stderr, PREFIX "cannot relay a connection: %s\n", strerror(errno));
  }
}

/* Listeners are paused while the relay is full, and resumed when a connection ends. */
static void listeners_enable(struct splice_relay *relay, int enabled) {
  for (size_t r = 0; r < route_count; r++) splice_relay_watch_enable(relay, routes[r].listen_fd, (uint32_t)(1 + r), enabled);
}

static void exit_like(int status) __attribute__((noreturn));
static void exit_like(int status) {
  if (WIFEXITED(status)) exit(WEXITSTATUS(status));
  int sig = WTERMSIG(status);
  /* Die of the same signal, so bwrap reports what the command's death was; no core of ours. */
  struct rlimit none = { 0, 0 };
  setrlimit(RLIMIT_CORE, &none);
  signal(sig, SIG_DFL);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, sig);
  sigprocmask(SIG_UNBLOCK, &set, NULL);
  kill(getpid(), sig);
  exit(128 + sig);
}

static const int FORWARDED[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGPIPE };

int main(int argc, char **argv) {
  int spec_fd;
  char **command;
  helper_args_or_fail(argc, argv, PREFIX, "\n", "codex-netns-helper --spec-fd N -- COMMAND [ARG...]", &spec_fd, &command);

  /* Not dumpable: the command runs as the same user and must not reach into this process. */
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) fail("prctl(PR_SET_DUMPABLE): %s", strerror(errno));

  uint8_t *raw;
  size_t raw_len;
  read_spec(spec_fd, &raw, &raw_len);
  Codex__Sandbox__V1__NetnsHelperSpec *spec = codex__sandbox__v1__netns_helper_spec__unpack(NULL, raw_len, raw);
  if (spec == NULL) fail("the spec on descriptor %d is not a valid NetnsHelperSpec message", spec_fd);
  const ProtobufCBinaryData *program = &spec->seccomp_program;
  if (program->len == 0 || program->len % sizeof(struct sock_filter) != 0 || program->len / sizeof(struct sock_filter) > MAX_BPF_INSNS) {
    fail("the spec's seccomp program has %zu bytes (required: 1-%d instructions of %zu bytes)", program->len, MAX_BPF_INSNS,
         sizeof(struct sock_filter));
  }
  setup_routes(spec);
  int channel[2] = { -1, -1 };
  if (spec->connect_supervision != NULL) {
    setup_allowed(spec->connect_supervision);
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, channel) < 0) fail("socketpair: %s", strerror(errno));
  }

  /* Signals for the command reach it directly (the front end signals the whole process group);
   * the bridge must outlive the command, so it ignores them. Blocked across fork so that neither
   * side sees one before its dispositions are set. */
  sigset_t block, orig;
  sigemptyset(&block);
  sigaddset(&block, SIGCHLD);
  for (size_t k = 0; k < sizeof FORWARDED / sizeof FORWARDED[0]; k++) sigaddset(&block, FORWARDED[k]);
  if (sigprocmask(SIG_BLOCK, &block, &orig) < 0) fail("sigprocmask: %s", strerror(errno));
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  int sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sfd < 0) fail("signalfd: %s", strerror(errno));

  pid_t bridge = getpid();
  fflush(stderr);
  pid_t child = fork();
  if (child < 0) fail("fork: %s", strerror(errno));
  if (child == 0) exec_command(command, program, bridge, &orig, channel[1]);
  if (channel[0] >= 0) {
    close(channel[1]);
    char why[512];
    int started = supervisor_start(channel[0], child, allowed, allowed_count, why, sizeof why);
    close(channel[0]);
    if (started < 0) {
      fprintf(stderr, PREFIX "%s; refusing to run the command\n", why);
      kill(child, SIGKILL);
      waitpid(child, NULL, 0);
      return 1;
    }
  }

  for (size_t k = 0; k < sizeof FORWARDED / sizeof FORWARDED[0]; k++) signal(FORWARDED[k], SIG_IGN);
  sigset_t unblock = block;
  sigdelset(&unblock, SIGCHLD);
  sigprocmask(SIG_UNBLOCK, &unblock, NULL);
  /* The bridge reads no input and writes only diagnostics. */
  int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (devnull >= 0) {
    dup2(devnull, 0);
    dup2(devnull, 1);
    if (devnull > 2) close(devnull);
  }

  /* Each relayed connection holds six descriptors (two sockets, two pipes). */
  splice_relay_raise_nofile();
  struct splice_relay *relay = splice_relay_new(MAX_CONNECTIONS, NULL, NULL);
  if (relay == NULL || splice_relay_watch(relay, sfd, 0) < 0) {
    fprintf(stderr, PREFIX "cannot start the relay: %s; stopping the command\n", strerror(errno));
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    return 1;
  }
  for (size_t r = 0; r < route_count; r++) {
    if (splice_relay_watch(relay, routes[r].listen_fd, (uint32_t)(1 + r)) < 0) {
      fprintf(stderr, PREFIX "cannot watch 127.0.0.1:%u: %s; stopping the command\n", routes[r].port, strerror(errno));
      kill(child, SIGKILL);
      waitpid(child, NULL, 0);
      return 1;
    }
  }
  int paused = 0;
  for (;;) {
    uint32_t ready[1 + MAX_ROUTES];
    int n = splice_relay_wait(relay, -1, ready, 1 + MAX_ROUTES);
    if (n < 0) {
      fprintf(stderr, PREFIX "epoll_wait: %s; stopping the command\n", strerror(errno));
      kill(child, SIGKILL);
      waitpid(child, NULL, 0);
      return 1;
    }
    for (int k = 0; k < n; k++) {
      if (ready[k] == 0) {
        struct signalfd_siginfo si;
        while (read(sfd, &si, sizeof si) > 0) {
        }
        int status;
        pid_t w = waitpid(child, &status, WNOHANG);
        if (w == child) {
          splice_relay_free(relay);
          exit_like(status);
        }
      } else if (!paused) {
        accept_on(relay, &routes[ready[k] - 1]);
      }
    }
    int full = splice_relay_count(relay) == MAX_CONNECTIONS;
    if (full != paused) {
      listeners_enable(relay, !full);
      paused = full;
    }
  }
}
