// Windows only: //packages/windows-token:windows_test (incompatible elsewhere, reported "not run").
// The real backend end to end on a Windows host: the token, the ACLs and the read-back, the
// command's exit status, writes inside and outside the writable roots, the ACLs restored, and the
// job object killing what the command leaves behind. Must run on a Windows CI runner.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { builtinProfile, resolveSandboxPolicy, type PermissionProfile } from '@codex-sandbox/policy';
import { hostIdentity, legacyWritableRoots, planWindowsSandbox, randomCapabilitySid, readCapabilitySids, runWindowsPlan, type WindowsSandboxPlan } from '../src/index.js';

const cmd = path.join(process.env['SystemRoot'] ?? 'C:\\Windows', 'System32', 'cmd.exe');
let cwd: string;
let home: string;
beforeEach(() => {
  cwd = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'wt-e2e-')));
  home = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'wt-home-')));
  fs.mkdirSync(path.join(cwd, '.git'));
});
afterEach(() => {
  fs.rmSync(cwd, { recursive: true, force: true });
  fs.rmSync(home, { recursive: true, force: true });
});

function plan(profile: PermissionProfile, command: string[]): WindowsSandboxPlan {
  const ctx = { cwd, workspaceRoots: [], env: process.env };
  const loaded = readCapabilitySids(home, randomCapabilitySid);
  return planWindowsSandbox({
    profileType: profile.type,
    policy: resolveSandboxPolicy(profile, ctx),
    legacyWritableRoots: legacyWritableRoots(profile, ctx),
    managedNetwork: false,
    capabilityStore: loaded.sids,
    capabilityStoreNeedsWrite: loaded.needsWrite,
    allocate: randomCapabilitySid,
    identity: hostIdentity(),
    command,
    cwd,
    env: process.env,
    homeDir: os.homedir(),
  });
}

const run = (p: WindowsSandboxPlan) => runWindowsPlan(p, { stdio: 'ignore', codexHome: home });
const acl = (p: string): string => execFileSync('icacls', [p], { encoding: 'utf8' });

describe('the restricted-token backend on this Windows host', () => {
  test('the exit status passes through, and cap_sid is written as JSON', async () => {
    expect(await run(plan(builtinProfile(':workspace'), [cmd, '/c', 'exit 42']))).toEqual({ exitCode: 42 });
    expect(Object.keys(JSON.parse(fs.readFileSync(path.join(home, 'cap_sid'), 'utf8')) as object).sort()).toEqual([
      'readonly', 'workspace', 'workspace_by_cwd', 'writable_root_by_path',
    ]);
  });

  test('a write inside the workspace succeeds; in .git and outside the writable roots it fails', async () => {
    const outside = fs.realpathSync(fs.mkdtempSync(path.join(os.homedir(), 'wt-outside-')));
    try {
      await run(plan(builtinProfile(':workspace'), [cmd, '/c', `echo x> "${path.join(cwd, 'in.txt')}"`]));
      expect(fs.existsSync(path.join(cwd, 'in.txt'))).toBe(true);
      await run(plan(builtinProfile(':workspace'), [cmd, '/c', `echo x> "${path.join(cwd, '.git', 'x')}"`]));
      expect(fs.existsSync(path.join(cwd, '.git', 'x'))).toBe(false);
      await run(plan(builtinProfile(':workspace'), [cmd, '/c', `echo x> "${path.join(outside, 'x')}"`]));
      expect(fs.existsSync(path.join(outside, 'x'))).toBe(false);
    } finally {
      fs.rmSync(outside, { recursive: true, force: true });
    }
  });

  test('a read-only policy cannot write in the working directory', async () => {
    await run(plan(builtinProfile(':read-only'), [cmd, '/c', `echo x> "${path.join(cwd, 'x')}"`]));
    expect(fs.existsSync(path.join(cwd, 'x'))).toBe(false);
  });

  test('the ACLs are restored after the run', async () => {
    const before = acl(cwd);
    await run(plan(builtinProfile(':workspace'), [cmd, '/c', 'exit 0']));
    expect(acl(cwd)).toBe(before);
    expect(fs.existsSync(path.join(cwd, '.agents'))).toBe(false);
  });

  test('a process the command leaves behind is killed with the job', async () => {
    const marker = path.join(cwd, 'late.txt');
    // The background child would write the marker after ~5 s; the job closes when the command exits.
    await run(plan(builtinProfile(':workspace'), [cmd, '/c', `start /b cmd /c "ping -n 6 127.0.0.1 >NUL & echo x> ${marker}"`]));
    await new Promise((resolve) => setTimeout(resolve, 8000));
    expect(fs.existsSync(marker)).toBe(false);
  });
});
