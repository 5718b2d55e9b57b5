// What a new user reads, end to end with the built executable (real bubblewrap, real files): a
// command the policy hides versus a missing one (run and --dry-run), malformed TOML, the `**`
// warning, and the dry-run table saying each thing once. As root and as nobody where a run happens.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { makeWorkspace, prepareExecutable, run, type PreparedExecutable, type RunOptions } from './helpers/executable.js';

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

const configPath = () => path.join(ws.codexHome, 'config.toml');

function writeConfig(text: string): void {
  fs.writeFileSync(configPath(), text);
  fs.chmodSync(configPath(), 0o644);
}

function codex(args: readonly string[], options: RunOptions & { path?: string } = {}) {
  const env = { PATH: options.path ?? '/usr/bin:/bin', HOME: ws.root, CODEX_HOME: ws.codexHome };
  return run(exe.path, ['sandbox', ...args], { cwd: ws.work, env, ...options });
}

/** An executable `mytool` in `<root>/DIR`. */
function tool(dir: string, name = 'mytool'): string {
  const d = path.join(ws.root, dir);
  fs.mkdirSync(d, { recursive: true, mode: 0o755 });
  const file = path.join(d, name);
  fs.writeFileSync(file, '#!/bin/sh\necho ran\n', { mode: 0o755 });
  fs.chmodSync(file, 0o755);
  return d;
}

describe.each([
  ['root', false],
  ['nobody', true],
])('hidden versus missing, as %s', (_who, unprivileged) => {
  test('a program under a denied directory: 127 and the rule that hides it; a missing one: plain not found', () => {
    const hidden = tool('hidden-bin');
    writeConfig(`default_permissions = "p"\n[permissions.p]\nextends = ":read-only"\n[permissions.p.filesystem]\n"${hidden}" = "none"\n`);
    const PATH = `${hidden}:/usr/bin:/bin`;
    const result = codex(['--', 'mytool'], { path: PATH, unprivileged });
    expect([result.status, result.stdout, result.stderr]).toEqual([127, '', `codex sandbox: command not found: mytool (hidden by the sandbox policy: ${hidden} is denied)\n`]);
    const byPath = codex(['--', path.join(hidden, 'mytool')], { path: PATH, unprivileged });
    expect(byPath.stderr).toBe(`codex sandbox: command not found: ${path.join(hidden, 'mytool')} (hidden by the sandbox policy: ${hidden} is denied)\n`);
    const missing = codex(['--', 'no-such-tool'], { path: PATH, unprivileged });
    expect([missing.status, missing.stderr]).toEqual([127, 'codex sandbox: command not found: no-such-tool\n']);
    // The same program runs once the policy lets it.
    expect(codex(['-P', ':read-only', '--', 'mytool'], { path: PATH, unprivileged }).stdout).toBe('ran\n');
  });

  test('a program outside every readable root, and one a deny glob matches', () => {
    const outside = tool('bin');
    writeConfig(
      [
        'default_permissions = "p"',
        '[permissions.p.filesystem]',
        '"/usr" = "read"',
        '"/etc" = "read"',
        '[permissions.p.filesystem.":workspace_roots"]',
        '"." = "write"',
        '"*.sh" = "none"',
      ].join('\n'),
    );
    const result = codex(['--', 'mytool'], { path: `${outside}:/usr/bin`, unprivileged });
    expect(result.stderr).toBe(`codex sandbox: command not found: mytool (hidden by the sandbox policy: ${path.join(outside, 'mytool')} is outside every readable root)\n`);
    fs.writeFileSync(path.join(ws.work, 'tool.sh'), '#!/bin/sh\necho ran\n', { mode: 0o755 });
    fs.chmodSync(path.join(ws.work, 'tool.sh'), 0o755);
    const glob = codex(['--', './tool.sh'], { unprivileged });
    expect([glob.status, glob.stderr]).toEqual([
      127,
      `codex sandbox: command not found: ./tool.sh (hidden by the sandbox policy: ${path.join(ws.work, 'tool.sh')} matches the deny glob ${ws.work}/*.sh)\n`,
    ]);
  });

  test('--dry-run explains instead of failing: the table, the reason in the command row, the command line, the same status', () => {
    const hidden = tool('hidden-bin');
    writeConfig(`default_permissions = "p"\n[permissions.p]\nextends = ":read-only"\n[permissions.p.filesystem]\n"${hidden}" = "none"\n`);
    const PATH = `${hidden}:/usr/bin:/bin`;
    const dry = codex(['--dry-run', '--', 'mytool', 'arg'], { path: PATH, unprivileged });
    expect(dry.status).toBe(127);
    expect(dry.stderr).toBe('');
    expect(dry.stdout).toMatch(/^profile {4}p$/m);
    expect(dry.stdout).toContain(`\ndenied     ${hidden}\n`);
    expect(dry.stdout).toContain(
      `\ncommand    command not found: mytool (hidden by the sandbox policy: ${hidden} is denied); the run would exit 127\n`,
    );
    expect(dry.stdout).toMatch(/\ncommand line:\n {2}\S*bwrap .* -- mytool arg\n$/);
    const missing = codex(['--dry-run', '--', 'no-such-tool'], { path: PATH, unprivileged });
    expect(missing.status).toBe(127);
    expect(missing.stdout).toContain('\ncommand    command not found: no-such-tool; the run would exit 127\n');
  });
});

