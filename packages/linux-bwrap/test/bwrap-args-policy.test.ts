// Contract test with @codex-sandbox/policy: random managed profiles over a real tree are resolved
// by the policy package, turned into argv here and run under real bwrap; what the command can read
// and write must be what the policy package's own access query says (deny-glob hits included).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import {
  createAccessQuery,
  resolveSandboxPolicy,
  type FileSystemAccessMode,
  type FileSystemSandboxEntry,
  type PermissionProfile,
} from '@codex-sandbox/policy';
import { buildBwrapArgs } from '../src/bwrap-args.js';
import { expandDenyGlobs } from '../src/deny-globs.js';
import { assignDataDescriptors } from '../src/descriptors.js';
import { buildSeccompProgram } from '../src/seccomp.js';

const DIRS = ['a', 'a/c', 'a/c/e', 'a/d', 'b', 'b/c', '.git', 'a/.codex'];
const FILES = ['f', 'k.env', 'a/k.env', ...DIRS.map((d) => `${d}/f`)];
const POOL = [...DIRS, ...FILES, 'a/x', 'b/c/y'];
const GLOBS = ['**/*.env', '*.env', 'a/**/f'];

function bwrapBinary(): string {
  const bundled = process.env.CODEX_BWRAP_TEST_BINARY;
  if (!bundled) throw new Error('CODEX_BWRAP_TEST_BINARY must name the codex-bwrap binary for this test');
  return bundled;
}

interface Layout {
  rootRead: boolean;
  cwdWrite: boolean;
  entries: Array<[number, FileSystemAccessMode]>;
  globs: number[];
}

const layoutArbitrary: fc.Arbitrary<Layout> = fc.record({
  rootRead: fc.boolean(),
  cwdWrite: fc.boolean(),
  entries: fc.array(fc.tuple(fc.nat({ max: POOL.length - 1 }), fc.constantFrom<FileSystemAccessMode>('read', 'write', 'deny')), {
    maxLength: 6,
  }),
  globs: fc.array(fc.nat({ max: GLOBS.length - 1 }), { maxLength: 2 }),
});

describe('argv from resolved policies enforces the policy package access query', () => {
  const bwrap = bwrapBinary();
  let base: string;
  beforeAll(() => {
    base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'bwrap-policy-')));
  });
  afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

  it('for random profiles', async () => {
    await fc.assert(
      fc.asyncProperty(layoutArbitrary, async (layout) => {
        const T = fs.mkdtempSync(path.join(base, 't'));
        for (const d of DIRS) fs.mkdirSync(path.join(T, d), { recursive: true });
        for (const f of FILES) fs.writeFileSync(path.join(T, f), f);
        const abs = (rel: string): string => path.join(T, rel);
        const entries: FileSystemSandboxEntry[] = [];
        // Always something readable so /bin/sh runs: all of / or the platform defaults.
        entries.push({ path: { type: 'special', value: { kind: layout.rootRead ? 'root' : 'minimal' } }, access: 'read' });
        if (!layout.rootRead) entries.push({ path: { type: 'path', path: T }, access: 'read' });
        if (layout.cwdWrite) entries.push({ path: { type: 'special', value: { kind: 'workspace_roots' } }, access: 'write' });
        for (const [index, access] of layout.entries) entries.push({ path: { type: 'path', path: abs(POOL[index] as string) }, access });
        for (const index of layout.globs) entries.push({ path: { type: 'glob_pattern', pattern: `${T}/${GLOBS[index]}` }, access: 'deny' });
        const profile: PermissionProfile = { type: 'managed', fileSystem: { type: 'restricted', entries }, network: 'restricted' };
        const ctx = { cwd: T, workspaceRoots: [], env: {} };
        const policy = resolveSandboxPolicy(profile, ctx);
        const query = createAccessQuery(profile, ctx);
        const denyGlobMatches = await expandDenyGlobs(policy.unreadableGlobs, { rgPath: null });
        const script = FILES.map((f) => `r=-; w=-; cat ${abs(f)} >/dev/null 2>&1 && r=r; (: >> ${abs(f)}) 2>/dev/null && w=w; echo "${f} $r$w"`).join('\n');
        const plan = buildBwrapArgs(policy, {
          commandCwd: '/',
          command: ['/bin/sh', '-c', script],
          network: 'isolated',
          mountProc: true,
          emptyDataFd: 4,
          seccompFd: 3,
          denyGlobMatches,
        });
        const programFile = path.join(base, 'prog');
        fs.writeFileSync(programFile, buildSeccompProgram('restricted', process.arch));
        const seccomp = fs.openSync(programFile, 'r');
        const devNull = fs.openSync('/dev/null', 'r');
        const withData = assignDataDescriptors(plan.args, 4, 4);
        let result: ReturnType<typeof spawnSync>;
        try {
          result = spawnSync(bwrap, withData.args, {
            stdio: ['ignore', 'pipe', 'pipe', seccomp, ...Array.from({ length: withData.count }, () => devNull)],
            encoding: 'utf8',
            env: { PATH: '/usr/bin:/bin' },
          });
        } finally {
          fs.closeSync(seccomp);
          fs.closeSync(devNull);
        }
        const context = { layout, entries: entries.map((e) => JSON.stringify(e).split(T).join('$T')), args: plan.args.join(' ').split(T).join('$T'), stderr: result.stderr };
        expect({ ...context, status: result.status }).toEqual({ ...context, status: 0 });
        const wanted = FILES.map((f) => `${f} ${query.canRead(abs(f)) ? 'r' : '-'}${query.canWrite(abs(f)) ? 'w' : '-'}`);
        expect({ ...context, access: String(result.stdout).trim().split('\n') }).toEqual({ ...context, access: wanted });
      }),
      {
        numRuns: 40,
        // Layouts that once disagreed with the access query; always checked first.
        examples: [
          [{ rootRead: false, cwdWrite: false, entries: [[4, 'deny'], [15, 'read']], globs: [] }],
          [{ rootRead: false, cwdWrite: true, entries: [[9, 'read'], [9, 'write']], globs: [] }],
          [{ rootRead: false, cwdWrite: false, entries: [[0, 'deny'], [11, 'write']], globs: [2] }],
          [{ rootRead: true, cwdWrite: true, entries: [[0, 'deny'], [2, 'read'], [3, 'write']], globs: [0] }],
        ],
      },
    );
  });
});
