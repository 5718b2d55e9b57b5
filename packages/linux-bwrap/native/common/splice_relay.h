/*
 * A relay of connected stream-socket pairs (TCP, Unix) for our helpers: each pair is joined both
 * ways with splice(2) through a pipe per direction (the bytes never enter user space), with
 * half-close (an end read on one side becomes shutdown(SHUT_WR) of the other) and an error or reset
 * on either side closing both. One epoll set drives every pair, and the caller's own descriptors
 * (listeners, a signalfd, a control channel) are watched in the same set.
 *
 * Used by codex-netns-helper (the sandbox's TCP -> Unix socket bridge) and codex-proxy-relay (the
 * managed proxy's tunnels after the policy decision). Must NOT look at the bytes, decide what may
 * be connected, connect anything, print or exit: it only moves bytes between descriptors it was
 * given and closes them when the pair ends.
 */
#ifndef CODEX_SPLICE_RELAY_H
#define CODEX_SPLICE_RELAY_H

#include <stddef.h>
#include <stdint.h>

struct splice_relay;

/* Called once per pair, after both of its descriptors are closed. `error`: 0 when both directions
 * ended cleanly, else the errno that ended the pair (ECONNRESET, EPIPE, ...). */
typedef void (*splice_relay_end_fn)(void *ctx, uint64_t id, int error, uint64_t bytes_a_to_b, uint64_t bytes_b_to_a);

/* NULL with errno set on failure. `max_pairs`: more are refused by splice_relay_add (EMFILE). */
struct splice_relay *splice_relay_new(size_t max_pairs, splice_relay_end_fn on_end, void *ctx);

/* Watches one of the caller's descriptors for input (level-triggered); splice_relay_wait reports
 * `token` while it is readable. 0, or -1 with errno. */
int splice_relay_watch(struct splice_relay *r, int fd, uint32_t token);

/* Pauses (0) or resumes (1) a watched descriptor (e.g. a listener while the relay is full). */
int splice_relay_watch_enable(struct splice_relay *r, int fd, uint32_t token, int enabled);

/* Takes `a` and `b` (both connected; made non-blocking here) and relays them until both
 * directions end or one fails. On failure (-1, errno set) both are closed and on_end is not
 * called. */
int splice_relay_add(struct splice_relay *r, int a, int b, uint64_t id);

/* Pairs being relayed. */
size_t splice_relay_count(const struct splice_relay *r);

/* Waits up to `timeout_ms` (-1: no limit), moves bytes for every ready pair, and stores in
 * `ready` the tokens of the caller's watched descriptors that are readable (at most `max_ready`).
 * Returns how many it stored, or -1 with errno (EINTR is returned as 0). */
int splice_relay_wait(struct splice_relay *r, int timeout_ms, uint32_t *ready, int max_ready);

/* Closes every pair (on_end is not called) and the epoll set. */
void splice_relay_free(struct splice_relay *r);

/* Raises the soft RLIMIT_NOFILE to the hard limit: each pair holds six descriptors. */
void splice_relay_raise_nofile(void);

#endif
