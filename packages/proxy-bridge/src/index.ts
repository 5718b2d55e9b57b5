// Proxy-only network egress for Linux: host TCP proxy endpoint -> Unix socket -> loopback TCP
// listener inside the sandbox's network namespace (N8).
// Not implemented yet: the Linux backend already has the `proxy-routed` seccomp mode and the
// isolated network namespace this bridge plugs into. This package must never open a route to a
// non-loopback endpoint.

/** Proxy variables the bridge will route (N1), matched case-insensitively. */
export const PROXY_ENV_KEYS = [
  'HTTP_PROXY', 'HTTPS_PROXY', 'WS_PROXY', 'WSS_PROXY', 'ALL_PROXY', 'FTP_PROXY',
  'YARN_HTTP_PROXY', 'YARN_HTTPS_PROXY', 'NPM_CONFIG_HTTP_PROXY', 'NPM_CONFIG_HTTPS_PROXY',
  'NPM_CONFIG_PROXY', 'BUNDLE_HTTP_PROXY', 'BUNDLE_HTTPS_PROXY', 'PIP_PROXY',
  'DOCKER_HTTP_PROXY', 'DOCKER_HTTPS_PROXY',
] as const;
