// The typed handoff to codex-landlock-helper: encode -> decode round trip, and each malformed spec
// refused with a message naming what is wrong.
import { decodeLandlockHelperSpec, encodeLandlockHelperSpec, WireError, type LandlockHelperSpec } from '../src/index.js';

const PROGRAM = new Uint8Array([0x06, 0, 0, 0, 0, 0, 0xff, 0x7f]);
const READ = 0b1101; // execute, read_file, read_dir
const SPEC: LandlockHelperSpec = {
  abi: 6,
  handledAccessFs: 0xffff,
  handledAccessNet: 0x3,
  scoped: 0x3,
  pathRules: [
    { path: '/', allowedAccess: READ },
    { path: '/tmp/w', allowedAccess: 0xffff },
  ],
  seccompProgram: PROGRAM,
  parentPid: 4242,
};

describe('LandlockHelperSpec', () => {
  it('round-trips every field', () => {
    const decoded = decodeLandlockHelperSpec(encodeLandlockHelperSpec(SPEC));
    expect({ ...decoded, seccompProgram: Array.from(decoded.seccompProgram) }).toEqual({ ...SPEC, seccompProgram: Array.from(PROGRAM) });
  });

  it.each<[string, Partial<LandlockHelperSpec>, string]>([
    ['abi 0', { abi: 0 }, 'abi 0 is not 1 or more'],
    ['unknown fs bits', { handledAccessFs: 0x10000 }, 'handled_access_fs 0x10000 has bits no Landlock ABI defines'],
    ['unknown net bits', { handledAccessNet: 4 }, 'handled_access_net 0x4'],
    ['unknown scope bits', { scoped: 8 }, 'scoped 0x8'],
    ['nothing handled', { handledAccessFs: 0, pathRules: [] }, 'handled_access_fs is empty'],
    ['relative path', { pathRules: [{ path: 'tmp', allowedAccess: READ }] }, 'rule 0 path "tmp" must be absolute'],
    ['a right not handled', { handledAccessFs: READ, pathRules: [{ path: '/', allowedAccess: 0b11 }] }, 'rule 0 (/) grants rights the ruleset does not handle'],
    ['an empty grant', { pathRules: [{ path: '/', allowedAccess: 0 }] }, 'rule 0 (/) grants rights the ruleset does not handle, or none'],
    ['empty program', { seccompProgram: new Uint8Array() }, 'the seccomp program has 0 bytes'],
    ['ragged program', { seccompProgram: new Uint8Array(9) }, 'the seccomp program has 9 bytes'],
    ['no parent', { parentPid: 0 }, 'parent pid 0 is not a process id'],
  ])('refuses %s', (_what, change, message) => {
    const spec = { ...SPEC, ...change };
    expect(() => encodeLandlockHelperSpec(spec)).toThrow(WireError);
    expect(() => encodeLandlockHelperSpec(spec)).toThrow(message);
  });

  it('decoding refuses bytes that are not a spec', () => {
    expect(() => decodeLandlockHelperSpec(new Uint8Array([0xff, 0xff]))).toThrow(WireError);
  });
});
