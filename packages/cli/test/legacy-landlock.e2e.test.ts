// End to end, the legacy Landlock backend through the built `codex` executable (LL1-LL6), as root
// and as nobody: selected by config and by -c, refusing what it cannot enforce, shown by the dry
// run, reached through codex-linux-sandbox --use-legacy-landlock, and, inside a bubblewrap sandbox
// that forbids new user namespaces (as an unprivileged container does), the one backend that runs:
// the default one fails and says to use this one. Real processes, real bubblewrap, real Landlock.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { linuxBackendFromFeatures } from '../src/legacy-landlock.js';
import { makeWorkspace, prepareExecutable, run, type PreparedExecutable, type RunOptions } from './helpers/executable.js';

let exe: PreparedExecutable;
let ws: ReturnType<typeof makeWorkspace>;

beforeAll(() => {
  exe = prepareExecutable();
});
afterAll(() => exe?.cleanup());
beforeEach(() => {
  ws = makeWorkspace();
  fs.writeFileSync(path.join(ws.work, 'kept.txt'), 'kept\n');
  fs.chmodSync(path.join(ws.work, 'kept.txt'), 0o666);
});
afterEach(() => ws.cleanup());

const LANDLOCK = ['-c', 'features.use_legacy_landlock=true'];
const PROBE = 'cat /etc/hostname >/dev/null && echo read:ok; (echo x > kept.txt) 2>/dev/null && echo write:ok || echo write:denied; touch new 2>/dev/null && echo create:ok || echo create:denied';

function env(): Record<string, string | undefined> {
  return { PATH: '/usr/bin:/bin', HOME: ws.root, CODEX_HOME: ws.codexHome };
}

function codex(args: readonly string[], options: RunOptions = {}) {
  return run(exe.path, args, { cwd: ws.work, env: env(), ...options });
}

