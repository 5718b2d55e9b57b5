// `shell_environment_policy` end to end: the built executable and the library API, real bubblewrap,
// as root and as nobody. The expected environments are what the Codex CLI 0.171 printed for
// `codex sandbox -- env` with the same config and input (apart from PATH, where it puts its own
// helper directories first); see the top comment of policy/src/command-environment.ts.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError } from '@codex-sandbox/policy';
import { createSandbox } from '../src/index.js';
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

/** The input environment of the Codex CLI runs, with this workspace's HOME and CODEX_HOME. */
function callerEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    HOME: ws.root,
    CODEX_HOME: ws.codexHome,
    TMPDIR: tmpDir(),
    PATH: '/usr/local/bin:/usr/bin:/bin',
    LANG: 'C.UTF-8',
    LC_ALL: 'C',
    LC_CTYPE: 'C',
    LC_MESSAGES: 'C',
    LOGNAME: 'root',
    USER: 'root',
    USERNAME: 'root',
    SHELL: '/bin/sh',
    TERM: 'xterm',
    PWD: '/nonexistent-pwd',
    OLDPWD: '/',
    TZ: 'UTC',
    DISPLAY: ':0',
    TMP: '/tmp',
    TEMP: '/tmp',
    MY_API_KEY: 'value-of-my-api-key',
    AWS_SECRET_ACCESS_KEY: 'value-of-aws-secret',
    GITHUB_TOKEN: 'value-of-github-token',
    FOO: '4',
    foo_key: '5',
    ...extra,
  };
}

/** A TMPDIR every user can write (the sandbox keeps its placeholder registry there). */
function tmpDir(): string {
  const dir = path.join(ws.root, 'tmp');
  fs.mkdirSync(dir, { recursive: true });
  fs.chmodSync(dir, 0o1777);
  return dir;
}

function writeConfig(text: string): void {
  fs.writeFileSync(path.join(ws.codexHome, 'config.toml'), text);
  fs.chmodSync(path.join(ws.codexHome, 'config.toml'), 0o644);
}

/** `env` inside the sandbox: its lines in the order the command got them. */
function sandboxEnv(args: readonly string[], unprivileged: boolean, extra: Record<string, string> = {}): string[] {
  const result = run(exe.path, ['sandbox', ...args, '--', 'env'], { cwd: ws.work, env: callerEnv(extra), unprivileged });
  expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
  return result.stdout.split('\n').filter((line) => line !== '');
}

const names = (lines: readonly string[]): string[] => lines.map((line) => line.slice(0, line.indexOf('=')));

