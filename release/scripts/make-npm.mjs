#!/usr/bin/env node
// Packs the npm packages of a release, the way the Codex CLI ships: @codex-sandbox/cli (the
// `codex` command, release/npm/codex.js) with one optional dependency per platform, and
// @codex-sandbox/cli-<platform>, which carries that platform's release bundle as it is in the
// archive (the front end, codex-resources, LICENSE, NOTICE, SHA256SUMS) and installs only where
// its `os` and `cpu` match.
//
//   node make-npm.mjs main --version V --shim codex.js --out <tgz>
//   node make-npm.mjs platform --version V --platform linux-x64 --archive <bundle.tar.gz> --out <tgz>
//
// Uses `npm pack` (npm's own tarball format and file modes). Must NOT publish anything.
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { PLATFORMS, bundleLayout, parsePlatform } from './layout.mjs';

const [kind, ...rest] = process.argv.slice(2);
const args = {};
for (let i = 0; i < rest.length; i += 2) args[rest[i].replace(/^--/, '')] = rest[i + 1];

function run(file, argv, cwd) {
  const result = spawnSync(file, argv, { cwd, encoding: 'utf8', env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: cwd, npm_config_cache: join(cwd, '.npm-cache'), npm_config_update_notifier: 'false' } });
  if (result.error) throw result.error;
  if (result.status !== 0) throw new Error(`${file} ${argv.join(' ')} failed (${result.status}): ${result.stderr}`);
  return result.stdout;
}

/** The manifest of one platform package: npm installs it only where os and cpu match. */
function platformManifest(version, platform) {
  const { os, arch } = parsePlatform(platform);
  return {
    name: `@codex-sandbox/cli-${platform}`,
    version,
    description: `codex sandbox for ${platform}: the release bundle (a Node.js single executable application, no Node needed)`,
    os: [os],
    cpu: [arch],
    preferUnplugged: true,
  };
}

/** The manifest of @codex-sandbox/cli: the command, and every platform as an optional dependency. */
function mainManifest(version) {
  return {
    name: '@codex-sandbox/cli',
    version,
    description: 'codex sandbox: run a command under the host operating system\'s sandbox',
    bin: { codex: 'bin/codex.js' },
    engines: { node: '>=18' },
    optionalDependencies: Object.fromEntries(PLATFORMS.map((p) => [`@codex-sandbox/cli-${p}`, version])),
  };
}

function pack(stage, out) {
  const packed = run('npm', ['pack', '--silent', '--pack-destination', join(stage, '..')], stage).trim().split('\n').at(-1);
  copyFileSync(join(stage, '..', packed), resolve(out));
}

const work = mkdtempSync(join(tmpdir(), 'codex-npm-'));
try {
  const stage = join(work, 'package');
  mkdirSync(stage);
  if (kind === 'main') {
    mkdirSync(join(stage, 'bin'));
    copyFileSync(args.shim, join(stage, 'bin', 'codex.js'));
    chmodSync(join(stage, 'bin', 'codex.js'), 0o755);
    writeFileSync(join(stage, 'package.json'), `${JSON.stringify(mainManifest(args.version), null, 2)}\n`);
  } else if (kind === 'platform') {
    const layout = bundleLayout(args.platform);
    const tar = spawnSync('tar', ['-xzf', resolve(args.archive), '-C', stage, '--strip-components=1'], { encoding: 'utf8' });
    if (tar.status !== 0) throw new Error(`tar: ${tar.stderr}`);
    if (!readdirSync(stage).includes(layout.frontEnd)) throw new Error(`${args.archive} has no ${layout.frontEnd}`);
    writeFileSync(join(stage, 'package.json'), `${JSON.stringify(platformManifest(args.version, args.platform), null, 2)}\n`);
  } else {
    throw new Error('usage: make-npm.mjs main|platform --version V ...');
  }
  pack(stage, args.out);
} catch (error) {
  process.stderr.write(`make-npm: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
} finally {
  rmSync(work, { recursive: true, force: true });
}
