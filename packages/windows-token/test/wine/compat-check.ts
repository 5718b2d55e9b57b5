// Runs under Wine, in a Windows node.exe (test/wine/run-compat.sh bundles and starts it): the real runner
// code against Wine's kernel32/advapi32. It checks what Wine can show: the koffi signatures bind and
// marshal, the call sequence and error paths behave, the exit status passes through a restricted
// token and a job, kill-on-close works, and the read-back makes the runner refuse (Wine ignores
// restricting SIDs and keeps no real ACLs, so refusing is the correct result there). It never shows
// confinement. Writes one JSON report to the path in argv[2]: stdout/stderr may be unusable under Wine.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ResolvedSandboxPolicy } from '@codex-sandbox/policy';
import { hostIdentity, planWindowsSandbox, runWindowsPlan, WindowsRunError, type WindowsSandboxPlan } from '../../src/index.js';
import { newCapabilitySids } from '../../src/capability-sids.js';
import { randomCapabilitySid } from '../../src/cap-sid-file.js';
import { restrictedToken, startInJob } from '../../src/runner.js';
import { loadWin32, type Win32 } from '../../src/win32.js';

interface Check {
  name: string;
  ok: boolean;
  detail: string;
}
const checks: Check[] = [];
const report = process.argv[2] ?? 'compat-report.json';

async function check(name: string, body: () => Promise<string> | string): Promise<void> {
  try {
    checks.push({ name, ok: true, detail: await body() });
  } catch (error) {
    checks.push({ name, ok: false, detail: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
  }
}

function assert(condition: boolean, message: string): void {
  if (!condition) throw new Error(message);
}

const cmd = path.win32.join(process.env['SystemRoot'] ?? 'C:\\windows', 'system32', 'cmd.exe');

function planFor(workspace: string, command: string[], identity: { userSid: string; logonSid: string }): WindowsSandboxPlan {
  const policy: ResolvedSandboxPolicy = {
    kind: 'restricted',
    cwd: workspace,
    network: 'restricted',
    fullDiskRead: true,
    fullDiskWrite: false,
    includePlatformDefaults: false,
    readableRoots: [],
    writableRoots: [{ root: workspace, readOnlySubpaths: [], protectedMetadataNames: ['.git'] }],
    unreadableRoots: [],
    unreadableGlobs: [],
    needsSandbox: true,
  };
  return planWindowsSandbox({
    profileType: 'managed',
    policy,
    legacyWritableRoots: [workspace],
    managedNetwork: false,
    capabilityStore: newCapabilitySids(randomCapabilitySid),
    allocate: randomCapabilitySid,
    identity,
    command,
    cwd: workspace,
    env: process.env,
    homeDir: os.homedir(),
  });
}

async function main(): Promise<void> {
  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'codex-wine-ws-'));
  const codexHome = fs.mkdtempSync(path.join(os.tmpdir(), 'codex-wine-home-'));
  let w: Win32 | undefined;
  let identity = { userSid: '', logonSid: '' };
  await check('koffi loads and every Win32 signature binds', () => {
    w = loadWin32();
    return `platform ${process.platform} ${process.arch}, node ${process.version}`;
  });
  await check('hostIdentity reads the user SID and the logon SID from the process token', () => {
    identity = hostIdentity();
    assert(/^S-1-5-21-/.test(identity.userSid), `user SID ${identity.userSid}`);
    assert(/^S-1-5-5-/.test(identity.logonSid), `logon SID ${identity.logonSid}`);
    return JSON.stringify(identity);
  });
  if (w === undefined) return;
  const win = w;
  if (identity.userSid === '') identity = { userSid: 'S-1-5-21-1-2-3-1000', logonSid: 'S-1-5-5-0-1' };
  await check('the runner refuses: the read-back differs from the plan, and the command never starts', async () => {
    const marker = path.win32.join(workspace, 'ran.txt');
    const before = win.readDacl(workspace);
    let refused: unknown;
    try {
      await runWindowsPlan(planFor(workspace, [cmd, '/c', `echo x> ${marker}`], identity), { stdio: 'ignore', codexHome });
    } catch (error) {
      refused = error;
    }
    assert(refused instanceof WindowsRunError, `expected WindowsRunError, got ${String(refused)}`);
    const message = (refused as Error).message;
    assert(/differ from the plan .*refusing to run unsandboxed$/.test(message), message);
    assert(!fs.existsSync(marker), 'the command ran');
    const after = win.readDacl(workspace);
    assert(JSON.stringify(before) === JSON.stringify(after), 'the DACL was not restored');
    assert(!fs.existsSync(path.win32.join(workspace, '.git')), 'the placeholder .git was left behind');
    return message;
  });
  await check('CreateRestrictedToken with a bad handle fails with a Win32 error', () => {
    const token = win.CreateRestrictedToken(0n, 0x1 | 0x4 | 0x8, []);
    assert(token === undefined, 'a token from handle 0');
    return `GetLastError ${win.GetLastError()}`;
  });
  await check('reading the DACL of a missing path reports a Win32 error', () => {
    const facts = win.readDacl(path.win32.join(workspace, 'missing', 'x'));
    assert('error' in facts && facts.error !== 0, JSON.stringify(facts));
    return JSON.stringify(facts);
  });
  await check('the exit status passes through a restricted token and a job object', async () => {
    const plan = planFor(workspace, [cmd, '/c', 'exit 42'], identity);
    const undo: Array<() => void> = [];
    try {
      const token = restrictedToken(win, plan);
      undo.push(() => win.CloseHandle(token));
      const child = startInJob(win, token, plan, 'ignore', undo);
      const waited = await win.waitForProcess(child.process, 20000);
      assert(waited === 0, `wait returned ${waited}`);
      const code = win.GetExitCodeProcess(child.process);
      assert(code === 42, `exit code ${String(code)}`);
      return `restricted=${win.IsTokenRestricted(token)} exit ${code}`;
    } finally {
      undo.reverse().forEach((step) => step());
    }
  });
  await check('closing the job kills the command (kill-on-close)', async () => {
    const plan = planFor(workspace, [cmd, '/c', 'ping -n 60 127.0.0.1'], identity);
    const undo: Array<() => void> = [];
    try {
      const token = restrictedToken(win, plan);
      undo.push(() => win.CloseHandle(token));
      const child = startInJob(win, token, plan, 'ignore', undo);
      assert((await win.waitForProcess(child.process, 1000)) === 0x102, 'the command ended by itself');
      win.CloseHandle(child.job);
      const waited = await win.waitForProcess(child.process, 10000);
      assert(waited === 0, `still running after the job closed (wait ${waited})`);
      return `exit ${String(win.GetExitCodeProcess(child.process))}`;
    } finally {
      undo.reverse().forEach((step) => step());
    }
  });
  fs.rmSync(workspace, { recursive: true, force: true });
  fs.rmSync(codexHome, { recursive: true, force: true });
}

main()
  .catch((error: unknown) => checks.push({ name: 'the check itself', ok: false, detail: String(error) }))
  .finally(() => fs.writeFileSync(report, `${JSON.stringify(checks, null, 2)}\n`));