describe('features.use_legacy_landlock (LL1)', () => {
  test.each([
    [undefined, 'bwrap'],
    [{}, 'bwrap'],
    [{ use_legacy_landlock: false }, 'bwrap'],
    [{ use_legacy_landlock: true }, 'landlock'],
  ])('%j selects %s', (features, backend) => {
    expect(linuxBackendFromFeatures(features)).toBe(backend);
  });

  test.each([[{ use_legacy_landlock: 'yes' }], [{ use_legacy_landlock: 1 }]])('%j is refused, naming the key and what is allowed', (features) => {
    expect(() => linuxBackendFromFeatures(features)).toThrow('`features.use_legacy_landlock` must be true or false');
  });

  test('a bad value from -c is a clear error, not a stack trace, and nothing runs', () => {
    const result = codex(['sandbox', '-c', 'features.use_legacy_landlock="yes"', '--', 'sh', '-c', 'echo ran']);
    expect(result.status).not.toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('`features.use_legacy_landlock` must be true or false, not "yes"');
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});

describe.each([false, true])('the Landlock backend through codex (unprivileged: %p)', (unprivileged) => {
  test('-c selects it: reads work, writes are denied under :read-only', () => {
    const result = codex(['sandbox', ...LANDLOCK, '-P', ':read-only', '--', 'sh', '-c', PROBE], { unprivileged });
    expect(result.stdout.trim().split('\n')).toEqual(['read:ok', 'write:denied', 'create:denied']);
    expect(fs.readFileSync(path.join(ws.work, 'kept.txt'), 'utf8')).toBe('kept\n');
  });

  test('config.toml selects it, and a profile that grants the metadata names runs with its workspace writable', () => {
    fs.writeFileSync(
      path.join(ws.codexHome, 'config.toml'),
      [
        'default_permissions = "ll"',
        '[features]',
        'use_legacy_landlock = true',
        '[permissions.ll.filesystem]',
        '":root" = "read"',
        `"${ws.work}" = "write"`,
        ...['.git', '.codex', '.agents', '.aws'].map((name) => `"${ws.work}/${name}" = "write"`),
        '',
      ].join('\n'),
    );
    const dry = codex(['sandbox', '--dry-run', '--', 'true'], { unprivileged });
    expect(dry.stdout).toMatch(/^backend\s+Linux: legacy Landlock \(ABI \d+\)/m);
    const result = codex(['sandbox', '--', 'sh', '-c', `${PROBE}; echo x > ${ws.root}/outside 2>/dev/null && echo outside:ok || echo outside:denied`], { unprivileged });
    expect(result.stdout.trim().split('\n')).toEqual(['read:ok', 'write:ok', 'create:ok', 'outside:denied']);
    expect(fs.existsSync(path.join(ws.root, 'outside'))).toBe(false);
  });

  test(':workspace is refused before anything runs: Landlock cannot keep .git and .codex read-only (LL2)', () => {
    fs.mkdirSync(path.join(ws.work, '.git'));
    const result = codex(['sandbox', ...LANDLOCK, '-P', ':workspace', '--', 'sh', '-c', 'touch ran'], { unprivileged });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('permission profiles requiring direct runtime enforcement are incompatible with --use-legacy-landlock');
    expect(result.stderr).toContain(`${ws.work}/.git (inside ${ws.work})`);
    expect(result.stderr).toContain(`${ws.work}/.codex (inside ${ws.work})`);
    expect(fs.existsSync(path.join(ws.work, 'ran'))).toBe(false);
  });

  test('the dry run shows the ABI, every rule and the helper command line (LL6)', () => {
    const result = codex(['sandbox', '--dry-run', ...LANDLOCK, '-P', ':read-only', '--', 'true'], { unprivileged });
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^landlock\s+ABI \d+; everything below is denied unless a rule grants it$/m);
    expect(result.stdout).toMatch(/^\s+read\s+\/ \(execute, read_file, read_dir\)$/m);
    expect(result.stdout).toMatch(/^\s+device \/dev\/null \(/m);
    // No namespace: the network row must not claim one (the dry run never claims more than the run enforces).
    expect(result.stdout).toMatch(/^network\s+restricted \(no network: the host network namespace, with seccomp refusing new sockets; Landlock refuses TCP bind and connect\)$/m);
    expect(result.stdout).not.toContain('private network namespace');
    expect(result.stdout).toContain(`${exe.dir}/codex-resources/codex-landlock-helper --spec-fd 3 -- `);
  });
});

test('codex-linux-sandbox --use-legacy-landlock runs the command under Landlock (LL1)', () => {
  const link = path.join(ws.root, 'codex-linux-sandbox');
  fs.symlinkSync(exe.path, link);
  const profile = JSON.stringify({
    type: 'managed',
    file_system: { type: 'restricted', entries: [{ path: { type: 'special', value: { kind: 'root' } }, access: 'read' }] },
    network: 'restricted',
  });
  const result = run(link, ['--sandbox-policy-cwd', ws.work, '--permission-profile', profile, '--use-legacy-landlock', '--', 'sh', '-c', 'grep -c landlock /proc/self/status; echo x > kept.txt || echo write:denied'], { cwd: ws.work, env: env() });
  expect(result.stdout).toContain('write:denied');
  expect(result.stderr).not.toContain('bwrap');
});

describe.each([false, true])('inside a sandbox that forbids new user namespaces (unprivileged: %p)', (unprivileged) => {
  // As an unprivileged container: bwrap's --disable-userns leaves no way to create a user namespace.
  function inContainer(args: readonly string[]) {
    const outer = ['--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', '--bind', ws.root, ws.root, '--unshare-user', '--disable-userns', '--unshare-pid', '--die-with-parent', '--'];
    const argv = [...outer, exe.path, ...args];
    const [command, full] = unprivileged ? ['setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', '--', 'bwrap', ...argv]] : ['bwrap', argv];
    const envp: Record<string, string> = {};
    for (const [k, v] of Object.entries(env())) if (v !== undefined) envp[k] = v;
    return spawnSync(command, full, { cwd: ws.work, env: envp, encoding: 'utf8', timeout: 60_000 });
  }

  test('the default backend fails and names features.use_legacy_landlock; the Landlock backend confines the command (LL5)', () => {
    const failed = inContainer(['sandbox', '-P', ':read-only', '--', 'sh', '-c', 'echo ran']);
    expect(failed.status).not.toBe(0);
    expect(failed.stdout).toBe('');
    expect(failed.stderr).toContain('needs access to create user namespaces');
    expect(failed.stderr).toContain('features.use_legacy_landlock = true');

    const confined = inContainer(['sandbox', ...LANDLOCK, '-P', ':read-only', '--', 'sh', '-c', PROBE]);
    expect(confined.stderr).toBe('');
    expect(confined.stdout.trim().split('\n')).toEqual(['read:ok', 'write:denied', 'create:denied']);
    expect(fs.readFileSync(path.join(ws.work, 'kept.txt'), 'utf8')).toBe('kept\n');
  });
});
