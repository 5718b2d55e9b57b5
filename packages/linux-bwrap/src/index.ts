// Public surface of @codex-sandbox/linux-bwrap: pure decisions (argv, seccomp, globs, WSL) and the
// OS layer (launcher, probes, placeholder registry, runner).
export * from './bwrap-args.js';
export * from './capabilities.js';
export * from './deny-globs.js';
export * from './descriptors.js';
export * from './errors.js';
export * from './filesystem-args.js';
export * from './inherited-descriptors.js';
export * from './launcher.js';
export * from './preflight.js';
export * from './probe-cache.js';
export * from './registry.js';
export * from './runner.js';
export * from './runtime.js';
export * from './runtime-errors.js';
export * from './seccomp.js';
export * from './signals.js';
export * from './visibility.js';
export * from './warnings.js';
export * from './wsl.js';
export * from './proxy-only-args.js';
export { loadNetnsHelper, netnsHelperCandidates, NetnsHelperError, NETNS_HELPER_RESOURCE, NETNS_HELPER_TEST_BINARY_ENV, type NetnsHelper, type LoadNetnsHelperOptions } from './netns-helper.js';
