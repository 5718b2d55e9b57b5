// The library and CLI dispatch to the Seatbelt backend on darwin (the platform is injected into
// the dispatch: these tests plan, they never run sandbox-exec), and the dry run renders the macOS
// plan from this Linux host (`--os macos`, `--json`). What sandbox-exec enforces is tested only on
// macOS (packages/seatbelt, :e2e_macos).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CliError, createSandbox, UnsupportedPlatformError } from '../src/index.js';
import { createSandboxOn } from '../src/sandbox.js';
import { withFrontEndStateReadOnly } from '../src/macos-backend.js';
import { makeWorkspace } from './helpers/executable.js';

let ws: ReturnType<typeof makeWorkspace>;
beforeEach(() => {
  ws = makeWorkspace();
});
afterEach(() => ws.cleanup());

function env(): Record<string, string | undefined> {
  return { PATH: '/usr/bin:/bin', HOME: ws.root, CODEX_HOME: ws.codexHome };
}

describe('dispatch by host platform (C1, M1)', () => {
  test('darwin: the plan is /usr/bin/sandbox-exec with the generated policy and CODEX_SANDBOX=seatbelt', async () => {
    const sandbox = createSandboxOn('darwin', { permissionProfile: ':workspace', cwd: ws.work, env: env() });
    const plan = await sandbox.plan(['/bin/echo', 'hi']);
    expect(plan.argv.slice(0, 2)).toEqual(['/usr/bin/sandbox-exec', '-p']);
    expect(plan.argv[2]).toMatch(/^\(version 1\)\n/);
    expect(plan.argv.slice(-3)).toEqual(['--', '/bin/echo', 'hi']);
    expect(plan.argv).toContain(`-DWRITABLE_ROOT_0=${fs.realpathSync(ws.work)}`);
    expect(plan.envAdditions).toEqual({ CODEX_SANDBOX: 'seatbelt', CODEX_SANDBOX_NETWORK_DISABLED: '1' });
    expect(plan.backend).toMatch(/sandbox-exec/);
  });

  test('linux: the same sandbox object plans bubblewrap, without CODEX_SANDBOX', async () => {
    const sandbox = createSandboxOn('linux', { permissionProfile: ':read-only', cwd: ws.work, env: env() });
    expect(sandbox.profileId).toBe(':read-only');
    const dry = await sandbox.dryRun([]);
    expect(dry.json.os).toBe('linux');
  });

  test.each([['freebsd', UnsupportedPlatformError]])('%s refuses to create a sandbox', (platform, error) => {
    expect(() => createSandboxOn(platform, { cwd: ws.work, env: env() })).toThrow(error);
  });

  test('macOS options on another backend refuse instead of being ignored', async () => {
    const sockets = createSandboxOn('linux', { cwd: ws.work, env: env(), allowUnixSockets: ['s.sock'] });
    await expect(sockets.plan(['/bin/true'])).rejects.toThrow(new CliError('--allow-unix-socket is a macOS (Seatbelt) option; elsewhere allow Unix sockets in the profile (`unix_sockets` in `[permissions.NAME.network]`, enforced with the network on), refusing'));
    const denials = createSandboxOn('linux', { cwd: ws.work, env: env(), logDenials: true });
    await expect(denials.run(['/bin/true'], { stdio: 'ignore' })).rejects.toThrow(/--log-denials is a macOS \(Seatbelt\) option/);
  });

  test('darwin: --allow-unix-socket paths resolve against the working directory (M10)', async () => {
    const sandbox = createSandboxOn('darwin', { cwd: ws.work, env: env(), allowUnixSockets: ['run/s.sock'] });
    const plan = await sandbox.plan(['/bin/true']);
    expect(plan.argv).toContain(`-DUNIX_SOCKET_PATH_0=${fs.realpathSync(ws.work)}/run/s.sock`);
  });
});

