// Table tests of the legacy Landlock plan (LL2-LL4): every refusal, the ruleset for each ABI, the
// network and scope rights, and the masks the helper's spec carries.
import type { ResolvedSandboxPolicy } from '@codex-sandbox/policy';

import { restrictedPolicyAt } from './support/policies.js';
import { landlockMasks, landlockRuleMask, LandlockUnsupportedError, planLandlock, type LandlockPlanInput } from '../src/landlock-plan.js';

const WS = '/nonexistent-ws';

function policy(extra: Partial<ResolvedSandboxPolicy> = {}): ResolvedSandboxPolicy {
  return restrictedPolicyAt(WS, extra);
}

const open = { root: WS, readOnlySubpaths: [], protectedMetadataNames: [] };

function input(extra: Partial<LandlockPlanInput> = {}): LandlockPlanInput {
  return { policy: policy(), network: 'isolated', abi: 7, protectedPaths: [], ...extra };
}

describe('planLandlock refusals (LL2)', () => {
  it.each<[string, Partial<LandlockPlanInput>, string]>([
    ['proxy-only network', { network: 'proxy-only' }, 'a managed network proxy needs bubblewrap'],
    ['restricted reads', { policy: policy({ fullDiskRead: false, readableRoots: ['/usr'] }) }, 'Restricted read-only access is not supported by the legacy Linux Landlock filesystem backend.'],
    ['a denied path', { policy: policy({ unreadableRoots: [`${WS}/secret`] }) }, `cannot hide ${WS}/secret inside what the profile lets the command read`],
    ['a deny glob', { policy: policy({ unreadableGlobs: [`${WS}/**/*.env`] }) }, `cannot hide ${WS}/**/*.env`],
    ['a read-only carve-out', { policy: policy({ writableRoots: [{ ...open, readOnlySubpaths: [`${WS}/.git`] }] }) }, `cannot keep ${WS}/.git (inside ${WS}) read-only`],
    ['a protected metadata name', { policy: policy({ writableRoots: [{ ...open, protectedMetadataNames: ['.codex'] }] }) }, `cannot keep ${WS}/.codex (inside ${WS}) read-only`],
    ['front-end state in a writable root', { policy: policy({ writableRoots: [open] }), protectedPaths: [`${WS}/.cache/codex-sandbox`] }, `${WS}/.cache/codex-sandbox (the front end's own state, inside ${WS})`],
    ['no Landlock in the kernel', { abi: 0, abiUnavailableReason: 'Operation not supported' }, 'this kernel offers no Landlock (Operation not supported)'],
    ['an ABI that cannot stop truncate', { abi: 2 }, 'this kernel offers Landlock ABI 2, which cannot stop truncate(2)'],
  ])('refuses %s', (_what, change, message) => {
    expect(() => planLandlock(input(change))).toThrow(LandlockUnsupportedError);
    expect(() => planLandlock(input(change))).toThrow(message);
  });

  it('refusals that depend on the policy name the reference message first', () => {
    expect(() => planLandlock(input({ policy: policy({ unreadableRoots: ['/etc/shadow'] }) }))).toThrow(
      /^permission profiles requiring direct runtime enforcement are incompatible with --use-legacy-landlock: /,
    );
  });

  it('a metadata directory granted inside a writable root leaves its own names to that grant, with a warning', () => {
    const all = ['.git', '.agents', '.codex', '.aws'] as const;
    const granted = all.map((name) => ({ root: `${WS}/${name}`, readOnlySubpaths: [], protectedMetadataNames: [...all] }));
    const plan = planLandlock(input({ policy: policy({ writableRoots: [open, ...granted] }) }));
    expect(plan.rules.filter((r) => r.role === 'write').map((r) => r.path)).toEqual([WS, ...granted.map((g) => g.root)]);
    expect(plan.warnings[0]).toContain(`the profile makes ${WS}/.git, ${WS}/.agents, ${WS}/.codex, ${WS}/.aws writable`);
    // Not when the metadata directory is a writable root of its own, outside any other one.
    expect(() => planLandlock(input({ policy: policy({ writableRoots: [granted[0] as (typeof granted)[number]] }) }))).toThrow(`${WS}/.git/.git (inside ${WS}/.git)`);
  });

  it('front-end state outside every writable root is fine (it is read-only like the rest)', () => {
    expect(() => planLandlock(input({ policy: policy({ writableRoots: [open] }), protectedPaths: ['/root/.codex'] }))).not.toThrow();
  });

  it('ABI 1 and 2 are enough when nothing is write-limited (full-disk write, network off)', () => {
    const plan = planLandlock(input({ abi: 1, policy: policy({ fullDiskWrite: true }) }));
    expect(plan.rules).toEqual([{ path: '/', role: 'write', access: plan.handledFs }]);
    expect(plan.handledFs).not.toContain('refer');
  });
});

describe('planLandlock rulesets (LL3, LL4)', () => {
  it('read-only: read on /, /dev/null writable, nothing else', () => {
    const plan = planLandlock(input());
    expect(plan.rules).toEqual([
      { path: '/', role: 'read', access: ['execute', 'read_file', 'read_dir'] },
      { path: '/dev/null', role: 'device', access: ['write_file', 'read_file', 'truncate', 'ioctl_dev'] },
    ]);
    expect(plan.seccompMode).toBe('restricted');
    expect(plan.denyMetadataChanges).toBe(true);
  });

  it('a writable root gets every handled right', () => {
    const plan = planLandlock(input({ policy: policy({ writableRoots: [open] }) }));
    expect(plan.rules.at(-1)).toEqual({ path: WS, role: 'write', access: plan.handledFs });
    expect(plan.denyMetadataChanges).toBe(false);
  });

  it.each<[number, number, number, number]>([
    // abi, handled fs mask, net mask (network off), scopes
    [3, 0x7fff, 0, 0],
    [4, 0x7fff, 0x3, 0],
    [5, 0xffff, 0x3, 0],
    [6, 0xffff, 0x3, 0x3],
    [7, 0xffff, 0x3, 0x3],
    [9, 0xffff, 0x3, 0x3],
  ])('ABI %i handles fs 0x%s', (abi, fsMask, netMask, scopes) => {
    const plan = planLandlock(input({ abi }));
    expect(landlockMasks(plan)).toEqual({ fs: fsMask, net: netMask, scoped: scopes });
    expect(plan.warnings.length > 0).toBe(abi < 6);
  });

  it('network enabled: no TCP rights handled, only the signal scope, seccomp base', () => {
    const plan = planLandlock(input({ network: 'full', policy: policy({ network: 'enabled' }) }));
    expect(plan.handledNet).toEqual([]);
    expect(plan.scopes).toEqual(['signal']);
    expect(plan.seccompMode).toBe('base');
  });

  it('rule masks are the bits of their rights', () => {
    expect(landlockRuleMask({ access: ['execute', 'read_file', 'read_dir'] })).toBe(0b1101);
  });
});
