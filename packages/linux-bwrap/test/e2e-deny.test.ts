// End to end (issue 10, item 9): deny entries and deny globs deny what they say, under real bwrap,
// as root and as an unprivileged user, with the ripgrep + find scan and with the in-process walker.
// Policies come from the policy package's own resolution, so a `..` spelled through a symlink goes
// the whole way: profile -> resolveSandboxPolicy -> bwrap argv -> what the command can read.

import * as fs from 'node:fs';
import * as path from 'node:path';

import { resolveSandboxPolicy, type FileSystemSandboxEntry, type PermissionProfile, type ResolvedSandboxPolicy } from '@codex-sandbox/policy';

import type { SandboxPlan } from '../src/run-plan.js';
import {
  createFixture,
  killLeftoverDrivers,
  makeWorkspace,
  PROBE_PRELUDE,
  runDriver,
  VARIANT_NAMES,
  variantNamed,
  type Fixture,
  type Variant,
} from './support/e2e.js';

jest.setTimeout(60_000);

let fixture: Fixture;
beforeAll(() => {
  fixture = createFixture();
});
afterEach(() => killLeftoverDrivers());
afterAll(() => fixture.dispose());

const lines = (text: string): string[] => text.split('\n').filter((l) => l !== '');
const entry = (p: string, access: FileSystemSandboxEntry['access']): FileSystemSandboxEntry => ({ path: { type: 'path', path: p }, access });
const glob = (pattern: string): FileSystemSandboxEntry => ({ path: { type: 'glob_pattern', pattern }, access: 'deny' });
const rootRead: FileSystemSandboxEntry = { path: { type: 'special', value: { kind: 'root' } }, access: 'read' };
const managed = (entries: FileSystemSandboxEntry[]): PermissionProfile => ({ type: 'managed', fileSystem: { type: 'restricted', entries }, network: 'restricted' });
const resolve = (profile: PermissionProfile, cwd: string): ResolvedSandboxPolicy => resolveSandboxPolicy(profile, { cwd, workspaceRoots: [], env: {} });

// The sandbox finds rg and find on this PATH; on the other it finds neither and walks in-process.
const SCANNERS: Array<[string, string]> = [
  ['ripgrep + find', '/usr/bin:/bin'],
  ['walker', '/nonexistent-codex-sandbox-bin'],
];

