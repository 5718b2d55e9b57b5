"""What a test needs to run the Bazel-built codex-bwrap: data deps and the env vars tests read."""

CODEX_BWRAP_TEST_DATA = [
    "//third_party/bubblewrap:codex-bwrap",
    "//third_party/bubblewrap:codex-bwrap-sha256",
    # The inner stage of proxy-only sandboxes.
    "//packages/linux-bwrap/native/netns-helper:codex-netns-helper",
    # The legacy Landlock backend's helper.
    "//packages/linux-bwrap/native/landlock-helper:codex-landlock-helper",
    # The managed proxy's tunnel relay.
    "//packages/linux-bwrap/native/proxy-relay:codex-proxy-relay",
    # Makes the deny masks of runs with many (G11).
    "//packages/linux-bwrap/native/mask-helper:codex-mask-helper",
]

CODEX_BWRAP_TEST_ENV = {
    "CODEX_BWRAP_TEST_BINARY": "$ws/$(rootpath //third_party/bubblewrap:codex-bwrap)",
    "CODEX_NETNS_HELPER_TEST_BINARY": "$ws/$(rootpath //packages/linux-bwrap/native/netns-helper:codex-netns-helper)",
    "CODEX_LANDLOCK_HELPER_TEST_BINARY": "$ws/$(rootpath //packages/linux-bwrap/native/landlock-helper:codex-landlock-helper)",
    "CODEX_PROXY_RELAY_TEST_BINARY": "$ws/$(rootpath //packages/linux-bwrap/native/proxy-relay:codex-proxy-relay)",
    "CODEX_MASK_HELPER_TEST_BINARY": "$ws/$(rootpath //packages/linux-bwrap/native/mask-helper:codex-mask-helper)",
}

CODEX_BWRAP_TEST_ENV_FROM_FILES = {
    "CODEX_BWRAP_TEST_SHA256": "$(rootpath //third_party/bubblewrap:codex-bwrap-sha256)",
}
