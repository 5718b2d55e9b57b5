// The typed handoff to codex-netns-helper: encode -> decode round trip, and each malformed spec
// refused with a message naming what is wrong.
import { decodeNetnsHelperSpec, encodeNetnsHelperSpec, WireError } from '../src/index.js';

const PROGRAM = new Uint8Array([0x06, 0, 0, 0, 0, 0, 0xff, 0x7f]);

describe('NetnsHelperSpec', () => {
  it('round-trips routes and the seccomp program', () => {
    const spec = { routes: [{ listenPort: 3128, socketPath: '/dev/.codex-netns/route-0.sock' }, { listenPort: 8081, socketPath: '/s' }], seccompProgram: PROGRAM };
    const decoded = decodeNetnsHelperSpec(encodeNetnsHelperSpec(spec));
    expect(decoded.routes).toEqual(spec.routes);
    expect(Array.from(decoded.seccompProgram)).toEqual(Array.from(PROGRAM));
  });

  it.each([
    ['no route', { routes: [], seccompProgram: PROGRAM }, 'at least one proxy route is required'],
    ['port 0', { routes: [{ listenPort: 0, socketPath: '/s' }], seccompProgram: PROGRAM }, 'route 0 port 0 is not 1-65535'],
    ['port twice', { routes: [{ listenPort: 1, socketPath: '/a' }, { listenPort: 1, socketPath: '/b' }], seccompProgram: PROGRAM }, 'route 1 port 1 is used twice'],
    ['relative socket', { routes: [{ listenPort: 1, socketPath: 'a' }], seccompProgram: PROGRAM }, 'must be absolute'],
    ['long socket', { routes: [{ listenPort: 1, socketPath: `/${'x'.repeat(107)}` }], seccompProgram: PROGRAM }, 'longer than 107 bytes'],
    ['empty program', { routes: [{ listenPort: 1, socketPath: '/a' }], seccompProgram: new Uint8Array() }, 'the seccomp program has 0 bytes'],
    ['ragged program', { routes: [{ listenPort: 1, socketPath: '/a' }], seccompProgram: new Uint8Array(9) }, 'the seccomp program has 9 bytes'],
  ])('refuses %s', (_what, spec, message) => {
    expect(() => encodeNetnsHelperSpec(spec)).toThrow(WireError);
    expect(() => encodeNetnsHelperSpec(spec)).toThrow(message);
  });

  it('decoding refuses bytes that are not a spec', () => {
    expect(() => decodeNetnsHelperSpec(new Uint8Array([0xff, 0xff]))).toThrow(WireError);
  });
});