describe.each(VARIANT_NAMES)('%s', (variantName) => {
  let variant: Variant;
  beforeAll(() => {
    variant = variantNamed(fixture, variantName);
  });

  const sh = (ws: string, policy: ResolvedSandboxPolicy, script: string, lookupPath?: string) =>
    runDriver(fixture, variant, {
      policy,
      command: ['sh', '-c', PROBE_PRELUDE + script],
      commandCwd: ws,
      ...(lookupPath === undefined ? {} : { lookupPath }),
    });

  /** ws/lnk -> ws/sub/dir, so ws/lnk/.. is ws/sub; text normalisation would say ws. */
  function linkedWorkspace(files: Record<string, string> = {}): string {
    const ws = makeWorkspace(variant, { 'sub/dir/keep': '', 'sub/secret.txt': 'SECRET', 'sub/ro/r.txt': 'r', 'sub/wr/keep': '', ...files });
    fs.symlinkSync('sub/dir', path.join(ws, 'lnk'));
    fs.lchownSync(path.join(ws, 'lnk'), variant.uid, variant.uid);
    return ws;
  }

  it('a deny entry spelled through a symlink and `..` hides the real file', async () => {
    const ws = linkedWorkspace();
    const policy = resolve(managed([rootRead, entry(ws, 'write'), entry(`${ws}/lnk/../secret.txt`, 'deny')]), ws);
    const result = await sh(ws, policy, `p real 'cat sub/secret.txt'; p spelled 'cat lnk/../secret.txt'; p text 'test ! -e secret.txt'`);
    expect(result.stderr).toBe('');
    // `text`: nothing was created at the textual spelling either (no placeholder for a wrong path).
    expect(lines(result.stdout)).toEqual(['real:denied', 'spelled:denied', 'text:ok']);
    expect(fs.readFileSync(path.join(ws, 'sub/secret.txt'), 'utf8')).toBe('SECRET');
  });

  it('a read-only carve-out and a writable root spelled through `..` protect and grant the real places', async () => {
    const ws = linkedWorkspace();
    const carveOut = resolve(managed([rootRead, entry(ws, 'write'), entry(`${ws}/lnk/../ro`, 'read')]), ws);
    const first = await sh(ws, carveOut, `p write-real-ro 'echo x > sub/ro/r.txt'; p read-real-ro 'cat sub/ro/r.txt'; p write-ws 'echo x > new.txt'`);
    expect(lines(first.stdout)).toEqual(['write-real-ro:denied', 'read-real-ro:ok', 'write-ws:ok']);
    expect(fs.readFileSync(path.join(ws, 'sub/ro/r.txt'), 'utf8')).toBe('r');

    const grant = resolve(managed([rootRead, entry(`${ws}/lnk/../wr`, 'write')]), ws);
    const second = await sh(ws, grant, `p write-real 'echo x > sub/wr/f'; p write-text 'mkdir wr'; p write-other 'echo x > sub/other'`);
    expect(lines(second.stdout)).toEqual(['write-real:ok', 'write-text:denied', 'write-other:denied']);
  });

  describe.each(SCANNERS)('deny globs scanned with %s', (_scanner, lookupPath) => {
    it('mask a matching directory with its subtree, a matching symlink and its target (inside or outside the workspace)', async () => {
      const ws = makeWorkspace(variant, {
        'dir.env/inner.txt': 'IN',
        'dir.env/deep/x.txt': 'DEEP',
        'data/public.txt': 'TARGET',
        'plain.txt': 'PLAIN',
        'a/b/c.env': 'C',
      });
      const outsideDir = makeWorkspace(variant, { 'o.txt': 'OUTSIDE' });
      for (const [name, target] of [
        ['link.env', 'data/public.txt'],
        ['out.env', path.join(outsideDir, 'o.txt')],
      ] as const) {
        fs.symlinkSync(target, path.join(ws, name));
        fs.lchownSync(path.join(ws, name), variant.uid, variant.uid);
      }
      const policy = resolve(managed([rootRead, entry(ws, 'write'), glob(`${ws}/**/*.env`)]), ws);
      const result = await sh(
        ws,
        policy,
        [
          `p dir-file 'cat dir.env/inner.txt'`,
          `p dir-deep 'cat dir.env/deep/x.txt'`,
          `p dir-list 'ls dir.env'`,
          `p link 'cat link.env'`,
          `p link-target 'cat data/public.txt'`,
          `p link-outside 'cat out.env'`,
          `p outside-target 'cat ${outsideDir}/o.txt'`,
          `p nested 'cat a/b/c.env'`,
          `p plain 'cat plain.txt'`,
        ].join('; '),
        lookupPath,
      );
      expect(result.stderr).toBe('');
      expect(lines(result.stdout)).toEqual([
        'dir-file:denied',
        'dir-deep:denied',
        'dir-list:denied',
        'link:denied',
        'link-target:denied',
        'link-outside:denied',
        'outside-target:denied',
        'nested:denied',
        'plain:ok',
      ]);

      const planned = await runDriver(fixture, variant, { policy, command: ['true'], commandCwd: ws, planOnly: true, lookupPath });
      const plan = JSON.parse(planned.stdout) as SandboxPlan;
      expect(plan.denyGlobMatches).toEqual(
        [path.join(ws, 'a/b/c.env'), path.join(ws, 'data/public.txt'), path.join(ws, 'dir.env'), path.join(outsideDir, 'o.txt')].sort(),
      );
    });
  });
});
