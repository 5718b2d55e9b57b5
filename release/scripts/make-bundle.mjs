#!/usr/bin/env node
// Builds one platform's release bundle, byte-reproducibly: a Node.js single executable application
// (SEA) of the program bundle (built once by packages/cli/scripts/build-executable.mjs
// --bundle-out), the launcher (Linux, macOS), the resources (Linux: bwrap and our helpers, whose
// digests the program embeds), LICENSE, NOTICE and SHA256SUMS, packed as <name>.tar.gz.
//
//   node make-bundle.mjs --platform linux-x64 --version 0.1.0 --program program.js
//        --prologue sea-prologue.cjs [--launcher launcher.sh] --node <target node> --node-version <file>
//        --generator <linux-x64 node of the same version> [--code-cache yes|no] --postject <api.js>
//        --node-license <file> [--resource bwrap=<file> ...] [--bwrap-copying <file>]
//        [--protobuf-c-copyright <file>] --bundle-inputs <file> --node-modules <dir> --out <tar.gz>
//
// Must NOT download anything, read the clock, or depend on the machine beyond the tools it is
// given (GNU tar and gzip for the archive): two runs on the same inputs give the same bytes.
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';

import { SEA_FUSE, bundleLayout, bundleName, parsePlatform, seaMainScript, sha256sumsText } from './layout.mjs';
import { bundledPackageNames, licenseText, noticeText } from './notice.mjs';

const SINGLE = ['common-licenses', 'platform', 'version', 'program', 'prologue', 'launcher', 'node', 'node-version', 'generator', 'code-cache', 'postject', 'node-license', 'bwrap-copying', 'protobuf-c-copyright', 'bundle-inputs', 'node-modules', 'out'];
const REQUIRED = ['platform', 'version', 'program', 'prologue', 'node', 'node-version', 'generator', 'postject', 'node-license', 'bundle-inputs', 'node-modules', 'out'];

function fail(message) {
  process.stderr.write(`make-bundle: ${message}\n`);
  process.exit(2);
}

function parseArgs(argv) {
  const values = { resource: [] };
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i]?.replace(/^--/, '');
    const value = argv[i + 1];
    if (value === undefined) fail(`${argv[i]} requires a value`);
    if (key === 'resource') values.resource.push(value);
    else if (SINGLE.includes(key)) values[key] = value;
    else fail(`unknown argument ${JSON.stringify(argv[i])}`);
  }
  for (const key of REQUIRED) if (values[key] === undefined) fail(`--${key} is required`);
  // Paths are used from a scratch directory: make them absolute once.
  for (const key of SINGLE) if (!['platform', 'version', 'code-cache'].includes(key) && values[key] !== undefined) values[key] = resolve(values[key]);
  values.resource = values.resource.map((r) => `${r.slice(0, r.indexOf('='))}=${resolve(r.slice(r.indexOf('=') + 1))}`);
  if (!['yes', 'no', undefined].includes(values['code-cache'])) fail('--code-cache must be yes or no');
  return values;
}

const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

/** Runs a program with a fixed, minimal environment (no NODE_OPTIONS, no CA bundle, no locale). */
function run(file, args, cwd) {
  const result = spawnSync(file, args, { cwd, encoding: 'utf8', env: { PATH: '/usr/bin:/bin', LC_ALL: 'C' } });
  if (result.error) throw result.error;
  if (result.status !== 0) throw new Error(`${file} ${args.join(' ')} failed (${result.status}): ${result.stderr}`);
  return result.stdout;
}

/** Writes the SEA blob with `generator` (same Node version as the target binary, a SEA requirement). */
function writeBlob(work, args, main) {
  const targetVersion = readFileSync(args['node-version'], 'utf8').trim();
  const generatorVersion = run(args.generator, ['--version'], work).trim();
  if (generatorVersion !== `v${targetVersion}`) {
    throw new Error(`the SEA blob for Node ${targetVersion} must be written by that version; --generator is ${generatorVersion}`);
  }
  const codeCache = args['code-cache'] === 'yes';
  // A code cache is V8 bytecode for the generator's own build: only when it is the target binary.
  if (codeCache && sha256(readFileSync(args.generator)) !== sha256(readFileSync(args.node))) {
    throw new Error('--code-cache yes needs --generator to be the target binary itself');
  }
  writeFileSync(join(work, 'main.js'), main);
  const config = { main: 'main.js', output: 'sea.blob', disableExperimentalSEAWarning: true, useSnapshot: false, useCodeCache: codeCache };
  writeFileSync(join(work, 'sea-config.json'), `${JSON.stringify(config)}\n`);
  // V8's code cache differs from run to run (hash seeds, concurrent compilation); --predictable
  // makes it the same bytes every time, and V8 still accepts it at run time (measured here: the
  // same start-up CPU as a cache made without it, ~9 ms below no cache).
  run(args.generator, ['--predictable', '--experimental-sea-config', 'sea-config.json'], work);
  return readFileSync(join(work, 'sea.blob'));
}

