/*
 * Dropping every capability before a helper becomes the command (codex-landlock-helper,
 * codex-mask-helper): bounding set, securebits (uid 0 gains none on execve), ambient set, then the
 * effective, permitted and inheritable sets, and a check that none is left. Must NOT print or exit:
 * callers report failures in their own words.
 */
#ifndef CODEX_HELPER_CAPS_H
#define CODEX_HELPER_CAPS_H

/* Drops every capability this process holds. With `require_empty_bounding`, the bounding set and
 * the ambient set must end empty too (a process holding CAP_SETPCAP can always empty them; one
 * without capabilities cannot touch its bounding set, which then gives nothing: no_new_privs and
 * empty sets). 0 on success; -1 with errno set and *what naming the step that failed (EPERM with
 * errno 0 meaning "a capability is still there"). */
int helper_drop_capabilities(int require_empty_bounding, const char **what);

#endif
