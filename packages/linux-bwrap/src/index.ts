export * from './errors.js';
export * from './seccomp.js';
export * from './wsl.js';