/** A copy of the target Node with the blob injected and the fuse flipped (postject). */
async function makeSea(work, args, blob, layout) {
  const sea = join(work, 'sea');
  copyFileSync(args.node, sea);
  chmodSync(sea, 0o755);
  const { inject } = createRequire(import.meta.url)(resolve(args.postject));
  // postject reports progress and a harmless ELF warning (".note.100") on the console.
  const log = console.log;
  const warn = console.warn;
  console.log = () => {};
  console.warn = () => {};
  try {
    await inject(sea, 'NODE_SEA_BLOB', blob, { sentinelFuse: SEA_FUSE, ...(layout.machoSegment ? { machoSegmentName: layout.machoSegment } : {}) });
  } finally {
    console.log = log;
    console.warn = warn;
  }
  const bytes = readFileSync(sea);
  if (bytes.indexOf(`${SEA_FUSE}:1`) === -1) throw new Error('postject left the SEA fuse unflipped');
  return sea;
}

/**
 * For a package that ships no licence file (@bufbuild/protobuf): what its manifest declares, and
 * the standard text of each licence in it that Debian keeps in /usr/share/common-licenses. A
 * licence neither shipped nor found there stops the build: nothing ships without its licence.
 */
function declaredLicenseText(name, manifest, commonLicenses) {
  const ids = String(manifest.license ?? '').match(/[A-Za-z0-9.+-]+/g)?.filter((id) => !['AND', 'OR', 'WITH'].includes(id)) ?? [];
  if (ids.length === 0) throw new Error(`${name}: no licence file and no "license" in package.json; it cannot be shipped`);
  const parts = [`The npm package ${name}@${manifest.version} ships no licence file; its package.json declares "${manifest.license}".`];
  for (const id of ids) {
    const standard = commonLicenses && join(commonLicenses, id);
    if (standard && existsSync(standard)) {
      parts.push(`${id}, as Debian's /usr/share/common-licenses/${id} has it:\n\n${readFileSync(standard, 'utf8')}`);
    } else if (id === 'BSD-3-Clause') {
      // Not among Debian's common licences: its text is copyright-specific; the package names Google's protobuf.
      parts.push('BSD-3-Clause: the part of the package derived from Google\'s Protocol Buffers (Copyright 2008 Google Inc.), under the licence that project ships as LICENSE (BSD-3-Clause).');
    } else {
      throw new Error(`${name}: no licence file, and no standard text for ${id}; it cannot be shipped`);
    }
  }
  return parts.join('\n\n');
}

