// M5 to M8, M10 on this host's real filesystem (temp dirs): how the resolved policy's paths are
// spelled for Seatbelt, and the writable-root refusals.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { resolveSandboxPolicy } from '@codex-sandbox/policy';
import { denyGlobVariants, normalizeWritableRoot, protectedAncestorsOf, seatbeltInputFor } from '../src/host-paths.js';
import { SeatbeltPolicyError } from '../src/errors.js';
import { planSeatbelt } from '../src/plan.js';

let dir: string;
beforeEach(() => {
  dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'seatbelt-host-')));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('writable roots (M6)', () => {
  test('a symlink below the top-level component is refused with the reference error', () => {
    fs.mkdirSync(path.join(dir, 'real'));
    fs.symlinkSync(path.join(dir, 'real'), path.join(dir, 'link'));
    const root = path.join(dir, 'link', 'sub');
    expect(() => normalizeWritableRoot(root)).toThrow(SeatbeltPolicyError);
    expect(() => normalizeWritableRoot(root)).toThrow(`writable root ${root} contains symlink component ${path.join(dir, 'link')}; symlinked writable roots are not supported`);
  });

  test('directories and missing paths are subpaths, an existing file is a literal', () => {
    fs.writeFileSync(path.join(dir, 'f'), 'x');
    expect(normalizeWritableRoot(dir)).toEqual({ root: dir, filter: 'subpath' });
    expect(normalizeWritableRoot(path.join(dir, 'missing/deeper'))).toEqual({ root: path.join(dir, 'missing/deeper'), filter: 'subpath' });
    expect(normalizeWritableRoot(path.join(dir, 'f'))).toEqual({ root: path.join(dir, 'f'), filter: 'literal' });
  });

  // A top-level alias like macOS's /tmp -> /private/tmp. This Debian host has /bin -> usr/bin.
  const alias = fs.readdirSync('/').find((name) => fs.lstatSync(`/${name}`).isSymbolicLink() && fs.statSync(`/${name}`).isDirectory());
  (alias === undefined ? test.skip : test)('a symlinked top-level component is resolved, not refused', () => {
    const target = fs.realpathSync(`/${alias}`);
    expect(normalizeWritableRoot(`/${alias}/codex-missing-x`)).toEqual({ root: `${target}/codex-missing-x`, filter: 'subpath' });
  });
});

describe('protected ancestors (M7)', () => {
  test.each<[string, string[], string[]]>([
    ['/w', ['/w/.git'], []],
    ['/w', ['/w/a/b/.git', '/w/a/c'], ['/w/a', '/w/a/b']],
    ['/', ['/a/b'], ['/a']],
    ['/w', ['/elsewhere/x'], []],
  ])('root %s, read-only %j -> %j', (root, ro, expected) => {
    expect(protectedAncestorsOf(root, ro)).toEqual(expected);
  });
});

describe('deny glob variants (M8)', () => {
  test('a glob whose static prefix runs through a symlink also gets the canonical variant', () => {
    fs.mkdirSync(path.join(dir, 'real'));
    fs.symlinkSync(path.join(dir, 'real'), path.join(dir, 'link'));
    expect(denyGlobVariants(`${dir}/link/**/*.env`)).toEqual([`${dir}/link/**/*.env`, `${dir}/real/**/*.env`]);
    expect(denyGlobVariants(`${dir}/real/*.pem`)).toEqual([`${dir}/real/*.pem`]);
  });
});

describe('seatbeltInputFor + planSeatbelt on resolved profiles', () => {
  test(':workspace over a git repository: root, metadata guards, .git and .codex excluded (A4)', () => {
    fs.mkdirSync(path.join(dir, '.git'));
    const profile = { type: 'managed' as const, network: 'restricted' as const, fileSystem: { type: 'restricted' as const, entries: [
      { path: { type: 'special' as const, value: { kind: 'root' as const } }, access: 'read' as const },
      { path: { type: 'special' as const, value: { kind: 'workspace_roots' as const } }, access: 'write' as const },
      ...['.git', '.agents', '.codex'].map((name) => ({ path: { type: 'special' as const, value: { kind: 'workspace_roots' as const, subpath: name } }, access: 'read' as const, missingPathBehavior: 'skip' as const })),
    ] } };
    const resolved = resolveSandboxPolicy(profile, { cwd: dir, workspaceRoots: [], env: {} });
    const plan = planSeatbelt(resolved, ['/bin/echo', 'hi']);
    expect(plan.argv.slice(0, 2)).toEqual(['/usr/bin/sandbox-exec', '-p']);
    expect(plan.argv.slice(-3)).toEqual(['--', '/bin/echo', 'hi']);
    const params = plan.argv.filter((a) => a.startsWith('-D'));
    // `.codex` of the working directory is protected even while missing (P28); `.agents` is not there.
    expect(params).toEqual([`-DWRITABLE_ROOT_0=${dir}`, `-DWRITABLE_ROOT_0_EXCLUDED_0=${dir}/.codex`, `-DWRITABLE_ROOT_0_EXCLUDED_1=${dir}/.git`]);
    const escaped = dir.replace(/[.^$|()[\]{}*+?\\]/g, (c) => `\\${c}`);
    for (const name of ['git', 'agents', 'codex', 'aws']) expect(plan.policy.text).toContain(`(require-not (regex #"^${escaped}/\\.${name}(/.*)?$"))`);
    expect(plan.envAdditions).toEqual({ CODEX_SANDBOX: 'seatbelt' });
  });

  test('a symlinked writable root refuses the plan', () => {
    fs.mkdirSync(path.join(dir, 'real'));
    fs.symlinkSync(path.join(dir, 'real'), path.join(dir, 'link'));
    const profile = { type: 'managed' as const, network: 'restricted' as const, fileSystem: { type: 'restricted' as const, entries: [
      { path: { type: 'path' as const, path: path.join(dir, 'link') }, access: 'write' as const },
    ] } };
    const resolved = resolveSandboxPolicy(profile, { cwd: dir, workspaceRoots: [], env: {} });
    expect(() => planSeatbelt(resolved, ['/bin/true'])).toThrow(/symlinked writable roots are not supported/);
  });

  test('unix socket paths must be absolute; existing ones are canonicalised (M10)', () => {
    const resolved = resolveSandboxPolicy({ type: 'managed', network: 'restricted', fileSystem: { type: 'restricted', entries: [] } }, { cwd: dir, workspaceRoots: [], env: {} });
    expect(() => seatbeltInputFor(resolved, { unixSocketPaths: ['rel.sock'] })).toThrow(/not an absolute path/);
    fs.mkdirSync(path.join(dir, 'real'));
    fs.symlinkSync(path.join(dir, 'real'), path.join(dir, 'link'));
    const input = seatbeltInputFor(resolved, { unixSocketPaths: [`${dir}/link/s.sock`, `${dir}/real/s.sock`] });
    expect(input.network.unixSockets).toEqual({ kind: 'paths', paths: [`${dir}/real/s.sock`] });
  });
});
