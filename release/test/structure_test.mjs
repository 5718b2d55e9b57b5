// What can be checked of a bundle here without running it (macOS and Windows bundles cannot run on
// this machine, nor can linux-arm64): the layout for its platform, SHA256SUMS, that the SEA is the
// pinned Node binary for that OS and architecture (executable format, CPU, version string) with
// our program injected and postject's fuse flipped, that Linux resources are built for the same
// CPU and their digests are the ones embedded in the program, and the licence files.
//   node structure_test.mjs ARCHIVE PLATFORM NODE_VERSION_FILE TARGET_NODE
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

import { SEA_FUSE, bundleLayout } from '../scripts/layout.mjs';

const [archive, platform, versionFile, targetNode] = process.argv.slice(2);
const version = readFileSync(versionFile, 'utf8').trim();
let failures = 0;
function check(name, fn) {
  let ok = false;
  let why = '';
  try {
    ok = fn() === true;
  } catch (error) {
    why = ` (${error instanceof Error ? error.message : String(error)})`;
  }
  process.stdout.write(`${ok ? 'ok' : 'FAIL'} - ${platform}: ${name}${ok ? '' : why}\n`);
  if (!ok) failures += 1;
}

/** Executable format and CPU from the header: ELF e_machine, PE Machine, Mach-O cputype. */
function executableKind(bytes) {
  if (bytes.readUInt32BE(0) === 0x7f454c46) {
    const machine = bytes.readUInt16LE(18);
    return { format: 'elf', cpu: { 0x3e: 'x64', 0xb7: 'arm64' }[machine] ?? `machine ${machine}` };
  }
  if (bytes.toString('latin1', 0, 2) === 'MZ') {
    const pe = bytes.readUInt32LE(0x3c);
    if (bytes.toString('latin1', pe, pe + 4) !== 'PE\0\0') return { format: 'unknown' };
    const machine = bytes.readUInt16LE(pe + 4);
    return { format: 'pe', cpu: { 0x8664: 'x64', 0xaa64: 'arm64' }[machine] ?? `machine ${machine}` };
  }
  if (bytes.readUInt32LE(0) === 0xfeedfacf) {
    const cpu = bytes.readUInt32LE(4);
    return { format: 'macho', cpu: { 0x01000007: 'x64', 0x0100000c: 'arm64' }[cpu] ?? `cputype ${cpu}` };
  }
  return { format: 'unknown' };
}

/** Mach-O load command numbers of a 64-bit image (LC_CODE_SIGNATURE is 0x1d). */
function machoLoadCommands(bytes) {
  const count = bytes.readUInt32LE(16);
  const out = [];
  let at = 32;
  for (let i = 0; i < count; i += 1) {
    out.push(bytes.readUInt32LE(at));
    at += bytes.readUInt32LE(at + 4);
  }
  return out;
}
const LC_CODE_SIGNATURE = 0x1d;

