// W7: fail closed by checking: what Windows reports about the token and the DACLs is compared with
// the plan, and any difference is a reason to refuse. Under Wine (which ignores restricting SIDs and
// keeps no real ACLs) the facts differ, so the runner refuses there: these are those cases.
import * as fs from 'node:fs';
import { builtinProfile } from '@codex-sandbox/policy';
import { planWindowsSandbox } from '../src/index.js';
import { readBackMismatches, type DaclFacts, type TokenFacts } from '../src/read-back.js';
import { planInput, tempDir } from './support.js';

let cwd: string;
beforeEach(() => {
  cwd = tempDir('windows-readback-');
});
afterEach(() => fs.rmSync(cwd, { recursive: true, force: true }));

function matching(plan: ReturnType<typeof planWindowsSandbox>): { token: TokenFacts; dacls: DaclFacts[] } {
  const paths = [...new Set(plan.aces.map((a) => a.path))];
  return {
    token: { isRestricted: true, restrictingSids: [...plan.token.restrictingSids] },
    dacls: paths.map((p) => ({
      path: p,
      aces: [
        ...plan.aces.filter((a) => a.path === p).map((a) => ({ type: a.type, sid: a.sid, mask: a.mask, flags: a.inheritance })),
        { type: 'allow' as const, sid: 'S-1-5-21-100-200-300-1001', mask: 0x1f01ff, flags: 0x10 },
      ],
    })),
  };
}

describe('W7: read-back', () => {
  test('facts that match the plan pass', () => {
    const plan = planWindowsSandbox(planInput(builtinProfile(':workspace'), cwd));
    const facts = matching(plan);
    expect(readBackMismatches(plan, facts.token, facts.dacls)).toEqual([]);
  });

  test.each<[string, (f: ReturnType<typeof matching>) => void, RegExp]>([
    ['not restricted (IsTokenRestricted false)', (f) => (f.token.isRestricted = false), /IsTokenRestricted reports that the new token is not restricted/],
    ['restricting SIDs unreadable (as under Wine)', (f) => (f.token.restrictingSids = undefined), /restricting SIDs cannot be read back/],
    ['restricting SIDs in another order', (f) => f.token.restrictingSids?.reverse(), /restricting SIDs are \[/],
    ['a restricting SID missing', (f) => f.token.restrictingSids?.pop(), /restricting SIDs are \[/],
    ['an ACE missing (ACLs reduced to mode bits, as under Wine)', (f) => (f.dacls[0]!.aces = []), /has no explicit (deny|allow) ACE for/],
    ['a DACL unreadable', (f) => (f.dacls[0]!.aces = undefined), /cannot be read back/],
    ['an ACE only inherited', (f) => f.dacls[0]!.aces!.forEach((a) => (a.flags |= 0x10)), /has no explicit/],
    ['an ACE with less access', (f) => f.dacls[0]!.aces!.forEach((a) => (a.mask &= ~0x2)), /has no explicit/],
    ['an ACE without inheritance', (f) => f.dacls[0]!.aces!.forEach((a) => (a.flags &= ~0x3)), /has no explicit/],
    ['an allow before a deny', (f) => f.dacls[0]!.aces!.unshift({ type: 'allow', sid: 'S-1-1-0', mask: 0x2, flags: 0 }), /an allow ACE precedes the deny ACE/],
    ['a NULL DACL where a deny belongs', (f) => (f.dacls[0]!.nullDacl = true), /has a NULL DACL/],
  ])('%s refuses', (_name, spoil, message) => {
    const plan = planWindowsSandbox(planInput(builtinProfile(':workspace'), cwd));
    expect(plan.aces[0]?.type).toBe('deny');
    const facts = matching(plan);
    spoil(facts);
    const problems = readBackMismatches(plan, facts.token, facts.dacls);
    expect(problems.join('\n')).toMatch(message);
  });
});
