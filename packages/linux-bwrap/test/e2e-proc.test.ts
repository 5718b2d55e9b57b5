// End to end: the /proc preflight on a host that refuses a fresh procfs. A private mount namespace
// with something mounted over a /proc subdirectory makes the kernel refuse `mount -t proc` from a
// user namespace (mount_too_revealing), which is what locked-down containers look like.

import * as fs from 'node:fs';
import * as path from 'node:path';

import { USER_NAMESPACE_WARNING } from '../src/warnings.js';

import {
  createFixture,
  killLeftoverDrivers,
  makeWorkspace,
  runDriver,
  variantNamed,
  workspacePolicy,
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

/** Runs the front end in a private mount namespace whose /proc has an overmounted subdirectory. */
const PROC_REFUSING_HOST = ['unshare', '--mount', '--propagation', 'private', 'sh', '-c', 'mount -t tmpfs none /proc/irq && exec "$@"', 'sh'];

const PROBE = 'if test -e /proc/1; then echo proc-visible; else echo proc-hidden; fi';

describe.each(['system-bwrap as root', 'codex-bwrap as root', 'system-bwrap as nobody', 'codex-bwrap as nobody'])('%s', (variantName) => {
  let variant: Variant;
  beforeAll(() => {
    variant = variantNamed(fixture, variantName);
  });

  it('retries without a fresh /proc where the host refuses one, hides the host /proc, and caches that', async () => {
    const ws = makeWorkspace(variant);
    const cacheDir = path.join(variant.home, `proc-cache-${path.basename(ws)}`);
    const spec = { policy: workspacePolicy(ws), command: ['sh', '-c', PROBE], commandCwd: ws, cacheDir };
    const refused = await runDriver(fixture, variant, spec, { prefix: PROC_REFUSING_HOST });
    expect([refused.code, refused.stdout, refused.stderr]).toEqual([0, 'proc-hidden\n', '']);
    // Cached: a second run in the same environment gets the same result.
    const again = await runDriver(fixture, variant, spec, { prefix: PROC_REFUSING_HOST });
    expect([again.code, again.stdout]).toEqual([0, 'proc-hidden\n']);
    // Where the host allows it (and nothing is cached), the command gets a fresh /proc.
    const normal = await runDriver(fixture, variant, { ...spec, cacheDir: null });
    expect([normal.code, normal.stdout]).toEqual([0, 'proc-visible\n']);
  });
});

describe.each(['system-bwrap as root', 'codex-bwrap as nobody'])('%s without user namespaces', (variantName) => {
  let variant: Variant;
  beforeAll(() => {
    variant = variantNamed(fixture, variantName);
  });

  it('warns that bubblewrap needs user namespaces, and the run fails closed', async () => {
    const ws = makeWorkspace(variant);
    const cacheDir = path.join(variant.home, `userns-cache-${path.basename(ws)}`);
    // A user namespace without any id mapping: creating another one is refused, as on hosts that
    // disable unprivileged user namespaces.
    const result = await runDriver(
      fixture,
      variant,
      { policy: workspacePolicy(ws), command: ['touch', 'ran'], commandCwd: ws, cacheDir },
      { innerPrefix: ['unshare', '--user'] },
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`WARNING: ${USER_NAMESPACE_WARNING}`);
    expect(result.stderr).toMatch(/No permissions to create (a )?new namespace/);
    expect(fs.readdirSync(ws)).toEqual([]);
  });
});