describe('H6 on macOS: the front end state stays read-only', () => {
  test('CODEX_HOME inside a writable root becomes its read-only carve-out; full-disk write narrows to / minus it', async () => {
    const home = path.join(ws.work, '.config-codex');
    fs.mkdirSync(home);
    const sandbox = createSandboxOn('darwin', { permissionProfile: ':workspace', cwd: ws.work, env: { ...env(), CODEX_HOME: home } });
    const plan = await sandbox.plan(['/bin/true']);
    expect(plan.argv.some((a) => /^-DWRITABLE_ROOT_0_EXCLUDED_\d+=/.test(a) && a.endsWith(`=${fs.realpathSync(home)}`))).toBe(true);
    const full = withFrontEndStateReadOnly({ ...sandbox.policy, fullDiskWrite: true, writableRoots: [] }, ['/state']);
    expect(full.fullDiskWrite).toBe(false);
    expect(full.writableRoots).toEqual([{ root: '/', readOnlySubpaths: ['/state'], protectedMetadataNames: [] }]);
  });

  test('refused as on Linux: CODEX_HOME as the writable root itself, or reached through a symlink inside one', async () => {
    const asRoot = createSandboxOn('darwin', { permissionProfile: ':workspace', cwd: ws.codexHome, env: env() });
    await expect(asRoot.plan(['/bin/true'])).rejects.toThrow(/the policy makes it a writable root, but it holds the sandbox's own configuration/);
    fs.mkdirSync(path.join(ws.root, 'real-home'));
    fs.symlinkSync(path.join(ws.root, 'real-home'), path.join(ws.work, 'home-link'));
    const linked = createSandboxOn('darwin', { permissionProfile: ':workspace', cwd: ws.work, env: { ...env(), CODEX_HOME: path.join(ws.work, 'home-link') } });
    await expect(linked.plan(['/bin/true'])).rejects.toThrow(`because it crosses writable symlink ${path.join(ws.work, 'home-link')}`);
  });
});

describe('--dry-run --os macos on this host (C9)', () => {
  test('the table shows the macOS backend, the -D parameters and the SBPL; the JSON has the documented fields', async () => {
    const sandbox = createSandbox({ permissionProfile: ':workspace', cwd: ws.work, env: env() });
    const dry = await sandbox.dryRun(['/bin/echo', 'hi'], { os: 'macos' });
    expect(dry.exitCode).toBe(0);
    expect(dry.text).toMatch(/^backend +macOS: \/usr\/bin\/sandbox-exec/m);
    expect(dry.text).toMatch(/^params +-DWRITABLE_ROOT_0=/m);
    expect(dry.text).toMatch(/^sbpl +\(version 1\)$/m);
    expect(dry.text).toContain('restricted (no network: Seatbelt denies every network operation)');
    expect(dry.text).toContain("command line:\n  /usr/bin/sandbox-exec -p '(version 1)");
    const json = dry.json;
    expect(json).toMatchObject({
      schema: 'codex-sandbox-dry-run/1',
      os: 'macos',
      host_os: 'linux',
      profile: ':workspace',
      command: { argv: ['/bin/echo', 'hi'], path: '/bin/echo', problem: null },
      env: { added: { CODEX_SANDBOX: 'seatbelt', CODEX_SANDBOX_NETWORK_DISABLED: '1' } },
      policy: { kind: 'restricted', sandboxed: true, readable: ['/'], network: 'restricted' },
      exit_code: 0,
    });
    expect(json.argv?.[0]).toBe('/usr/bin/sandbox-exec');
    expect(json.argv?.slice(-3)).toEqual(['--', '/bin/echo', 'hi']);
    expect(json.seatbelt?.params[0]).toEqual(['WRITABLE_ROOT_0', fs.realpathSync(ws.work)]);
    expect(json.argv).toEqual(['/usr/bin/sandbox-exec', '-p', json.seatbelt?.policy, ...(json.seatbelt?.params ?? []).map(([k, v]) => `-D${k}=${v}`), '--', '/bin/echo', 'hi']);
    expect(json.policy.writable[0]?.root).toBe(ws.work);
    expect(Array.isArray(json.warnings)).toBe(true);
    expect(JSON.parse(JSON.stringify(json))).toEqual(json);
  });

  test('environment removals are listed by name and rule, never by value', async () => {
    const sandbox = createSandbox({ cwd: ws.work, env: { ...env(), MY_SECRET_TOKEN: 'hunter2' }, configOverrides: ['shell_environment_policy.exclude=["MY_*"]'] });
    const dry = await sandbox.dryRun(['/bin/true'], { os: 'macos' });
    expect(dry.json.env.removed.map((r) => r.name)).toContain('MY_SECRET_TOKEN');
    expect(JSON.stringify(dry.json)).not.toContain('hunter2');
  });

  test('--os windows: the Windows plan, from any host', async () => {
    const sandbox = createSandbox({ cwd: ws.work, env: env() });
    const dry = await sandbox.dryRun(['/bin/true'], { os: 'windows' });
    expect(dry.json.os).toBe('windows');
    expect(dry.text).toContain('Windows: unelevated restricted token');
  });

  test('a symlinked writable root refuses the macOS plan with the Seatbelt error', async () => {
    fs.mkdirSync(path.join(ws.root, 'real'));
    fs.symlinkSync(path.join(ws.root, 'real'), path.join(ws.root, 'link'));
    const sandbox = createSandbox({ permissionProfile: ':workspace', cwd: path.join(ws.root, 'link'), env: env() });
    await expect(sandbox.dryRun(['/bin/true'], { os: 'macos' })).rejects.toThrow(/contains symlink component .*link; symlinked writable roots are not supported/);
  });
});
