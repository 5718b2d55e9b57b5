// W3: the token, ACL and environment plan of enforceable policies, resolved in real temp directories.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { builtinProfile } from '@codex-sandbox/policy';
import { ALLOW_WRITE_MASK, DENY_WRITE_MASK, GENERIC_ALL, READ_EXECUTE_MASK, SUBTREE_INHERIT } from '../src/access-masks.js';
import { BEST_EFFORT_NETWORK_WARNING, planWindowsSandbox } from '../src/index.js';
import { DEAD_PROXY } from '../src/network-environment.js';
import { IDENTITY, STORE, planInput, tempDir } from './support.js';

let cwd: string;
beforeEach(() => {
  cwd = tempDir('windows-plan-');
  fs.mkdirSync(path.join(cwd, '.git'));
});
afterEach(() => fs.rmSync(cwd, { recursive: true, force: true }));

describe('W3: the restricted token', () => {
  test('flags, and restricting SIDs in order: capability SIDs, user, logon, Everyone', () => {
    const plan = planWindowsSandbox(planInput(builtinProfile(':read-only'), cwd));
    expect(plan.token.flagNames).toEqual(['DISABLE_MAX_PRIVILEGE', 'LUA_TOKEN', 'WRITE_RESTRICTED']);
    expect(plan.token.flags).toBe(0x1 | 0x4 | 0x8);
    expect(plan.token.restrictingSids).toEqual([STORE.readonly, IDENTITY.userSid, IDENTITY.logonSid, 'S-1-1-0']);
    expect(plan.token.enabledPrivileges).toEqual(['SeChangeNotifyPrivilege']);
  });

  test('a workspace policy carries one capability SID per writable root, the cwd first-class', () => {
    const plan = planWindowsSandbox(planInput(builtinProfile(':workspace'), cwd));
    const roots = [...new Set(plan.aces.filter((a) => a.reason === 'writable root').map((a) => a.path))];
    expect(roots).toContain(cwd);
    expect(plan.token.capabilitySids).toHaveLength(roots.length);
    expect(plan.token.restrictingSids).toEqual([...plan.token.capabilitySids, IDENTITY.userSid, IDENTITY.logonSid, 'S-1-1-0']);
    expect(plan.capabilityStore.workspace_by_cwd[cwd]).toBe(plan.aces.find((a) => a.path === cwd && a.type === 'allow')?.sid);
    expect(plan.capabilityStoreChanged).toBe(true);
    // SIDs already in the store are reused, and the store is then unchanged.
    const again = planWindowsSandbox(planInput(builtinProfile(':workspace'), cwd, { capabilityStore: plan.capabilityStore }));
    expect(again.token.capabilitySids).toEqual(plan.token.capabilitySids);
    expect(again.capabilityStoreChanged).toBe(false);
  });

  test('the default DACL grants GENERIC_ALL to the logon SID, Everyone and the capability SIDs (not the user SID)', () => {
    const plan = planWindowsSandbox(planInput(builtinProfile(':read-only'), cwd));
    expect(plan.token.defaultDacl).toEqual([
      { sid: IDENTITY.logonSid, mask: GENERIC_ALL },
      { sid: 'S-1-1-0', mask: GENERIC_ALL },
      { sid: STORE.readonly, mask: GENERIC_ALL },
    ]);
  });
});

describe('W3: the ACL plan', () => {
  test('allow-write on each writable root, deny-write on carve-outs and protected metadata, deny before allow, NUL readable', () => {
    const plan = planWindowsSandbox(planInput(builtinProfile(':workspace'), cwd));
    const firstAllow = plan.aces.findIndex((a) => a.type === 'allow');
    expect(plan.aces.slice(0, firstAllow).every((a) => a.type === 'deny')).toBe(true);
    expect(plan.aces.slice(firstAllow).every((a) => a.type === 'allow')).toBe(true);
    const cwdSid = plan.capabilityStore.workspace_by_cwd[cwd];
    expect(plan.aces).toContainEqual({ path: cwd, type: 'allow', sid: cwdSid, mask: ALLOW_WRITE_MASK, inheritance: SUBTREE_INHERIT, reason: 'writable root', createIfMissing: false });
    // .git exists: a carve-out; .agents does not: created empty for the run so the deny has a target.
    expect(plan.aces).toContainEqual(expect.objectContaining({ path: path.join(cwd, '.git'), type: 'deny', sid: cwdSid, mask: DENY_WRITE_MASK, createIfMissing: false }));
    expect(plan.aces).toContainEqual(expect.objectContaining({ path: path.join(cwd, '.agents'), type: 'deny', sid: cwdSid, mask: DENY_WRITE_MASK, createIfMissing: true }));
    for (const sid of plan.token.capabilitySids) {
      expect(plan.aces).toContainEqual({ path: '\\\\.\\NUL', type: 'allow', sid, mask: READ_EXECUTE_MASK, inheritance: 0, reason: 'NUL device', createIfMissing: false });
    }
  });

  test('the allow-write mask withholds FILE_DELETE_CHILD, so a carve-out cannot be removed through its parent', () => {
    expect(ALLOW_WRITE_MASK & 0x40).toBe(0);
    expect(DENY_WRITE_MASK & 0x40).toBe(0x40);
    expect(DENY_WRITE_MASK & 0x10000).toBe(0x10000);
  });

  test('a read-only policy changes no ACL but NUL', () => {
    const plan = planWindowsSandbox(planInput(builtinProfile(':read-only'), cwd));
    expect(plan.aces.map((a) => a.path)).toEqual(['\\\\.\\NUL']);
  });
});

