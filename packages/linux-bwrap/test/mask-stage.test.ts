// G11, the pure part: which stage makes the deny masks (the threshold, /proc and /dev, whether the
// helper is usable), the argv without the masks the helper makes, and where the helper sits in
// the argv with and without proxy-only, as buildBwrapArgs writes it for a real tree.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { buildBwrapArgs, type BwrapOptions } from '../src/bwrap-args.js';
import { chooseMaskStage, MASK_HELPER_MIN_MASKS, withoutMasks, type MaskHelperAvailability } from '../src/mask-stage.js';
import type { LeafMask } from '../src/mount-rules.js';
import { readOnlyPolicy } from './support/e2e.js';

const files = (n: number, root = '/w'): LeafMask[] => Array.from({ length: n }, (_, i) => ({ path: `${root}/f${i}.env`, kind: 'file', start: 0, length: 0 }));
const USABLE: MaskHelperAvailability = { usable: true, probed: true };

describe('chooseMaskStage', () => {
  it.each<[string, LeafMask[], MaskHelperAvailability | undefined, 'bubblewrap' | 'codex-mask-helper', number, string]>([
    ['no masks', [], USABLE, 'bubblewrap', 0, 'no deny masks'],
    ['one below the threshold', files(MASK_HELPER_MIN_MASKS - 1), USABLE, 'bubblewrap', 0, `${MASK_HELPER_MIN_MASKS - 1} deny masks, fewer than the ${MASK_HELPER_MIN_MASKS}`],
    ['the threshold', files(MASK_HELPER_MIN_MASKS), USABLE, 'codex-mask-helper', MASK_HELPER_MIN_MASKS, `${MASK_HELPER_MIN_MASKS} deny masks, made by codex-mask-helper in the sandbox`],
    ['masks under /proc and /dev stay with bubblewrap', [...files(MASK_HELPER_MIN_MASKS - 1), ...files(5, '/proc/sys'), ...files(5, '/dev')], USABLE, 'bubblewrap', 0, 'fewer than'],
    ['not asked', files(400), undefined, 'bubblewrap', 0, 'codex-mask-helper was not considered'],
    ['unusable', files(400), { usable: false, reason: 'the probe said EPERM' }, 'bubblewrap', 0, 'codex-mask-helper cannot be used here: the probe said EPERM'],
    ['not probed yet (dry run)', files(400), { usable: true, probed: false }, 'codex-mask-helper', 400, 'not probed on this host yet'],
  ])('%s', (_what, leaves, availability, stage, helperMasks, reason) => {
    const { plan, moved } = chooseMaskStage(leaves, availability);
    expect(plan.stage).toBe(stage);
    expect(plan.helperMasks).toBe(helperMasks);
    expect(moved).toHaveLength(helperMasks);
    expect(plan.reason).toContain(reason);
    expect(plan.count).toBe(leaves.filter((l) => !l.path.startsWith('/proc/') && !l.path.startsWith('/dev/') && l.path !== '/dev').length);
  });

  it('splits files from directories for the spec', () => {
    const leaves: LeafMask[] = [...files(MASK_HELPER_MIN_MASKS), { path: '/w/keys.env', kind: 'dir', start: 0, length: 0 }];
    const { plan } = chooseMaskStage(leaves, USABLE);
    expect(plan.dirMasks).toEqual(['/w/keys.env']);
    expect(plan.fileMasks).toHaveLength(MASK_HELPER_MIN_MASKS);
  });
});

describe('withoutMasks', () => {
  const args = ['--ro-bind', '/', '/', '--perms', '000', '--ro-bind-data', '7', '/w/a.env', '--bind', '/x', '/x', '--perms', '000', '--tmpfs', '/w/d', '--remount-ro', '/w/d'];
  it('drops exactly the recorded ranges', () => {
    const moved: LeafMask[] = [
      { path: '/w/a.env', kind: 'file', start: 3, length: 5 },
      { path: '/w/d', kind: 'dir', start: 11, length: 6 },
    ];
    expect(withoutMasks(args, moved)).toEqual(['--ro-bind', '/', '/', '--bind', '/x', '/x']);
  });
  it('refuses a range that does not end at its path (the argv and the record disagree)', () => {
    expect(() => withoutMasks(args, [{ path: '/w/a.env', kind: 'file', start: 2, length: 5 }])).toThrow('is not where the argv builder recorded it');
  });
});

