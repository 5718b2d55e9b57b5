// Test support for argv table tests: a fresh real tree per case under one temp dir, policies built
// by hand, and the argv / synthetic targets shown with the tree's prefix written as $T. Registers
// its own beforeAll/afterAll. Pure planning only: nothing here runs bwrap.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ResolvedSandboxPolicy, WritableRoot } from '@codex-sandbox/policy';
import { restrictedPolicyAt, writableRootAt } from './policies.js';
import { buildBwrapArgs, type BwrapOptions, type BwrapPlan } from '../../src/bwrap-args.js';

/** `dir/` entries (value null) are directories, `{ link }` symlinks ($T expanded), strings file contents. */
export type TreeSpec = Record<string, string | { link: string } | null>;

export interface GoldenTrees {
  /** The current tree's root. */
  readonly T: string;
  tree(spec: TreeSpec): void;
  t(rel: string): string;
  /** Writable root `rel` with read-only subpaths `readOnly` and (default none) metadata names. */
  root(rel: string, readOnly?: string[], names?: WritableRoot['protectedMetadataNames']): WritableRoot;
  policy(overrides: Partial<ResolvedSandboxPolicy>): ResolvedSandboxPolicy;
  build(p: ResolvedSandboxPolicy, opts?: Partial<BwrapOptions>): BwrapPlan;
  /** Only the filesystem part of the argv (between the session flags and the namespaces), $T-relative. */
  fsArgs(plan: BwrapPlan): string;
  targets(plan: BwrapPlan): string[];
}

export function useGoldenTrees(prefix: string): GoldenTrees {
  let base = '';
  let current = '';
  beforeAll(() => {
    base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), prefix)));
  });
  afterAll(() => fs.rmSync(base, { recursive: true, force: true }));
  const t = (rel: string): string => (rel === '' ? current : path.join(current, rel));
  const relative = (text: string): string => text.split(current).join('$T');
  return {
    get T() {
      return current;
    },
    tree(spec) {
      current = fs.mkdtempSync(path.join(base, 't'));
      for (const [rel, content] of Object.entries(spec)) {
        const target = path.join(current, rel);
        if (content === null) {
          fs.mkdirSync(target, { recursive: true });
          continue;
        }
        fs.mkdirSync(path.dirname(target), { recursive: true });
        if (typeof content === 'string') fs.writeFileSync(target, content);
        else fs.symlinkSync(content.link.replace('$T', current), target);
      }
    },
    t,
    root: (rel, readOnly = [], names = []) => writableRootAt(t, rel, readOnly, names),
    policy: (overrides) => restrictedPolicyAt(current, overrides),
    build: (p, opts = {}) =>
      buildBwrapArgs(p, {
        commandCwd: current,
        command: ['cmd'],
        network: 'isolated',
        mountProc: true,
        emptyDataFd: 5,
        seccompFd: 3,
        denyGlobMatches: [],
        ...opts,
      }),
    fsArgs(plan) {
      const start = plan.args.indexOf('--die-with-parent') + 1;
      const end = plan.args.indexOf('--unshare-user');
      return relative(plan.args.slice(start, end).join(' '));
    },
    targets: (plan) => plan.syntheticTargets.map((s) => relative(`${s.kind} ${s.path}${s.preexisting ? ' preexisting' : ''}`)),
  };
}