describe('W3: network restriction by environment', () => {
  test('restricted network: the variables, the deny-bin first on PATH, and a best-effort warning', () => {
    const env = { Path: 'C:\\Windows', http_proxy: 'http://real-proxy:3128', USERPROFILE: 'C:\\Users\\u' };
    const plan = planWindowsSandbox(planInput(builtinProfile(':read-only'), cwd, { env }));
    const set = Object.fromEntries(plan.environmentSet.map((v) => [v.name, v.value]));
    expect(set).toEqual({
      SBX_NONET_ACTIVE: '1',
      HTTP_PROXY: DEAD_PROXY,
      HTTPS_PROXY: DEAD_PROXY,
      ALL_PROXY: DEAD_PROXY,
      GIT_HTTP_PROXY: DEAD_PROXY,
      GIT_HTTPS_PROXY: DEAD_PROXY,
      NO_PROXY: 'localhost,127.0.0.1,::1',
      PIP_NO_INDEX: '1',
      PIP_DISABLE_PIP_VERSION_CHECK: '1',
      NPM_CONFIG_OFFLINE: 'true',
      CARGO_NET_OFFLINE: 'true',
      GIT_SSH_COMMAND: 'cmd /c exit 1',
      GIT_ALLOW_PROTOCOLS: '',
      PATH: 'C:\\Users\\u\\.sbx-denybin;C:\\Windows',
    });
    // Every spelling of a set name is replaced (Windows names are case-insensitive): a real proxy is no way out.
    expect(plan.environment['http_proxy']).toBeUndefined();
    expect(plan.environment['Path']).toBeUndefined();
    expect(plan.environment['HTTP_PROXY']).toBe(DEAD_PROXY);
    expect(plan.denyBin?.directory).toBe('C:\\Users\\u\\.sbx-denybin');
    expect(Object.keys(plan.denyBin?.files ?? {}).sort()).toEqual(['scp.bat', 'scp.cmd', 'ssh.bat', 'ssh.cmd']);
    expect(Object.values(plan.denyBin?.files ?? {}).every((body) => body.includes('exit /b 1'))).toBe(true);
    expect(plan.warnings).toEqual([BEST_EFFORT_NETWORK_WARNING]);
  });

  test('network enabled: nothing is set and no shims are written', () => {
    const env = { Path: 'C:\\Windows' };
    const plan = planWindowsSandbox(planInput(builtinProfile(':read-only'), cwd, { env, policy: { ...planInput(builtinProfile(':read-only'), cwd).policy, network: 'enabled' } }));
    expect(plan.environmentSet).toEqual([]);
    expect(plan.environment).toEqual(env);
    expect(plan.denyBin).toBeUndefined();
    expect(plan.warnings).toEqual([]);
  });
});

describe('W6: the command line in the plan', () => {
  test('argv[0] is the application name; the command line re-parses to argv', () => {
    const plan = planWindowsSandbox(planInput(builtinProfile(':read-only'), cwd, { command: ['C:\\Program Files\\node.exe', '-e', 'console.log("a b")'] }));
    expect(plan.applicationName).toBe('C:\\Program Files\\node.exe');
    expect(plan.commandLine).toBe('"C:\\Program Files\\node.exe" -e "console.log(\\"a b\\")"');
  });
});

describe('W3: Windows paths', () => {
  test('protected metadata under a drive-letter root joins with a backslash', async () => {
    const { readOnlyPathsUnder } = await import('../src/refusals.js');
    expect(readOnlyPathsUnder({ root: 'C:\\ws', readOnlySubpaths: [], protectedMetadataNames: ['.git'] })).toEqual(['C:\\ws\\.git']);
    expect(readOnlyPathsUnder({ root: 'C:\\', readOnlySubpaths: [], protectedMetadataNames: ['.git'] })).toEqual(['C:\\.git']);
    expect(readOnlyPathsUnder({ root: '/ws', readOnlySubpaths: [], protectedMetadataNames: ['.git'] })).toEqual(['/ws/.git']);
  });
});