describe('malformed TOML', () => {
  test('file, line, column, the table, what was expected, and the line itself', () => {
    writeConfig('default_permissions = "dev"\n[permissions.dev.filesystem]\n:root = "read"\n');
    const result = codex(['--', 'true']);
    expect(result.status).toBe(1);
    expect(result.stderr).toBe(
      [
        `codex sandbox: ${configPath()}:3:1: invalid TOML at \`[permissions.dev.filesystem]\`: illegal character in key; found \`:\`; expected a bare key (letters, digits, \`_\` and \`-\` only) or a quoted one: write \`":root"\``,
        '  3 | :root = "read"',
        '    | ^',
        '',
      ].join('\n'),
    );
  });

  test('an unquoted value names its key', () => {
    writeConfig('[shell_environment_policy]\n\ninherit = core\n');
    expect(codex(['--', 'true']).stderr.split('\n')[0]).toBe(
      `codex sandbox: ${configPath()}:3:11: invalid TOML at \`shell_environment_policy.inherit\`: invalid value; found \`core\`; expected a value: a "quoted string", a number, true or false, an [array] or an { inline = table }; strings must be quoted: \`"core"\``,
    );
  });
});

test('the `**` warning speaks the user\'s spelling and does not recommend narrowing the scan', () => {
  writeConfig(
    ['default_permissions = "p"', '[permissions.p]', 'extends = ":workspace"', '[permissions.p.filesystem.":workspace_roots"]', '"**/.env" = "none"'].join('\n'),
  );
  const deep = path.join(ws.work, 'a', 'b', 'c', 'd');
  fs.mkdirSync(deep, { recursive: true });
  fs.writeFileSync(path.join(deep, '.env'), 'SECRET=1\n');
  const result = codex(['--', 'sh', '-c', 'cat a/b/c/d/.env || echo hidden']);
  expect(result.stdout).toBe('hidden\n');
  expect(result.stderr).toContain(
    'codex sandbox: warning: Filesystem deny-read glob `permissions.p.filesystem.":workspace_roots"."**/.env"` uses `**`: on this platform the files it matches are found when the command starts, by scanning each workspace root to any depth',
  );
  expect(result.stderr).toContain('Setting `glob_scan_max_depth` in `[permissions.p.filesystem]` limits that scan to that many directory levels, so deeper matches stay readable');
  expect(result.stderr).not.toContain('codex-project-roots://');
});

test('the dry-run table says each thing once: no repeated readable roots, no denied path called read-only', () => {
  const secret = path.join(ws.work, 'secret');
  fs.mkdirSync(secret);
  writeConfig(
    [
      'default_permissions = "p"',
      '[permissions.p]',
      'extends = ":workspace"',
      '[permissions.p.filesystem]',
      `"${secret}" = "none"`,
    ].join('\n'),
  );
  const out = codex(['--dry-run', '--', 'true']).stdout;
  const table = out.slice(out.indexOf('\nreadable'), out.indexOf('\nbackend'));
  expect(table.match(/^readable {3}.*$/m)?.[0]).toBe('readable   /');
  expect(table).toMatch(/\nreadable {3}\/\nwritable /);
  expect(table).not.toContain(`read-only: ${secret}`);
  expect(table.split('\n').filter((line) => line.trim() === ws.work || line.endsWith(` ${ws.work}`))).toHaveLength(1);
  expect(table).toContain(`\ndenied     ${secret}`);
});
