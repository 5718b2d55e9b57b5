// End to end, issue 10 item 5 (and 11): a sandboxed command cannot change what the next run does by
// rewriting the front end's own state. CODEX_HOME inside the workspace (existing, missing, or a
// config file that links into the workspace) stays read-only for the built `codex` executable (as
// root and as nobody), the `codex-linux-sandbox` helper and the library API; `.aws` too. Real
// processes, real bubblewrap, real files.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createSandbox } from '../src/index.js';
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

function env(codexHome: string): Record<string, string | undefined> {
  return { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: ws.root, CODEX_HOME: codexHome };
}

function codex(args: readonly string[], codexHome: string, options: RunOptions = {}) {
  return run(exe.path, args, { cwd: ws.work, env: env(codexHome), ...options });
}

/** A world-writable directory and file, so only the sandbox can stop a write by nobody. */
function writableHome(dir: string, config?: string): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.chmodSync(dir, 0o777);
  if (config !== undefined) {
    fs.writeFileSync(path.join(dir, 'config.toml'), config);
    fs.chmodSync(path.join(dir, 'config.toml'), 0o666);
  }
}

const ESCALATE = `echo 'sandbox_mode = "danger-full-access"' > "$CODEX_HOME/config.toml"`;
const WORKSPACE_CONFIG = 'sandbox_mode = "workspace-write"\n';

describe.each([false, true])('the codex executable (unprivileged: %p)', (unprivileged) => {
  test('CODEX_HOME inside the workspace: config.toml cannot be rewritten, and the next run keeps its profile', () => {
    const home = path.join(ws.work, 'home');
    writableHome(home, WORKSPACE_CONFIG);
    const attack = codex(['sandbox', '--', 'sh', '-c', `${ESCALATE} && echo rewritten; mv "$CODEX_HOME" moved && echo moved; echo ok > plain.txt`], home, { unprivileged });
    expect(attack.stdout).toBe('');
    expect(fs.readFileSync(path.join(home, 'config.toml'), 'utf8')).toBe(WORKSPACE_CONFIG);
    // The workspace itself was writable: the profile really was :workspace.
    expect(fs.readFileSync(path.join(ws.work, 'plain.txt'), 'utf8')).toBe('ok\n');
    const next = codex(['sandbox', '--dry-run', '--', 'true'], home, { unprivileged });
    expect(next.stdout).toMatch(/^profile\s+:workspace$/m);
    expect(next.stdout).toContain(`note       ${home} (CODEX_HOME) and the config files read from it are read-only inside the sandbox`);
  });

  test('a missing CODEX_HOME inside the workspace cannot be created; nothing is left behind', () => {
    const home = path.join(ws.work, 'newhome');
    const attack = codex(['sandbox', '-P', ':workspace', '--', 'sh', '-c', `mkdir -p "$CODEX_HOME" && ${ESCALATE} && echo created`], home, { unprivileged });
    expect(attack.stdout).toBe('');
    expect(attack.status).not.toBe(0);
    expect(fs.readdirSync(ws.work)).toEqual([]);
    expect(codex(['sandbox', '--dry-run', '--', 'true'], home, { unprivileged }).stdout).toMatch(/^profile\s+:read-only$/m);
  });

  test('a config.toml that links into the workspace cannot be rewritten through the workspace', () => {
    const home = path.join(ws.root, 'outside-home');
    writableHome(home);
    fs.writeFileSync(path.join(ws.work, 'cfg.toml'), WORKSPACE_CONFIG);
    fs.chmodSync(path.join(ws.work, 'cfg.toml'), 0o666);
    fs.symlinkSync(path.join(ws.work, 'cfg.toml'), path.join(home, 'config.toml'));
    const attack = codex(['sandbox', '--', 'sh', '-c', `echo 'sandbox_mode = "danger-full-access"' > cfg.toml && echo rewritten`], home, { unprivileged });
    expect(attack.stdout).toBe('');
    expect(fs.readFileSync(path.join(ws.work, 'cfg.toml'), 'utf8')).toBe(WORKSPACE_CONFIG);
  });

  test('the default ~/.codex with the workspace = ~ stays read-only', () => {
    const home = ws.work;
    writableHome(path.join(home, '.codex'), WORKSPACE_CONFIG);
    const attack = run(exe.path, ['sandbox', '--', 'sh', '-c', `echo 'sandbox_mode = "danger-full-access"' > .codex/config.toml && echo rewritten`], {
      cwd: home,
      env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: home },
      unprivileged,
    });
    expect(attack.stdout).toBe('');
    expect(fs.readFileSync(path.join(home, '.codex', 'config.toml'), 'utf8')).toBe(WORKSPACE_CONFIG);
  });

  test('.aws in the workspace is read-only under :workspace (item 11)', () => {
    writableHome(path.join(ws.work, '.aws'));
    fs.writeFileSync(path.join(ws.work, '.aws', 'credentials'), 'orig');
    fs.chmodSync(path.join(ws.work, '.aws', 'credentials'), 0o666);
    const attack = codex(['sandbox', '-P', ':workspace', '--', 'sh', '-c', 'echo evil > .aws/credentials && echo wrote; echo ok > plain.txt && echo plain'], ws.codexHome, {
      unprivileged,
    });
    expect(attack.stdout).toBe('plain\n');
    expect(fs.readFileSync(path.join(ws.work, '.aws', 'credentials'), 'utf8')).toBe('orig');
  });
});