/** The licence components of this bundle, in NOTICE order. */
function components(args, platform) {
  const { os } = parsePlatform(platform);
  const nodeVersion = readFileSync(args['node-version'], 'utf8').trim();
  const out = [
    {
      name: 'Node.js',
      version: nodeVersion,
      license: 'MIT; its own dependencies\' licences are part of its LICENSE text',
      how: `the runtime of the single executable application (${bundleLayout(platform).sea}), unmodified except for the injected program`,
      source: `Node.js v${nodeVersion}, the official release`,
      text: readFileSync(args['node-license'], 'utf8'),
    },
  ];
  if (os === 'linux') {
    if (!args['bwrap-copying'] || !args['protobuf-c-copyright']) throw new Error('a Linux bundle needs --bwrap-copying and --protobuf-c-copyright');
    out.push({
      name: 'bubblewrap',
      version: '0.12.0',
      license: 'LGPL-2.0-or-later',
      how: 'codex-resources/bwrap, built unmodified from the upstream release (a separate program, run as a child process)',
      source: 'bubblewrap-0.12.0.tar.xz, SHA-256 9760d007363e3abba7c747489910f9f82d9fca53ba3bd3282e396fa3c97a3314, https://github.com/containers/bubblewrap/releases/tag/v0.12.0',
      text: readFileSync(args['bwrap-copying'], 'utf8'),
    });
    out.push({
      name: 'protobuf-c (libprotobuf-c)',
      version: '1.4.1 (Debian 12)',
      license: 'BSD-2-Clause',
      how: 'linked statically into codex-resources/codex-netns-helper',
      source: "Debian 12's protobuf-c source package",
      text: readFileSync(args['protobuf-c-copyright'], 'utf8'),
    });
  }
  const inputs = readFileSync(args['bundle-inputs'], 'utf8').split('\n').filter(Boolean);
  for (const name of bundledPackageNames(inputs)) {
    const dir = join(args['node-modules'], name);
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    const licenseFile = readdirSync(dir).filter((f) => /^(licen[cs]e|copying)(\.(md|txt))?$/i.test(f)).sort()[0];
    out.push({
      name: `${name} (npm)`,
      version: manifest.version,
      license: manifest.license,
      how: 'bundled into the program (JavaScript inside the single executable application)',
      text: licenseFile !== undefined ? readFileSync(join(dir, licenseFile), 'utf8') : declaredLicenseText(name, manifest, args['common-licenses']),
    });
  }
  return out;
}

function filesUnder(root, dir = root) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? filesUnder(root, path) : [relative(root, path)];
  });
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const platform = args.platform;
  const layout = bundleLayout(platform);
  const name = bundleName(args.version, platform);
  if (layout.launcher && !args.launcher) throw new Error(`${platform} needs --launcher`);
  const work = mkdtempSync(join(tmpdir(), 'codex-release-'));
  try {
    const main = seaMainScript(readFileSync(args.prologue, 'utf8'), readFileSync(args.program, 'utf8'));
    const blob = writeBlob(work, args, main);
    const sea = await makeSea(work, args, blob, layout);

    const root = join(work, 'stage', name);
    const place = (from, to, mode) => {
      mkdirSync(dirname(join(root, to)), { recursive: true });
      copyFileSync(from, join(root, to));
      chmodSync(join(root, to), mode);
    };
    place(sea, layout.sea, 0o755);
    if (layout.launcher) place(args.launcher, layout.launcher, 0o755);
    const given = new Map(args.resource.map((r) => [`codex-resources/${r.slice(0, r.indexOf('='))}`, r.slice(r.indexOf('=') + 1)]));
    for (const resource of layout.resources) {
      if (!given.has(resource)) throw new Error(`${platform} needs --resource ${resource.replace('codex-resources/', '')}=<file>`);
      place(given.get(resource), resource, 0o755);
      given.delete(resource);
    }
    if (given.size > 0) throw new Error(`${platform} has no place for ${[...given.keys()].join(', ')}`);
    const parts = components(args, platform);
    writeFileSync(join(root, 'NOTICE'), noticeText({ bundle: `${name}: codex sandbox, a host sandbox for commands`, components: parts, ownLicense: 'no licence is declared in its repository yet (ask its maintainers)' }));
    writeFileSync(join(root, 'LICENSE'), licenseText(parts));
    for (const file of ['NOTICE', 'LICENSE']) chmodSync(join(root, file), 0o644);
    const sums = filesUnder(root).map((path) => ({ path: path.split('\\').join('/'), sha256: sha256(readFileSync(join(root, path))) }));
    writeFileSync(join(root, 'SHA256SUMS'), sha256sumsText(sums));
    chmodSync(join(root, 'SHA256SUMS'), 0o644);
    for (const dir of [root, join(root, 'codex-resources')]) if (existsSync(dir) && statSync(dir).isDirectory()) chmodSync(dir, 0o755);

    // GNU tar with everything that varies between machines and runs fixed; gzip without name or time.
    const tar = join(work, 'bundle.tar');
    run('/usr/bin/tar', ['--sort=name', '--format=gnu', '--owner=0', '--group=0', '--numeric-owner', '--mtime=@0', '-cf', tar, '-C', join(work, 'stage'), name], work);
    run('/usr/bin/gzip', ['-9', '-n', tar], work);
    mkdirSync(dirname(resolve(args.out)), { recursive: true });
    copyFileSync(`${tar}.gz`, resolve(args.out));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((error) => {
  process.stderr.write(`make-bundle: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
