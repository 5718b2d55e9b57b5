// W1, W8: createSandbox dispatches to the Windows restricted-token backend for `win32`, tested with
// the platform injected (createSandboxOn, the dispatch's test seam; `--dry-run --os windows` plans
// the same way on any host). On this Linux host the
// backend plans with placeholders for the host's SIDs and refuses to run; nothing here pretends
// to be Windows: the real runs are //packages/windows-token:windows_test.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { WindowsRefusalError } from '../src/index.js';
import { createSandboxOn } from '../src/sandbox.js';
import { checkWindowsConfig } from '../src/windows-backend.js';

let cwd: string;
let home: string;
beforeEach(() => {
  cwd = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'cli-windows-')));
  home = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'cli-windows-home-')));
});
afterEach(() => {
  fs.rmSync(cwd, { recursive: true, force: true });
  fs.rmSync(home, { recursive: true, force: true });
});

const sandbox = (permissionProfile: string, extra = {}) =>
  createSandboxOn('win32', { permissionProfile, cwd, codexHome: home, env: { PATH: process.env['PATH'], USERPROFILE: 'C:\\Users\\u' }, ...extra });

describe('W1: dispatch on win32', () => {
  test('the dry run shows the restricted-token plan: SIDs, ACL changes, environment, command line', async () => {
    const result = await sandbox(':workspace').dryRun(['sh', '-c', 'echo a b']);
    expect(result.exitCode).toBe(0);
    expect(result.text).toContain('Windows: unelevated restricted token');
    expect(result.text).toContain('restricting SIDs (in order): <new capability SID: ');
    expect(result.text).toContain('<user SID>, <logon SID>, S-1-1-0');
    expect(result.text).toContain(`allow allow-write 0x001301bf <new capability SID: workspace ${cwd}> on ${cwd} (inherited below): writable root`);
    expect(result.text).toContain('PATH=C:\\Users\\u\\.sbx-denybin;');
    expect(result.text).toMatch(/command line: \S*sh -c "echo a b"/);
    // The same plan as JSON, for tools (`--json`).
    expect(result.windows?.process.commandLine).toMatch(/\S*sh -c "echo a b"$/);
    expect(result.windows?.token.restrictingSids.slice(-1)).toEqual(['S-1-1-0']);
    // A dry run writes nothing: cap_sid appears only when a run needs it.
    expect(fs.existsSync(path.join(home, 'cap_sid'))).toBe(false);
  });

  test('a policy the backend cannot enforce fails the dry run with the refusal', async () => {
    fs.writeFileSync(path.join(home, 'config.toml'), '[permissions.p.filesystem]\n":root" = "read"\n"/etc" = "none"\n');
    const dryRun = sandbox('p').dryRun(['sh']);
    await expect(dryRun).rejects.toBeInstanceOf(WindowsRefusalError);
    await expect(sandbox('p').dryRun(['sh'])).rejects.toThrow('the unelevated Windows sandbox cannot enforce deny-read paths (/etc); refusing to run unsandboxed');
  });

  test('on a host that is not Windows a run refuses before anything starts', async () => {
    const marker = path.join(cwd, 'ran');
    await expect(sandbox(':workspace').run(['sh', '-c', `touch ${marker}`])).rejects.toThrow(
      /the Windows restricted-token backend runs commands only on Windows \(this is linux\)/,
    );
    expect(fs.existsSync(marker)).toBe(false);
  });

  test('a policy that restricts nothing runs the command directly, as on Linux', async () => {
    const result = await sandbox(':danger-full-access').run(['sh', '-c', 'exit 7'], { stdio: 'ignore' });
    expect(result.exitCode).toBe(7);
  });
});

describe('W1: `[windows] sandbox`', () => {
  test.each([undefined, {}, { sandbox: 'unelevated' }])('%j is the unelevated backend', (table) => {
    expect(() => checkWindowsConfig(table)).not.toThrow();
  });

  test.each<[unknown, RegExp]>([
    [{ sandbox: 'elevated' }, /the elevated Windows sandbox backend is not built; refusing to run unsandboxed/],
    [{ sandbox: 'on' }, /`windows.sandbox` must be "unelevated" or "elevated", not "on"/],
    ['x', /`windows` in config must be a table/],
  ])('%j is refused', (table, message) => {
    expect(() => checkWindowsConfig(table)).toThrow(message);
  });

  test('the config setting reaches the backend', async () => {
    fs.writeFileSync(path.join(home, 'config.toml'), '[windows]\nsandbox = "elevated"\n');
    await expect(sandbox(':workspace').dryRun(['sh'])).rejects.toThrow(/elevated Windows sandbox backend is not built/);
  });
});
