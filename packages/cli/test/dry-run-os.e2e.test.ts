// The built `codex` executable on this Linux host: `--dry-run --os macos` renders the Seatbelt
// plan, `--json` prints one object, `--os windows` refuses, and the macOS-only options refuse on
// Linux instead of being ignored. Nothing here runs sandbox-exec.
import * as fs from 'node:fs';
import { makeWorkspace, prepareExecutable, run, type PreparedExecutable } from './helpers/executable.js';

let exe: PreparedExecutable;
let ws: ReturnType<typeof makeWorkspace>;
beforeAll(() => {
  exe = prepareExecutable();
});
afterAll(() => exe?.cleanup());
beforeEach(() => {
  ws = makeWorkspace();
});
afterEach(() => ws.cleanup());

function codex(args: readonly string[]) {
  return run(exe.path, args, { cwd: ws.work, env: { PATH: '/usr/bin:/bin', HOME: ws.root, CODEX_HOME: ws.codexHome } });
}

test('--dry-run --os macos --json: the sandbox-exec argv, the SBPL and the policy, as one JSON object', () => {
  const result = codex(['sandbox', '-P', ':workspace', '--dry-run', '--os', 'macos', '--json', '--allow-unix-socket', 'agent.sock', '--', '/bin/echo', 'hi']);
  expect(result.status).toBe(0);
  const json = JSON.parse(result.stdout) as { os: string; argv: string[]; seatbelt: { policy: string; params: Array<[string, string]> }; policy: { network: string } };
  expect(json.os).toBe('macos');
  expect(json.argv.slice(0, 3)).toEqual(['/usr/bin/sandbox-exec', '-p', json.seatbelt.policy]);
  expect(json.argv.slice(-3)).toEqual(['--', '/bin/echo', 'hi']);
  expect(json.seatbelt.params).toContainEqual(['UNIX_SOCKET_PATH_0', `${fs.realpathSync(ws.work)}/agent.sock`]);
  expect(json.seatbelt.policy).toContain('(allow network-outbound (remote unix-socket (subpath (param "UNIX_SOCKET_PATH_0"))))');
  expect(json.policy.network).toBe('restricted');
});

test('--dry-run --json on Linux (and --os linux): the bubblewrap argv, no seatbelt field', () => {
  for (const extra of [[], ['--os', 'linux']]) {
    const result = codex(['sandbox', '-P', ':workspace', '--dry-run', ...extra, '--json', '--', '/bin/true']);
    expect(result.status).toBe(0);
    const json = JSON.parse(result.stdout) as Record<string, unknown> & { argv: string[]; env: { added: Record<string, string> } };
    expect(json['os']).toBe('linux');
    expect(json.argv[0]).toMatch(/bwrap$/);
    expect(json.argv.slice(-2)).toEqual(['--', '/bin/true']);
    expect(json.env.added).toEqual({ CODEX_SANDBOX_NETWORK_DISABLED: '1' });
    expect(json['seatbelt']).toBeUndefined();
  }
});

test('--dry-run --os macos: the table with the SBPL and the command line', () => {
  const result = codex(['sandbox', '--dry-run', '--os', 'macos', '--', '/bin/true']);
  expect(result.status).toBe(0);
  expect(result.stdout).toMatch(/^backend +macOS: \/usr\/bin\/sandbox-exec/m);
  expect(result.stdout).toMatch(/^sbpl +\(version 1\)$/m);
  expect(result.stdout).toMatch(/^ +\(deny default\)$/m);
  expect(result.stdout).toContain('command line:\n  /usr/bin/sandbox-exec -p ');
});

test('--dry-run --os windows --json: the restricted-token plan from this host, host facts as placeholders', () => {
  const result = codex(['sandbox', '--dry-run', '--os', 'windows', '--json', '--', '/bin/true']);
  expect(result.status).toBe(0);
  const json = JSON.parse(result.stdout) as { os: string; windows?: { token: { restrictingSids: string[] } } };
  expect(json.os).toBe('windows');
  expect(json.windows?.token.restrictingSids).toContain('<user SID>');
  const text = codex(['sandbox', '--dry-run', '--os', 'windows', '--', '/bin/true']);
  expect(text.stdout).toMatch(/^network +restricted \(best effort: proxy variables point nowhere and ssh\/scp fail; sockets themselves are not filtered\)$/m);
});

test.each([
  [['sandbox', '--allow-unix-socket', '/tmp/x.sock', '--', '/bin/true'], 1, '--allow-unix-socket is a macOS (Seatbelt) option'],
  [['sandbox', '--log-denials', '--', '/bin/true'], 1, '--log-denials is a macOS (Seatbelt) option'],
  [['sandbox', '--os', 'macos', '--', '/bin/true'], 2, "--os renders another OS's plan and needs --dry-run"],
])('%j exits %i: %s', (argv, status, message) => {
  const result = codex(argv);
  expect(result.status).toBe(status);
  expect(result.stderr).toContain(message);
  expect(result.stderr).not.toMatch(/\n\s+at /);
});