describe('buildBwrapArgs with codex-mask-helper', () => {
  let ws: string;
  let matches: string[];
  beforeAll(() => {
    ws = fs.mkdtempSync(path.join(os.tmpdir(), 'mask-stage-'));
    matches = Array.from({ length: 40 }, (_, i) => path.join(ws, `f${i}.env`));
    for (const m of matches) fs.writeFileSync(m, 'x');
    fs.mkdirSync(path.join(ws, 'dir.env'));
    matches.push(path.join(ws, 'dir.env'));
  });
  afterAll(() => fs.rmSync(ws, { recursive: true, force: true }));

  const options = (extra: Partial<BwrapOptions>): BwrapOptions => ({ commandCwd: ws, command: ['cmd', 'arg'], network: 'isolated', mountProc: true, emptyDataFd: 9, seccompFd: 3, denyGlobMatches: matches, ...extra });

  it('moves every mask to the helper: templates in /dev, two capabilities, the helper in front of the command', () => {
    const plan = buildBwrapArgs(readOnlyPolicy(ws), options({ maskHelper: { availability: USABLE, helperFd: 5, specFd: 6 } }));
    expect(plan.masks.stage).toBe('codex-mask-helper');
    expect(plan.masks.fileMasks).toHaveLength(40);
    expect(plan.masks.dirMasks).toEqual([path.join(ws, 'dir.env')]);
    for (const m of matches) expect(plan.args).not.toContain(m);
    const tail = plan.args.slice(plan.args.indexOf('--cap-drop'));
    expect(tail).toEqual([
      '--cap-drop', 'ALL', '--cap-add', 'CAP_SYS_ADMIN', '--cap-add', 'CAP_SETPCAP',
      '--perms', '0555', '--ro-bind-data', '5', '/dev/.codex-masks/helper',
      '--perms', '0111', '--tmpfs', '/dev/.codex-masks/files',
      '--perms', '000', '--file', '9', '/dev/.codex-masks/files/mask',
      '--remount-ro', '/dev/.codex-masks/files',
      '--perms', '000', '--tmpfs', '/dev/.codex-masks/dir',
      '--remount-ro', '/dev/.codex-masks/dir',
      '--seccomp', '3',
      '--', '/dev/.codex-masks/helper', '--spec-fd', '6', '--', 'cmd', 'arg',
    ]);
  });

  it('proxy-only: the mask helper runs first, then the netns helper, and bwrap installs no filter', () => {
    const policy = readOnlyPolicy(ws, { network: 'enabled' });
    const plan = buildBwrapArgs(policy, options({ network: 'proxy-only', proxyOnly: { routes: [{ listenPort: 3128, socketPath: '/s.sock' }], helperFd: 5, specFd: 6 }, maskHelper: { availability: USABLE, helperFd: 7, specFd: 8 } }));
    expect(plan.args).not.toContain('--seccomp');
    const dashes = plan.args.indexOf('--');
    expect(plan.args.slice(dashes)).toEqual(['--', '/dev/.codex-masks/helper', '--spec-fd', '8', '--', '/dev/.codex-netns/helper', '--spec-fd', '6', '--', 'cmd', 'arg']);
  });

  it('without the helper the argv is bubblewrap\'s masks, exactly as before', () => {
    const without = buildBwrapArgs(readOnlyPolicy(ws), options({}));
    const unusable = buildBwrapArgs(readOnlyPolicy(ws), options({ maskHelper: { availability: { usable: false, reason: 'no' }, helperFd: 5, specFd: 6 } }));
    expect(unusable.args).toEqual(without.args);
    expect(without.masks.stage).toBe('bubblewrap');
    expect(without.args).not.toContain('--cap-add');
    expect(without.args.filter((a) => a === '--ro-bind-data')).toHaveLength(40);
    expect(without.args.slice(-5)).toEqual(['--seccomp', '3', '--', 'cmd', 'arg']);
  });

  it('refuses helper descriptors that collide with the others', () => {
    expect(() => buildBwrapArgs(readOnlyPolicy(ws), options({ maskHelper: { availability: USABLE, helperFd: 3, specFd: 6 } }))).toThrow('must all differ');
  });
});
