// M1 and M15 on this host with real processes. sandbox-exec does not exist here, so the runner's
// process handling (argv, environment, exit status, a start failure) is checked with a stand-in
// executable that runs what follows `--`; what sandbox-exec enforces is checked only on macOS
// (*.macos.test.ts). Nothing here claims macOS coverage.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { resolveSandboxPolicy } from '@codex-sandbox/policy';
import { attributeDenials, descendantsOf, formatDenials, parseDenialLine, trackProcessTree } from '../src/denial-log.js';
import { SeatbeltRunError } from '../src/errors.js';
import { planSeatbelt } from '../src/plan.js';
import { launchEnvironment, launchPlanned } from '../src/runner.js';

let dir: string;
let standIn: string;
beforeEach(() => {
  dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'seatbelt-runner-')));
  standIn = path.join(dir, 'stand-in');
  // Records its arguments, then runs the command after `--` (what sandbox-exec does, minus the sandbox).
  fs.writeFileSync(standIn, `#!/bin/sh\nprintf '%s\\n' "$@" > "${dir}/args"\nwhile [ "$1" != "--" ]; do shift; done\nshift\nexec "$@"\n`, { mode: 0o755 });
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function plan(command: string[]) {
  const resolved = resolveSandboxPolicy({ type: 'managed', network: 'restricted', fileSystem: { type: 'restricted', entries: [{ path: { type: 'special', value: { kind: 'root' } }, access: 'read' }] } }, { cwd: dir, workspaceRoots: [], env: {} });
  return planSeatbelt(resolved, command);
}

describe('the argv, environment and exit status of one launch', () => {
  test('the executable gets exactly the plan argv after argv[0]', async () => {
    const p = plan(['/bin/sh', '-c', 'exit 0']);
    await launchPlanned({ plan: p, cwd: dir, env: {}, stdio: 'ignore' }, standIn);
    expect(fs.readFileSync(path.join(dir, 'args'), 'utf8')).toBe(`${p.argv.slice(1).join('\n')}\n`);
    expect(p.argv.slice(0, 3)).toEqual(['/usr/bin/sandbox-exec', '-p', p.policy.text]);
  });

  test.each<[string, number]>([
    ['exit 0', 0],
    ['exit 3', 3],
    ['kill -TERM $$', 128 + 15],
    ['kill -KILL $$', 128 + 9],
  ])('%s -> status %i', async (script, status) => {
    const result = await launchPlanned({ plan: plan(['/bin/sh', '-c', script]), cwd: dir, env: {}, stdio: 'ignore' }, standIn);
    expect(result.exitCode).toBe(status);
  });

  test('the command gets CODEX_SANDBOX=seatbelt on top of its environment; unset variables are dropped', async () => {
    const out = path.join(dir, 'env');
    const env = { CODEX_SANDBOX_NETWORK_DISABLED: '1', KEEP: 'x', UNSET: undefined, PATH: '/usr/bin:/bin' };
    await launchPlanned({ plan: plan(['/bin/sh', '-c', `env > ${out}`]), cwd: dir, env, stdio: 'ignore' }, standIn);
    const lines = fs.readFileSync(out, 'utf8').split('\n');
    expect(lines).toEqual(expect.arrayContaining(['CODEX_SANDBOX=seatbelt', 'CODEX_SANDBOX_NETWORK_DISABLED=1', 'KEEP=x']));
    expect(lines.some((l) => l.startsWith('UNSET='))).toBe(false);
    expect(launchEnvironment({ CODEX_SANDBOX: 'spoofed' }, { envAdditions: { CODEX_SANDBOX: 'seatbelt' } })).toEqual({ CODEX_SANDBOX: 'seatbelt' });
  });

  test('an executable that cannot start is a SeatbeltRunError naming it', async () => {
    await expect(launchPlanned({ plan: plan(['/bin/true']), cwd: dir, env: {}, stdio: 'ignore' }, path.join(dir, 'missing'))).rejects.toThrow(SeatbeltRunError);
  });
});

describe('--log-denials (M15)', () => {
  const line = (message: string) => JSON.stringify({ eventMessage: message, processID: 0 });

  test.each<[string, ReturnType<typeof parseDenialLine>]>([
    [line('Sandbox: cat(4242) deny(1) file-read-data /Users/me/secret'), { name: 'cat', pid: 4242, capability: 'file-read-data /Users/me/secret' }],
    [line('Sandbox: my tool (x)(17) deny(1) network-outbound 1.2.3.4:443'), { name: 'my tool (x)', pid: 17, capability: 'network-outbound 1.2.3.4:443' }],
    [line('Sandbox: cat(1) allow file-read-data /x'), undefined],
    ['Filtering the log data using "..."', undefined],
    [JSON.stringify({ other: 1 }), undefined],
  ])('parseDenialLine(%s)', (input, expected) => {
    expect(parseDenialLine(input)).toEqual(expected);
  });

  test('only the tracked process tree, unique by process name and capability, first seen first', () => {
    const denials = [
      { name: 'cat', pid: 10, capability: 'file-read-data /a' },
      { name: 'other', pid: 99, capability: 'file-read-data /a' },
      { name: 'cat', pid: 11, capability: 'file-read-data /a' },
      { name: 'sh', pid: 11, capability: 'file-write-create /b' },
    ];
    expect(attributeDenials(denials, new Set([10, 11]))).toEqual([denials[0], denials[3]]);
    expect(formatDenials(attributeDenials(denials, new Set([10, 11])))).toBe('\n=== Sandbox denials ===\n(cat) file-read-data /a\n(sh) file-write-create /b\n');
    expect(formatDenials([])).toBe('\n=== Sandbox denials ===\nNone found.\n');
  });

  test('descendantsOf follows ppid links from the root only', () => {
    expect([...descendantsOf(10, '  10 1\n 11 10\n 12 11\n 13 1\n 14 13\n')].sort()).toEqual([10, 11, 12]);
  });

  (fs.existsSync('/bin/ps') ? test : test.skip)('trackProcessTree sees a real grandchild', async () => {
    const child = spawn('/bin/sh', ['-c', 'sleep 1 & echo $!; wait'], { stdio: ['ignore', 'pipe', 'ignore'] });
    const grandchild = await new Promise<number>((resolve) => child.stdout.once('data', (d: Buffer) => resolve(Number(String(d).trim()))));
    const tracker = trackProcessTree(child.pid as number, 20);
    await new Promise((r) => setTimeout(r, 300));
    const tracked = await tracker.stop();
    child.kill('SIGTERM');
    expect(tracked.has(grandchild)).toBe(true);
    expect(tracked.has(process.pid)).toBe(false);
  });
});