describe.each([
  ['root', false],
  ['nobody', true],
])('as %s', (_who, unprivileged) => {
  test('no policy: every variable, sorted by name; bubblewrap sets PWD to the working directory', () => {
    const lines = sandboxEnv([], unprivileged);
    const expected = [...Object.keys(callerEnv()), 'CODEX_SANDBOX_NETWORK_DISABLED'].sort();
    expect(names(lines)).toEqual(expected);
    expect(lines).toContain(`PWD=${ws.work}`);
    expect(lines).toContain('GITHUB_TOKEN=value-of-github-token');
  });

  test('inherit = "core": the Codex CLI core list; PWD added back by bubblewrap, last', () => {
    writeConfig('[shell_environment_policy]\ninherit = "core"\n');
    const lines = sandboxEnv([], unprivileged);
    expect(names(lines)).toEqual([
      'CODEX_SANDBOX_NETWORK_DISABLED',
      'HOME',
      'LANG',
      'LC_ALL',
      'LC_CTYPE',
      'LOGNAME',
      'PATH',
      'SHELL',
      'TEMP',
      'TMP',
      'TMPDIR',
      'USER',
      'PWD',
    ]);
    expect(lines).toContain('PATH=/usr/local/bin:/usr/bin:/bin');
    expect(lines.at(-1)).toBe(`PWD=${ws.work}`);
  });

  test('ignore_default_excludes = false, exclude, set and include_only, in that order', () => {
    writeConfig(
      [
        '[shell_environment_policy]',
        'ignore_default_excludes = false',
        'exclude = ["foo*", "LC_*", "?MP"]',
        'set = { FOO = "set", NEW_TOKEN = "t" }',
        'include_only = ["*O*", "PATH", "L*", "NEW_*"]',
      ].join('\n'),
    );
    expect(sandboxEnv([], unprivileged)).toEqual([
      `CODEX_HOME=${ws.codexHome}`,
      'CODEX_SANDBOX_NETWORK_DISABLED=1',
      'FOO=set',
      'HOME=' + ws.root,
      'LANG=C.UTF-8',
      'LOGNAME=root',
      'NEW_TOKEN=t',
      'OLDPWD=/',
      'PATH=/usr/local/bin:/usr/bin:/bin',
      `PWD=${ws.work}`,
    ]);
  });

  test('inherit = "none": the command still starts (execvp default search path) and sees only `set`', () => {
    writeConfig('[shell_environment_policy]\ninherit = "none"\nset = { A = "b" }\n');
    expect(sandboxEnv([], unprivileged)).toEqual(['A=b', 'CODEX_SANDBOX_NETWORK_DISABLED=1', `PWD=${ws.work}`]);
  });

  test('a profile table applies after the top-level one and can only narrow it', () => {
    writeConfig(
      [
        'default_permissions = "dev"',
        '[shell_environment_policy]',
        'inherit = "core"',
        '[permissions.dev]',
        'extends = ":workspace"',
        '[permissions.dev.shell_environment_policy]',
        'inherit = "all"',
        'exclude = ["L*", "T*"]',
        'set = { PROFILE = "dev" }',
      ].join('\n'),
    );
    expect(names(sandboxEnv([], unprivileged))).toEqual(['CODEX_SANDBOX_NETWORK_DISABLED', 'HOME', 'PATH', 'PROFILE', 'SHELL', 'USER', 'PWD']);
    // Another profile of the same config does not get dev's rules.
    expect(names(sandboxEnv(['-P', ':workspace'], unprivileged))).toContain('LANG');
  });

  test('-c overrides the table key by key', () => {
    writeConfig('[shell_environment_policy]\ninherit = "none"\n');
    expect(sandboxEnv(['-c', 'shell_environment_policy.inherit=core', '-c', 'shell_environment_policy.include_only=["HOME"]'], unprivileged)).toEqual([
      'CODEX_SANDBOX_NETWORK_DISABLED=1',
      `HOME=${ws.root}`,
      `PWD=${ws.work}`,
    ]);
  });
});

test(':danger-full-access runs without bubblewrap: the policy still applies, PWD is what it left', () => {
  writeConfig('[shell_environment_policy]\ninherit = "core"\n');
  expect(sandboxEnv(['-P', ':danger-full-access'], false)).toEqual([
    `HOME=${ws.root}`,
    'LANG=C.UTF-8',
    'LC_ALL=C',
    'LC_CTYPE=C',
    'LOGNAME=root',
    'PATH=/usr/local/bin:/usr/bin:/bin',
    'SHELL=/bin/sh',
    'TEMP=/tmp',
    'TMP=/tmp',
    `TMPDIR=${tmpDir()}`,
    'USER=root',
  ]);
});

describe('mistakes are errors that name the key; nothing runs', () => {
  test.each([
    ['inherit = "some"', '`shell_environment_policy.inherit` is `some`; allowed: `all`, `core`, `none`'],
    ['bogus = true', 'unknown key `bogus` in `[shell_environment_policy]`'],
    ['exclude = ["*_[Kk][Ee][Yy]"]', '`shell_environment_policy.exclude[0]` is `*_[Kk][Ee][Yy]`: `[` is not supported'],
    ['set = { A = 1 }', '`shell_environment_policy.set.A` must be a string, not an integer'],
  ])('%s', (body, message) => {
    writeConfig(`[shell_environment_policy]\n${body}\n`);
    const marker = path.join(ws.work, 'ran');
    const result = run(exe.path, ['sandbox', '--', 'touch', marker], { cwd: ws.work, env: callerEnv() });
    expect(result.status).toBe(1);
    expect(result.stderr.startsWith(`codex sandbox: ${path.join(ws.codexHome, 'config.toml')}: `)).toBe(true);
    expect(result.stderr.split('\n')).toHaveLength(2);
    expect(result.stderr).toContain(message);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(fs.existsSync(marker)).toBe(false);
  });
});