const work = mkdtempSync(join(tmpdir(), 'codex-release-structure-'));
try {
  const tar = spawnSync('tar', ['-xzf', archive, '-C', work], { encoding: 'utf8' });
  if (tar.status !== 0) throw new Error(`tar: ${tar.stderr}`);
  const [top] = readdirSync(work);
  const root = join(work, top);
  const layout = bundleLayout(platform);
  const [os, arch] = platform.split('-');
  const files = (dir) => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : [relative(root, join(dir, e.name))]));
  const sha256 = (file) => createHash('sha256').update(readFileSync(join(root, file))).digest('hex');

  check(`the archive holds one directory, codex-sandbox-<version>-${platform}`, () => readdirSync(work).length === 1 && top.endsWith(`-${platform}`));
  const expected = [layout.frontEnd, layout.sea, ...layout.resources, 'LICENSE', 'NOTICE', 'SHA256SUMS'];
  check(`its files are exactly ${[...new Set(expected)].sort().join(', ')}`, () => JSON.stringify(files(root).sort()) === JSON.stringify([...new Set(expected)].sort()));
  check('SHA256SUMS lists every other file with its digest', () => {
    const listed = readFileSync(join(root, 'SHA256SUMS'), 'utf8').trim().split('\n').map((line) => line.split('  '));
    return JSON.stringify(listed.map(([, f]) => f)) === JSON.stringify(files(root).filter((f) => f !== 'SHA256SUMS').sort()) && listed.every(([d, f]) => d === sha256(f));
  });
  check('executables are 0755, the rest 0644', () =>
    files(root).every((f) => (statSync(join(root, f)).mode & 0o777) === ([layout.frontEnd, layout.sea, ...layout.resources].includes(f) ? 0o755 : 0o644)),
  );

  const sea = readFileSync(join(root, layout.sea));
  const node = readFileSync(targetNode);
  const want = { linux: 'elf', darwin: 'macho', win32: 'pe' }[os];
  check(`the SEA is a ${want} ${arch} executable, as the pinned Node binary is`, () => {
    const a = executableKind(sea);
    const b = executableKind(node);
    return a.format === want && a.cpu === arch && b.format === want && b.cpu === arch;
  });
  check(`the SEA is Node ${version} (its version string)`, () => sea.includes(`v${version}`) && node.includes(`v${version}`));
  if (want === 'macho') {
    // postject drops the signature it invalidates: the bundle must be signed (codesign) before it
    // can run on Apple silicon; the pipeline does that on a macOS runner (ci/workflow.yml).
    check('the pinned binary is code-signed and the SEA carries no signature (it must be signed on macOS)', () =>
      machoLoadCommands(node).includes(LC_CODE_SIGNATURE) && !machoLoadCommands(sea).includes(LC_CODE_SIGNATURE),
    );
  } else {
    check('the SEA is no smaller than the pinned binary (the blob was added)', () => sea.length > node.length);
  }
  check("postject's fuse is flipped in the SEA and unflipped in the pinned binary", () =>
    sea.includes(`${SEA_FUSE}:1`) && !sea.includes(`${SEA_FUSE}:0`) && node.includes(`${SEA_FUSE}:0`),
  );
  check('the SEA carries our program (the prologue and the CLI)', () => sea.includes('is started by the codex launcher of its release bundle') && sea.includes('codex sandbox'));
  if (layout.machoSegment) check(`the blob sits in a ${layout.machoSegment} Mach-O segment`, () => sea.includes(Buffer.from(`${layout.machoSegment}\0`)));
  if (layout.launcher) {
    check('the launcher is the sh script that execs codex-resources/codex-sea', () => readFileSync(join(root, layout.launcher), 'utf8').startsWith('#!/bin/sh\n') && readFileSync(join(root, layout.launcher), 'utf8').includes('exec "$CODEX_SANDBOX_SEA" "$@"'));
  }
  for (const resource of layout.resources) {
    const bytes = readFileSync(join(root, resource));
    check(`${resource} is an ELF ${arch} executable`, () => {
      const kind = executableKind(bytes);
      return kind.format === 'elf' && kind.cpu === arch;
    });
    check(`${resource}'s SHA-256 is embedded in the program`, () => sea.includes(sha256(resource)));
  }
  const notice = readFileSync(join(root, 'NOTICE'), 'utf8');
  const license = readFileSync(join(root, 'LICENSE'), 'utf8');
  check(`NOTICE names Node.js ${version}${os === 'linux' ? ', bubblewrap 0.12.0 and protobuf-c' : ''} and the bundled npm packages`, () =>
    notice.includes(`Node.js ${version}`) && notice.includes('smol-toml (npm)') && (os !== 'linux' || (notice.includes('bubblewrap 0.12.0 (LGPL-2.0-or-later)') && notice.includes('protobuf-c'))),
  );
  check("LICENSE holds Node's licence text" + (os === 'linux' ? " and bubblewrap's LGPL" : ''), () =>
    license.includes('Node.js is licensed for use as follows') && (os !== 'linux' || license.includes('GNU LIBRARY GENERAL PUBLIC LICENSE') || license.includes('GNU LESSER GENERAL PUBLIC LICENSE')),
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}
process.exit(failures === 0 ? 0 : 1);
