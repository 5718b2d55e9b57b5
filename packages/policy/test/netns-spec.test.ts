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

  it('round-trips a route held open by the front end (no probe); absent or false stays absent', () => {
    const spec = { routes: [{ listenPort: 3128, socketPath: '/a', heldOpen: true }, { listenPort: 8081, socketPath: '/b', heldOpen: false }, { listenPort: 1, socketPath: '/c' }], seccompProgram: PROGRAM };
    expect(decodeNetnsHelperSpec(encodeNetnsHelperSpec(spec)).routes).toEqual([
      { listenPort: 3128, socketPath: '/a', heldOpen: true },
      { listenPort: 8081, socketPath: '/b' },
      { listenPort: 1, socketPath: '/c' },
    ]);
  });

  it('round-trips the connect supervision (allowed Unix sockets); absent stays absent', () => {
    const unixSockets = [{ names: ['/run/a.sock', '/var/run/a.sock'], socketPath: '/dev/.codex-netns/unix-0.sock' }];
    const routes = [{ listenPort: 3128, socketPath: '/r' }];
    const decoded = decodeNetnsHelperSpec(encodeNetnsHelperSpec({ routes, seccompProgram: PROGRAM, connectSupervision: { unixSockets } }));
    expect(decoded.connectSupervision).toEqual({ unixSockets });
    // Supervision with no socket at all still supervises (every path refused, IP as the namespace allows).
    expect(decodeNetnsHelperSpec(encodeNetnsHelperSpec({ routes, seccompProgram: PROGRAM, connectSupervision: { unixSockets: [] } })).connectSupervision).toEqual({ unixSockets: [] });
    expect(decodeNetnsHelperSpec(encodeNetnsHelperSpec({ routes, seccompProgram: PROGRAM })).connectSupervision).toBeUndefined();
  });

  const routes = [{ listenPort: 1, socketPath: '/a' }];
  it.each([
    ['no name', [{ names: [], socketPath: '/s' }], 'allowed Unix socket 0 has 0 names'],
    ['a relative name', [{ names: ['x.sock'], socketPath: '/s' }], 'allowed Unix socket 0 name "x.sock" must be absolute'],
    ['a relative socket', [{ names: ['/x'], socketPath: 's' }], 'allowed Unix socket 0 path "s" must be absolute'],
    ['a long name', [{ names: [`/${'x'.repeat(107)}`], socketPath: '/s' }], 'longer than 107 bytes'],
    ['a name twice', [{ names: ['/x'], socketPath: '/s' }, { names: ['/x'], socketPath: '/t' }], 'the Unix socket name /x is given twice'],
  ])('refuses a supervision with %s', (_what, unixSockets, message) => {
    expect(() => encodeNetnsHelperSpec({ routes, seccompProgram: PROGRAM, connectSupervision: { unixSockets } })).toThrow(message);
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