test('--dry-run shows the environment by name, values masked, and the rule that dropped each variable', () => {
  writeConfig('[shell_environment_policy]\nignore_default_excludes = false\nexclude = ["LC_*"]\nset = { FOO = "set-value" }\ninclude_only = ["*"]\n');
  const result = run(exe.path, ['sandbox', '--dry-run', '--', 'env'], { cwd: ws.work, env: callerEnv() });
  expect(result.status).toBe(0);
  const out = result.stdout;
  const row = (section: string, text: string) => {
    const escaped = text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    return new RegExp(`^(?:${section.padEnd(10)}|${' '.repeat(10)}) ${escaped}$`, 'm');
  };
  expect(out).toMatch(row('env', 'CODEX_SANDBOX_NETWORK_DISABLED=1 (added: the network is restricted)'));
  expect(out).toMatch(row('env', 'FOO=*** (set by shell_environment_policy.set.FOO)'));
  expect(out).toMatch(row('env', 'HOME=***'));
  expect(out).toMatch(row('not passed', 'AWS_SECRET_ACCESS_KEY (shell_environment_policy.ignore_default_excludes = false (default exclude "*KEY*"))'));
  expect(out).toMatch(row('not passed', 'LC_ALL (shell_environment_policy.exclude "LC_*")'));
  expect(out).toMatch(row('not passed', 'GITHUB_TOKEN (shell_environment_policy.ignore_default_excludes = false (default exclude "*TOKEN*"))'));
  expect(out).not.toMatch(row('env', 'GITHUB_TOKEN=***'));
  for (const value of ['value-of-my-api-key', 'value-of-aws-secret', 'value-of-github-token', 'set-value', 'C.UTF-8']) expect(out).not.toContain(value);
});

describe('the library API', () => {
  test('applies the config policy and its own option after it, to each run', async () => {
    writeConfig('[shell_environment_policy]\ninherit = "core"\n');
    const sandbox = createSandbox({
      cwd: ws.work,
      env: callerEnv(),
      shellEnvironmentPolicy: { exclude: ['L*'], set: { EXTRA: 'x' } },
    });
    try {
      const result = await sandbox.run(['env'], { stdio: 'pipe' });
      expect(result.exitCode).toBe(0);
      expect(names((result.stdout?.toString() ?? '').split('\n').filter((l) => l !== ''))).toEqual([
        'CODEX_SANDBOX_NETWORK_DISABLED',
        'EXTRA',
        'HOME',
        'PATH',
        'SHELL',
        'TEMP',
        'TMP',
        'TMPDIR',
        'USER',
        'PWD',
      ]);
      // A per-run env is the policy's input.
      const perRun = await sandbox.run(['env'], { stdio: 'pipe', env: { HOME: '/h', PATH: '/usr/bin:/bin', TERM: 'x' } });
      expect(perRun.stdout?.toString()).toBe(`CODEX_SANDBOX_NETWORK_DISABLED=1\nEXTRA=x\nHOME=/h\nPATH=/usr/bin:/bin\nPWD=${ws.work}\n`);
      const plan = await sandbox.plan(['true']);
      expect(plan.environment.dropped).toContainEqual({ name: 'LANG', rule: 'shellEnvironmentPolicy.exclude "L*"' });
      expect(plan.environment.dropped).toContainEqual({ name: 'GITHUB_TOKEN', rule: 'shell_environment_policy.inherit = "core"' });
    } finally {
      sandbox.dispose();
    }
  });

  test('a bad option is a ConfigError naming it', () => {
    expect(() => createSandbox({ cwd: ws.work, env: callerEnv(), shellEnvironmentPolicy: { inherit: 'some' as 'all' } })).toThrow(ConfigError);
    expect(() => createSandbox({ cwd: ws.work, env: callerEnv(), shellEnvironmentPolicy: { inherit: 'some' as 'all' } })).toThrow(
      '`shellEnvironmentPolicy.inherit` is `some`; allowed: `all`, `core`, `none`',
    );
  });
});
