// Property test against real bwrap: random policies over a small real tree; inside the sandbox every
// file's read/write access must match a simple model ("the deepest rule containing the path
// wins"), and the host-side placeholders bwrap leaves must be exactly the plan's synthetic targets.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { PROTECTED_METADATA_NAMES, type ResolvedSandboxPolicy, type WritableRoot } from '@codex-sandbox/policy';
import { buildBwrapArgs } from '../src/bwrap-args.js';
import { assignDataDescriptors } from '../src/descriptors.js';
import { buildSeccompProgram } from '../src/seccomp.js';

const DIRS = ['a', 'a/c', 'a/c/e', 'a/d', 'b', 'b/c', 'b/d'];
const FILES = ['f', ...DIRS.map((d) => `${d}/f`)];
// Two below one missing directory (b/m): bwrap once refused every such layout (issue 10, item 10).
const MISSING = ['a/x', 'b/c/y', 'a/c/e/z', 'a/.codex/k', 'b/.git/x/y', 'b/m/p', 'b/m/q'];
const POOL = [...DIRS, ...FILES, ...MISSING];
const META = PROTECTED_METADATA_NAMES;
type Access = 'deny' | 'read' | 'write';

function bwrapBinaries(): string[] {
  const bundled = process.env.CODEX_BWRAP_TEST_BINARY;
  if (!bundled) throw new Error('CODEX_BWRAP_TEST_BINARY must name the codex-bwrap binary for this test');
  return fs.existsSync('/usr/bin/bwrap') ? [bundled, '/usr/bin/bwrap'] : [bundled];
}

const within = (p: string, ancestor: string): boolean => p === ancestor || p.startsWith(`${ancestor}/`);
const depth = (p: string): number => p.split('/').length;

interface Case {
  writable: string[];
  denied: string[];
  readOnly: string[];
  protect: boolean;
  tmpfsRoot: boolean;
}

const caseArbitrary: fc.Arbitrary<Case> = fc
  .record({
    picks: fc.array(fc.constantFrom(...POOL.map((_, i) => i)), { maxLength: 8 }),
    kinds: fc.array(fc.constantFrom<Access>('write', 'deny', 'read'), { minLength: 8, maxLength: 8 }),
    protect: fc.boolean(),
    tmpfsRoot: fc.boolean(),
  })
  .map(({ picks, kinds, protect, tmpfsRoot }) => {
    const chosen = new Map<string, Access>();
    picks.forEach((index, i) => {
      const p = POOL[index] as string;
      if (!chosen.has(p)) chosen.set(p, kinds[i] as Access);
    });
    const writable = [...chosen].filter(([, k]) => k === 'write').map(([p]) => p);
    const denied = [...chosen].filter(([, k]) => k === 'deny').map(([p]) => p);
    // Read-only carve-outs exist only inside a writable root (below a deny they reopen it).
    const readOnly = [...chosen].filter(([p, k]) => k === 'read' && writable.some((w) => within(p, w) && w !== p)).map(([p]) => p);
    return { writable, denied, readOnly, protect, tmpfsRoot };
  });

function expectedAccess(file: string, c: Case, existingWritable: string[]): Access {
  const rules: Array<[string, Access]> = [
    ...existingWritable.map((w): [string, Access] => [w, 'write']),
    ...c.readOnly.filter((r) => existingWritable.some((w) => within(r, w))).map((r): [string, Access] => [r, 'read']),
    ...c.denied.map((d): [string, Access] => [d, 'deny']),
  ];
  let best: [string, Access] | undefined;
  for (const rule of rules) {
    if (!within(file, rule[0])) continue;
    if (best === undefined || depth(rule[0]) > depth(best[0])) best = rule;
  }
  return best?.[1] ?? 'read';
}

