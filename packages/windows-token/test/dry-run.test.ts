// W8: the dry run renders the plan (SIDs, ACL changes, environment, the CreateProcess command line)
// as text and as JSON; a policy the backend cannot enforce fails the dry run with the run's refusal.
import * as fs from 'node:fs';
import { builtinProfile } from '@codex-sandbox/policy';
import { PLACEHOLDER_IDENTITY, placeholderSidAllocator, planWindowsSandbox, renderWindowsDryRun, WindowsRefusalError } from '../src/index.js';
import { newCapabilitySids } from '../src/capability-sids.js';
import { planInput, tempDir } from './support.js';

let cwd: string;
beforeEach(() => {
  cwd = tempDir('windows-dryrun-');
});
afterEach(() => fs.rmSync(cwd, { recursive: true, force: true }));

describe('W8: dry run', () => {
  test('from another OS: placeholders for host facts, the JSON shape, and text lines from the same plan', () => {
    const plan = planWindowsSandbox(
      planInput(builtinProfile(':workspace'), cwd, {
        identity: PLACEHOLDER_IDENTITY,
        capabilityStore: newCapabilitySids(placeholderSidAllocator),
        allocate: placeholderSidAllocator,
        command: ['C:\\Program Files\\Git\\bin\\git.exe', 'commit', '-m', 'two words'],
      }),
    );
    const { json, lines } = renderWindowsDryRun(plan);
    expect(json.backend).toBe('windows-restricted-token');
    expect(json.token.flags).toEqual(['DISABLE_MAX_PRIVILEGE', 'LUA_TOKEN', 'WRITE_RESTRICTED']);
    expect(json.token.restrictingSids.slice(-3)).toEqual(['<user SID>', '<logon SID>', 'S-1-1-0']);
    expect(json.token.restrictingSids[0]).toMatch(/^<new capability SID: (workspace|writable root) /);
    expect(json.token.defaultDacl.every((e) => e.access === 'GENERIC_ALL')).toBe(true);
    expect(json.acl.find((a) => a.path === cwd && a.ace === 'allow')).toEqual(
      expect.objectContaining({ access: 'allow-write', mask: '0x001301bf', inherit: true, reason: 'writable root' }),
    );
    expect(json.acl.some((a) => a.ace === 'deny' && a.access === 'deny-write')).toBe(true);
    expect(json.acl.some((a) => a.path === '\\\\.\\NUL' && a.access === 'read-execute' && !a.inherit)).toBe(true);
    expect(json.environment.set['HTTPS_PROXY']).toBe('http://127.0.0.1:9');
    expect(json.environment.denyBin?.files).toEqual(['scp.bat', 'scp.cmd', 'ssh.bat', 'ssh.cmd']);
    expect(json.process).toEqual({
      applicationName: 'C:\\Program Files\\Git\\bin\\git.exe',
      commandLine: '"C:\\Program Files\\Git\\bin\\git.exe" commit -m "two words"',
      argv: ['C:\\Program Files\\Git\\bin\\git.exe', 'commit', '-m', 'two words'],
      cwd,
      stdio: 'inherited',
      job: 'kill-on-close',
    });
    expect(json.capabilitySidFile.willBeWritten).toBe(true);
    expect(JSON.parse(JSON.stringify(json))).toEqual(json);
    expect(lines).toContain(`  restricting SIDs (in order): ${json.token.restrictingSids.join(', ')}`);
    expect(lines).toContain('  command line: "C:\\Program Files\\Git\\bin\\git.exe" commit -m "two words"');
    expect(lines).toContain('  HTTPS_PROXY=http://127.0.0.1:9');
    expect(lines.some((l) => l.startsWith('warning: the unelevated Windows sandbox restricts the network only by environment'))).toBe(true);
  });

  test('a policy the backend cannot enforce fails the dry run with the same refusal as a run', () => {
    expect(() => planWindowsSandbox(planInput({ type: 'external', network: 'restricted' }, cwd))).toThrow(WindowsRefusalError);
    expect(() => planWindowsSandbox(planInput({ type: 'external', network: 'restricted' }, cwd))).toThrow(/refusing to run unsandboxed$/);
  });
});