test('the codex-linux-sandbox helper keeps CODEX_HOME read-only too', () => {
  const home = path.join(ws.work, 'home');
  writableHome(home, WORKSPACE_CONFIG);
  const link = path.join(ws.root, 'codex-linux-sandbox');
  fs.symlinkSync(exe.path, link);
  const profile = JSON.stringify({
    type: 'managed',
    file_system: {
      type: 'restricted',
      entries: [
        { path: { type: 'special', value: { kind: 'root' } }, access: 'read' },
        { path: { type: 'special', value: { kind: 'workspace_roots' } }, access: 'write' },
      ],
    },
    network: 'restricted',
  });
  const result = run(link, ['--sandbox-policy-cwd', ws.work, '--permission-profile', profile, '--', 'sh', '-c', `${ESCALATE} && echo rewritten; echo ok > plain.txt`], {
    cwd: ws.work,
    env: env(home),
  });
  expect(result.stdout).toBe('');
  expect(result.status).toBe(0);
  expect(fs.readFileSync(path.join(home, 'config.toml'), 'utf8')).toBe(WORKSPACE_CONFIG);
  expect(fs.readFileSync(path.join(ws.work, 'plain.txt'), 'utf8')).toBe('ok\n');
});

test('the library API (createSandbox) keeps CODEX_HOME read-only and says so in accessFor', async () => {
  const home = path.join(ws.work, 'home');
  writableHome(home, WORKSPACE_CONFIG);
  const sandbox = createSandbox({ cwd: ws.work, env: env(home) });
  try {
    expect(sandbox.profileId).toBe(':workspace');
    expect(sandbox.accessFor(path.join(home, 'config.toml'))).toBe('read');
    expect(sandbox.accessFor(path.join(ws.work, 'other.txt'))).toBe('write');
    const result = await sandbox.run(['sh', '-c', `${ESCALATE} && echo rewritten; echo ok > plain.txt`], { stdio: 'pipe' });
    expect(result.stdout?.toString()).toBe('');
    expect(result.exitCode).toBe(0);
  } finally {
    sandbox.dispose();
  }
  expect(fs.readFileSync(path.join(home, 'config.toml'), 'utf8')).toBe(WORKSPACE_CONFIG);
  const next = createSandbox({ cwd: ws.work, env: env(home) });
  expect(next.profileId).toBe(':workspace');
  next.dispose();
});