describe.each(bwrapBinaries())('%s enforces the model', (bwrap) => {
  let base: string;
  beforeAll(() => {
    base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'bwrap-model-')));
  });
  afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

  it('for random write/deny/read-only layouts', () => {
    fc.assert(
      fc.property(caseArbitrary, (c) => {
        const T = fs.mkdtempSync(path.join(base, 't'));
        for (const d of DIRS) fs.mkdirSync(path.join(T, d), { recursive: true });
        for (const f of FILES) fs.writeFileSync(path.join(T, f), f);
        const abs = (rel: string): string => path.join(T, rel);
        const existingWritable = c.writable.filter((w) => fs.existsSync(abs(w)));
        const writableRoots: WritableRoot[] = c.writable.map((w) => ({
          root: abs(w),
          readOnlySubpaths: c.readOnly.filter((r) => within(r, w) && r !== w).map(abs),
          protectedMetadataNames: c.protect ? [...META] : [],
        }));
        const policy: ResolvedSandboxPolicy = {
          kind: 'restricted',
          cwd: T,
          network: 'restricted',
          fullDiskRead: !c.tmpfsRoot && c.denied.length === 0,
          fullDiskWrite: false,
          includePlatformDefaults: c.tmpfsRoot,
          readableRoots: c.tmpfsRoot ? [T] : c.denied.length > 0 ? ['/'] : [],
          writableRoots,
          unreadableRoots: c.denied.map(abs).sort(),
          unreadableGlobs: [],
          needsSandbox: true,
        };
        const script = FILES.map((f) => `r=-; w=-; cat ${abs(f)} >/dev/null 2>&1 && r=r; (: >> ${abs(f)}) 2>/dev/null && w=w; echo "${f} $r$w"`).join('\n');
        const plan = buildBwrapArgs(policy, {
          commandCwd: '/',
          command: ['/bin/sh', '-c', script],
          network: 'isolated',
          mountProc: true,
          emptyDataFd: 4,
          seccompFd: 3,
          denyGlobMatches: [],
        });
        const before = new Set(listTree(T));
        const programFile = path.join(base, 'prog');
        fs.writeFileSync(programFile, buildSeccompProgram('restricted', process.arch));
        const seccomp = fs.openSync(programFile, 'r');
        const devNull = fs.openSync('/dev/null', 'r');
        let result: ReturnType<typeof spawnSync>;
        const withData = assignDataDescriptors(plan.args, 4, 4);
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
        const context = { case: c, args: plan.args.join(' ').split(T).join('$T'), stderr: result.stderr };
        expect({ ...context, status: result.status }).toEqual({ ...context, status: 0 });
        const seen = String(result.stdout).trim().split('\n');
        const wanted = FILES.map((f) => {
          const access = expectedAccess(f, c, existingWritable);
          return `${f} ${access === 'deny' ? '--' : access === 'read' ? 'r-' : 'rw'}`;
        });
        expect({ ...context, access: seen }).toEqual({ ...context, access: wanted });
        const created = listTree(T).filter((p) => !before.has(p)).sort();
        const planned = plan.syntheticTargets.filter((s) => !s.preexisting).map((s) => s.path).sort();
        expect({ ...context, created }).toEqual({ ...context, created: planned });
      }),
      {
        numRuns: 60,
        // Layouts that once broke (or nearly broke) bwrap start-up; always checked first.
        examples: [
          [{ writable: ['a'], denied: ['a/.codex/k'], readOnly: [], protect: true, tmpfsRoot: false }],
          [{ writable: ['a'], denied: ['a/c/e/z'], readOnly: ['a/c'], protect: false, tmpfsRoot: false }],
          [{ writable: ['a', 'a/c/e'], denied: ['a/c'], readOnly: [], protect: true, tmpfsRoot: true }],
          [{ writable: ['b/d/f', 'a/c/e'], denied: ['b', 'a'], readOnly: [], protect: true, tmpfsRoot: false }],
          [{ writable: ['a/c/f', 'f'], denied: ['a', 'a/c'], readOnly: [], protect: false, tmpfsRoot: false }],
          [{ writable: ['b'], denied: ['b/m/p'], readOnly: ['b/m/q'], protect: false, tmpfsRoot: false }],
          [{ writable: ['a', 'a/c/e'], denied: ['a/c/d'], readOnly: ['a/c/e/z', 'a/c/x'], protect: true, tmpfsRoot: false }],
        ],
      },
    );
  });
});

function listTree(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      out.push(full);
      if (entry.isDirectory()) walk(full);
    }
  };
  walk(root);
  return out;
}
