#!/usr/bin/env node
// `codex` of the npm package @codex-sandbox/cli: runs the release bundle of this platform, which
// npm installed as the optional dependency @codex-sandbox/cli-<platform>-<arch> (the way the Codex
// CLI ships its native binaries), with this process's arguments, environment and stdio, forwards
// signals to it and exits as it does.
// Must NOT do anything else: the bundle is the front end (it stashes the variables Node acts on at
// start, verifies its resources, runs the sandbox). This shim is started by npm's `node` from PATH,
// as every npm command is; it looks the bundle up only beside itself, never through PATH,
// NODE_PATH or node_modules directories further up (places a sandboxed command may write).
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

// SIGUSR1 would open this Node's inspector; like every forwarded signal it goes to the bundle.
const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH'];
const SUPPORTED = ['linux-x64', 'linux-arm64', 'darwin-x64', 'darwin-arm64', 'win32-x64'];

function fail(message) {
  process.stderr.write(`codex: ${message}\n`);
  process.exit(1);
}

const platform = `${process.platform}-${process.arch}`;
if (!SUPPORTED.includes(platform)) fail(`no release bundle for ${platform}; supported: ${SUPPORTED.join(', ')}`);
const name = `cli-${platform}`;
const here = path.dirname(fs.realpathSync(__filename));
// npm puts the optional dependency either inside this package or beside it (hoisted).
const candidates = [path.join(here, '..', 'node_modules', '@codex-sandbox', name), path.join(here, '..', '..', name)];
const dir = candidates.find((candidate) => fs.existsSync(path.join(candidate, 'package.json')));
if (dir === undefined) {
  fail(`the package @codex-sandbox/${name} is not installed (npm skips optional dependencies with --omit=optional or --no-optional); reinstall @codex-sandbox/cli without those options`);
}
const executable = path.join(dir, process.platform === 'win32' ? 'codex.exe' : 'codex');
const child = spawn(executable, process.argv.slice(2), { stdio: 'inherit' });
for (const signal of FORWARDED) {
  if (process.platform === 'win32' && !['SIGINT', 'SIGTERM'].includes(signal)) continue;
  process.on(signal, () => child.kill(signal));
}
child.on('error', (error) => fail(`cannot run ${executable}: ${error.message}`));
child.on('exit', (code, signal) => {
  if (signal !== null) {
    // Die of the same signal, so that the caller sees the same status as from the bundle itself.
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
    return;
  }
  process.exit(code ?? 1);
});
