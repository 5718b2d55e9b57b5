/*
 * The connect(2) supervisor of codex-netns-helper (docs/behaviour.md N16): the command's seccomp
 * program hands every connect to a listener (SECCOMP_RET_USER_NOTIF); this decides each one and
 * performs it itself on a duplicate of the command's socket (pidfd_getfd), with its own copy of
 * the address, so nothing the command changes after the check can redirect it.
 *
 * Must NOT let a connect through to a Unix socket path other than an allowed one (it connects to
 * the allowed socket where the helper has it bound, never to the path the command gave), must NOT
 * use SECCOMP_USER_NOTIF_FLAG_CONTINUE (the kernel would then re-read the command's memory and
 * descriptor table), and must never block its receiving thread on a connect.
 */
#ifndef CODEX_CONNECT_SUPERVISOR_H
#define CODEX_CONNECT_SUPERVISOR_H

#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>

#define SUPERVISOR_MAX_NAMES 8

struct allowed_socket {
  /* The addresses (absolute paths) the command may give; exact byte comparison. */
  const char *names[SUPERVISOR_MAX_NAMES];
  size_t name_count;
  /* Where the helper connects instead (the host socket bound into the sandbox). */
  struct sockaddr_un addr;
  socklen_t addr_len;
};

/* The decision for one connect, from the socket's domain and a copy of the address (pure). */
enum connect_verdict {
  CONNECT_AS_GIVEN,   /* IP, abstract or malformed Unix address: connect with the copy */
  CONNECT_ALLOWED,    /* an allowed socket path: connect to its bound location */
  CONNECT_REFUSED,    /* any other Unix socket path, or a family the filter never lets exist */
};
enum connect_verdict supervisor_decide(int domain, const struct sockaddr_storage *addr, socklen_t len,
                                       const struct allowed_socket *allowed, size_t count, size_t *which);

/*
 * In the forked command, after its own descriptors are closed: installs `program` with a listener,
 * sends the listener over `channel` (SCM_RIGHTS), waits for the helper's go-ahead and closes the
 * channel. Returns 0, or -1 with errno set (the command must then not run).
 */
struct sock_fprog;
int supervisor_install_and_send(const struct sock_fprog *program, int channel);

/*
 * In the helper: receives the listener from `channel`, checks that it can take descriptors from
 * `command` (pidfd_getfd: Linux 5.6, and ptrace access), tells the command to go on, and starts the
 * supervising thread. Returns 0; -1 with a message in `why` when the command must be stopped; 1
 * when the command ended before sending a listener (its own message said why).
 */
int supervisor_start(int channel, pid_t command, const struct allowed_socket *allowed, size_t count, char *why, size_t why_size);

#endif
