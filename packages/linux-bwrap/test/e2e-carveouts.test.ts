// End to end, issue 10: carve-outs hold against a command that attacks them, through the bundled
// front end, real bubblewrap (system and codex-bwrap), as root and as an unprivileged user.
// Item 10: several carve-outs below one missing directory start, stay read-only / denied and leave
// nothing behind (also with a concurrent run). Item 8: renaming or replacing a directory between a
// writable root and a carve-out fails, so the next run's policy still protects the host file.
// Item 5: protected paths (CODEX_HOME) cannot be rewritten or created. Item 11: `.aws`.

import * as fs from 'node:fs';
import * as path from 'node:path';

import { builtinProfile, resolveSandboxPolicy, type ResolvedSandboxPolicy } from '@codex-sandbox/policy';

import {
  createFixture,
  killLeftoverDrivers,
  makeWorkspace,
  PROBE_PRELUDE,
  runDriver,
  startDriver,
  VARIANT_NAMES,
  variantNamed,
  workspacePolicy,
  writableRoot,
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


function lines(text: string): string[] {
  return text.split('\n').filter((l) => l !== '');
}

/** Every path below `dir` with its content (files) or `/` (directories), to compare trees. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string): void => {
    for (const entry of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const child = path.join(rel, entry.name);
      if (entry.isDirectory()) {
        out[`${child}/`] = '';
        walk(child);
      } else {
        out[child] = fs.readFileSync(path.join(dir, child), 'utf8');
      }
    }
  };
  walk('');
  return out;
}

/** Shapes of item 10: read-only (`ro`) and denied paths, relative to the workspace. */
const MISSING_PARENT_SHAPES: Array<[string, { files?: Record<string, string>; ro?: string[]; deny?: string[] }]> = [
  ['.claude/commands and .claude/agents read-only, no .claude', { ro: ['.claude/commands', '.claude/agents'] }],
  ['x/a and x/b denied, no x', { deny: ['x/a', 'x/b'] }],
  ['x/a and x/a/b read-only, no x', { ro: ['x/a', 'x/a/b'] }],
  ['x/a read-only and x/a/b denied, no x', { ro: ['x/a'], deny: ['x/a/b'] }],
  ['sub/x/a and sub/x/b read-only below an existing sub', { files: { 'sub/keep': 'k' }, ro: ['sub/x/a', 'sub/x/b'] }],
];

describe.each(VARIANT_NAMES)('%s', (variantName) => {
  let variant: Variant;
  beforeAll(() => {
    variant = variantNamed(fixture, variantName);
  });

  function sh(ws: string, policy: ResolvedSandboxPolicy, script: string, protectedPaths?: string[]) {
    return runDriver(fixture, variant, {
      policy,
      command: ['sh', '-c', PROBE_PRELUDE + script],
      commandCwd: ws,
      ...(protectedPaths === undefined ? {} : { protectedPaths }),
    });
  }

  function carveOutPolicy(ws: string, ro: string[], deny: string[], extraRoots: string[] = []): ResolvedSandboxPolicy {
    return workspacePolicy(ws, {
      writableRoots: [writableRoot(ws, ro.map((r) => path.join(ws, r))), ...extraRoots.map((r) => writableRoot(path.join(ws, r)))],
      unreadableRoots: deny.map((d) => path.join(ws, d)),
      ...(deny.length > 0 ? { fullDiskRead: false, readableRoots: ['/'] } : {}),
    });
  }

  it.each(MISSING_PARENT_SHAPES)('item 10: %s: the run starts, nothing can be created there, nothing is left behind', async (_name, shape) => {
    const ws = makeWorkspace(variant, shape.files ?? {});
    const before = snapshot(ws);
    const carveOuts = [...(shape.ro ?? []), ...(shape.deny ?? [])];
    const probes = carveOuts.map((c) => `p create-${c} 'mkdir -p ${c} || { mkdir -p $(dirname ${c}) && echo x > ${c}; }'`);
    const result = await sh(ws, carveOutPolicy(ws, shape.ro ?? [], shape.deny ?? []), [...probes, `p write-ws 'echo ok > plain.txt'`].join('; '));
    expect([result.code, result.stderr]).toEqual([0, '']);
    expect(lines(result.stdout)).toEqual([...carveOuts.map((c) => `create-${c}:denied`), 'write-ws:ok']);
    expect(snapshot(ws)).toEqual({ ...before, 'plain.txt': 'ok\n' });
  });

  it('item 10: a second run while the first holds the placeholder of a missing parent succeeds, and both clean up', async () => {
    const ws = makeWorkspace(variant);
    const policy = carveOutPolicy(ws, ['.claude/commands'], []);
    const go = path.join(variant.home, `go-carveouts-${process.pid}-${Date.now()}`);
    const slow = startDriver(fixture, variant, {
      policy,
      command: ['sh', '-c', `echo ready; while [ ! -e ${go} ]; do sleep 0.02; done; mkdir -p .claude/commands 2>/dev/null && echo CREATED || echo BLOCKED`],
      commandCwd: ws,
    });
    await slow.waitFor('ready');
    // The first run's bwrap created the empty read-only placeholder file `.claude` on the host.
    expect(fs.statSync(path.join(ws, '.claude')).isFile()).toBe(true);
    const fast = await sh(ws, policy, `p create 'mkdir -p .claude/commands'`);
    expect([fast.code, fast.stdout, fast.stderr]).toEqual([0, 'create:denied\n', '']);
    fs.writeFileSync(go, '');
    expect(await slow.exited).toBe(0);
    expect(slow.stdout()).toBe('ready\nBLOCKED\n');
    expect(fs.readdirSync(ws)).toEqual([]);
  });

  it('item 8: moving the parent of a read-only carve-out away and recreating it fails; the host file is untouched', async () => {
    const ws = makeWorkspace(variant, { 'sub/ro/r.txt': 'orig', 'a/b/c/ro/r.txt': 'deep' });
    const policy = carveOutPolicy(ws, ['sub/ro', 'a/b/c/ro'], []);
    const result = await sh(
      ws,
      policy,
      [
        `p attack 'mv sub sub_moved && mkdir -p sub/ro && echo EVIL > sub/ro/r.txt'`,
        `p mv-a 'mv a a_moved'`,
        `p mv-a-b 'mv a/b a/b_moved'`,
        `p mv-a-b-c 'mv a/b/c a/c_moved'`,
        `p rm-a-b 'rm -rf a/b'`,
        `p mv-ro 'mv a/b/c/ro a/b/c/ro_moved'`,
        `p write-ro 'echo EVIL > a/b/c/ro/r.txt'`,
        `p write-beside 'echo ok > a/b/c/new.txt && echo ok > sub/new.txt'`,
      ].join('; '),
    );
    expect(result.stderr).toBe('');
    expect(lines(result.stdout)).toEqual([
      'attack:denied',
      'mv-a:denied',
      'mv-a-b:denied',
      'mv-a-b-c:denied',
      'rm-a-b:denied',
      'mv-ro:denied',
      'write-ro:denied',
      'write-beside:ok',
    ]);
    expect(fs.readFileSync(path.join(ws, 'sub/ro/r.txt'), 'utf8')).toBe('orig');
    expect(fs.readFileSync(path.join(ws, 'a/b/c/ro/r.txt'), 'utf8')).toBe('deep');
    expect(fs.readdirSync(ws).sort()).toEqual(['a', 'sub']);
  });

  it('item 8: the deny variant: after the attack, the next run under the same policy still cannot read the secret', async () => {
    const ws = makeWorkspace(variant, { 'sub/deeper/secret.txt': 'SECRET', 'keys/k/id': 'KEY' });
    const policy = carveOutPolicy(ws, [], ['sub/deeper/secret.txt', 'keys/k']);
    const attack = await sh(
      ws,
      policy,
      [
        `p mv-sub 'mv sub sub_moved && mkdir -p sub/deeper && echo decoy > sub/deeper/secret.txt'`,
        `p mv-deeper 'mv sub/deeper sub/moved'`,
        `p mv-keys 'mv keys keys_moved && mkdir -p keys/k'`,
      ].join('; '),
    );
    expect(lines(attack.stdout)).toEqual(['mv-sub:denied', 'mv-deeper:denied', 'mv-keys:denied']);
    expect(fs.readFileSync(path.join(ws, 'sub/deeper/secret.txt'), 'utf8')).toBe('SECRET');
    const next = await sh(ws, policy, `p read-secret 'grep -rq SECRET .'; p read-key 'grep -rq KEY .'`);
    expect(lines(next.stdout)).toEqual(['read-secret:denied', 'read-key:denied']);
  });

  it("item 8: a nested writable root cannot be carried away with its protected metadata", async () => {
    const ws = makeWorkspace(variant, { 'a/r/.git/config': 'orig', 'a/r/src.txt': 's' });
    const policy = workspacePolicy(ws, {
      writableRoots: [writableRoot(ws), writableRoot(path.join(ws, 'a/r'), [path.join(ws, 'a/r/.git')])],
    });
    const result = await sh(
      ws,
      policy,
      `p attack 'mv a a_moved && mkdir -p a/r/.git && echo EVIL > a/r/.git/config'; p write-nested 'echo ok > a/r/new.txt'`,
    );
    expect(lines(result.stdout)).toEqual(['attack:denied', 'write-nested:ok']);
    expect(fs.readFileSync(path.join(ws, 'a/r/.git/config'), 'utf8')).toBe('orig');
  });

  it('item 5: a protected CODEX_HOME inside the workspace cannot be rewritten, moved or created', async () => {
    const ws = makeWorkspace(variant, { 'home/config.toml': 'sandbox_mode = "read-only"\n' });
    const home = path.join(ws, 'home');
    const missing = path.join(ws, 'deep', 'newhome');
    fs.mkdirSync(path.dirname(missing));
    fs.chownSync(path.dirname(missing), variant.uid, variant.uid);
    const protectedPaths = [home, path.join(home, 'config.toml'), missing, path.join(missing, 'config.toml')];
    const result = await sh(
      ws,
      workspacePolicy(ws),
      [
        `p rewrite 'echo sandbox_mode = \\"danger-full-access\\" > home/config.toml'`,
        `p add 'echo x > home/other.toml'`,
        `p move 'mv home home2 && mkdir home && echo evil > home/config.toml'`,
        `p remove 'rm -rf home'`,
        `p create 'mkdir -p ${missing} && echo evil > ${missing}/config.toml'`,
        `p move-parent 'mv deep deep2 && mkdir -p ${missing}'`,
        `p write-ws 'echo ok > plain.txt'`,
      ].join('; '),
      protectedPaths,
    );
    expect([result.code, result.stderr]).toEqual([0, '']);
    expect(lines(result.stdout)).toEqual(['rewrite:denied', 'add:denied', 'move:denied', 'remove:denied', 'create:denied', 'move-parent:denied', 'write-ws:ok']);
    expect(snapshot(ws)).toEqual({ 'deep/': '', 'home/': '', 'home/config.toml': 'sandbox_mode = "read-only"\n', 'plain.txt': 'ok\n' });
  });

  it('item 11: `.aws` is read-only under :workspace, existing or not', async () => {
    const ws = makeWorkspace(variant, { 'repo/.aws/credentials': 'orig' });
    const repo = path.join(ws, 'repo');
    const policy = resolveSandboxPolicy(builtinProfile(':workspace'), { cwd: ws, workspaceRoots: [ws, repo], env: {} });
    const result = await sh(
      ws,
      policy,
      `p write-existing 'echo evil > repo/.aws/credentials'; p create-missing 'mkdir -p .aws && echo evil > .aws/credentials'; p write-ws 'echo ok > plain.txt'`,
    );
    expect(lines(result.stdout)).toEqual(['write-existing:denied', 'create-missing:denied', 'write-ws:ok']);
    expect(fs.readFileSync(path.join(repo, '.aws/credentials'), 'utf8')).toBe('orig');
    expect(fs.existsSync(path.join(ws, '.aws'))).toBe(false);
  });
});
