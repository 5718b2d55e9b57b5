export * from './deny-globs.js';
export * from './errors.js';
export * from './seccomp.js';
export * from './wsl.js';
