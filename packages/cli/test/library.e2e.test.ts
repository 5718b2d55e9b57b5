// The in-process API against real bubblewrap: one sandbox object, many runs.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CommandNotFoundError, createSandbox } from '../src/index.js';
import { makeWorkspace, testBwrap } from './helpers/executable.js';

let ws: ReturnType<typeof makeWorkspace>;
beforeAll(() => {
  testBwrap(); // fail, not skip, without the test bwrap
});
beforeEach(() => {
  ws = makeWorkspace();
});
afterEach(() => ws.cleanup());

function env(): Record<string, string | undefined> {
  return { PATH: process.env['PATH'], HOME: ws.root, CODEX_HOME: ws.codexHome };
}

test('one sandbox runs many commands; confinement holds for each', async () => {
  const warnings: string[] = [];
  const sandbox = createSandbox({ permissionProfile: ':workspace', cwd: ws.work, env: env(), onWarning: (w) => warnings.push(w) });
  try {
    expect(sandbox.profileId).toBe(':workspace');
    for (let i = 0; i < 5; i++) {
      expect((await sandbox.run(['sh', '-c', `echo ${i} > f${i}`], { stdio: 'ignore' })).exitCode).toBe(0);
      expect(fs.readFileSync(path.join(ws.work, `f${i}`), 'utf8')).toBe(`${i}\n`);
    }
    expect((await sandbox.run(['sh', '-c', 'exit 9'], { stdio: 'ignore' })).exitCode).toBe(9);
    expect((await sandbox.run(['sh', '-c', 'mkdir -p .git && touch .git/x'], { stdio: 'ignore' })).exitCode).not.toBe(0);
    expect(sandbox.accessFor(path.join(ws.work, 'f0'))).toBe('write');
    expect(sandbox.accessFor('/etc/passwd')).toBe('read');
    await expect(sandbox.run(['no-such-command-xyz'])).rejects.toThrow(CommandNotFoundError);
  } finally {
    sandbox.dispose();
  }
});

test('per-run cwd and env; plan() shows the command line without running', async () => {
  const sub = path.join(ws.work, 'sub');
  fs.mkdirSync(sub);
  const sandbox = createSandbox({ cwd: ws.work, env: env() });
  try {
    expect(sandbox.profileId).toBe(':read-only');
    const marker = path.join(sub, 'marker');
    expect((await sandbox.run(['sh', '-c', `test "$PWD" = '${sub}' && test "$X" = y`], { cwd: sub, env: { ...env(), X: 'y' }, stdio: 'ignore' })).exitCode).toBe(0);
    const plan = await sandbox.plan(['touch', marker]);
    expect(plan.commandPath).toMatch(/\/touch$/);
    expect(plan.argv).toContain('--unshare-net');
    expect(plan.argv.slice(-2)).toEqual(['touch', marker]);
    expect(plan.envAdditions).toEqual({ CODEX_SANDBOX_NETWORK_DISABLED: '1' });
    expect(fs.existsSync(marker)).toBe(false);
    expect(await sandbox.explain(['cat', './x'])).toMatch(/^profile\s+:read-only$/m);
  } finally {
    sandbox.dispose();
  }
});

test("stdio 'pipe' collects output and feeds input", async () => {
  const sandbox = createSandbox({ cwd: ws.work, env: env() });
  try {
    const result = await sandbox.run(['sh', '-c', 'cat; echo err >&2; exit 4'], { stdio: 'pipe', input: 'hello\n' });
    expect(result.exitCode).toBe(4);
    expect(result.stdout?.toString()).toBe('hello\n');
    expect(result.stderr?.toString()).toBe('err\n');
    const big = await sandbox.run(['sh', '-c', 'head -c 1000000 /dev/zero'], { stdio: 'pipe' });
    expect(big.stdout?.length).toBe(1000000);
  } finally {
    sandbox.dispose();
  }
});

test("stdio 'pipe': a command that exits without reading its input is not an error of the run", async () => {
  const sandbox = createSandbox({ cwd: ws.work, env: env() });
  try {
    // 4 MiB cannot sit in a pipe: the write is still going when the command exits and its stdin
    // closes (EPIPE), which must not reject the run nor reach the host as an uncaught error.
    const input = Buffer.alloc(4 * 1024 * 1024, 0x61);
    const result = await sandbox.run(['sh', '-c', 'echo done; exit 3'], { stdio: 'pipe', input });
    expect([result.exitCode, result.stdout?.toString()]).toEqual([3, 'done\n']);
    const head = await sandbox.run(['head', '-c', '5'], { stdio: 'pipe', input });
    expect([head.exitCode, head.stdout?.toString()]).toEqual([0, 'aaaaa']);
  } finally {
    sandbox.dispose();
  }
});

test('config errors surface from createSandbox as typed errors', () => {
  fs.writeFileSync(path.join(ws.codexHome, 'config.toml'), 'sandbox_mode = 3\n');
  expect(() => createSandbox({ cwd: ws.work, env: env() })).toThrow(/sandbox_mode/);
});
