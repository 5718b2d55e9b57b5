// Legacy projection (P30), direct-enforcement detection (P31) and the sandbox choice (P33).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PolicyError, builtinProfile, choosePlatformSandbox, needsDirectRuntimeEnforcement, resolveSandboxPolicy, toLegacySandboxPolicy, type FileSystemAccessMode, type FileSystemSandboxEntry, type PermissionProfile, type ResolveContext } from '@codex-sandbox/policy';
import { readOnlyProfile, workspaceWriteProfile } from '../src/builtins.js';

const root = (access: FileSystemAccessMode): FileSystemSandboxEntry => ({ path: { type: 'special', value: { kind: 'root' } }, access });
const p = (path: string, access: FileSystemAccessMode): FileSystemSandboxEntry => ({ path: { type: 'path', path }, access });
const managed = (entries: FileSystemSandboxEntry[], network: 'restricted' | 'enabled' = 'restricted'): PermissionProfile => ({
  type: 'managed',
  fileSystem: { type: 'restricted', entries },
  network,
});

let tmp: string;
let ctx: ResolveContext;
beforeEach(() => {
  tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'policy-legacy-')));
  ctx = { cwd: tmp, workspaceRoots: [], env: {} };
});
afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('P30: to legacy SandboxPolicy', () => {
  test.each([
    ['disabled', { type: 'disabled' } as PermissionProfile, { type: 'danger-full-access' }],
    ['external', { type: 'external', network: 'enabled' } as PermissionProfile, { type: 'external-sandbox', networkAccess: 'enabled' }],
    ['root write + network', managed([root('write')], 'enabled'), { type: 'danger-full-access' }],
    ['root write, restricted', managed([root('write')]), { type: 'external-sandbox', networkAccess: 'restricted' }],
    ['read-only', readOnlyProfile(), { type: 'read-only', networkAccess: false }],
    ['workspace', workspaceWriteProfile(), { type: 'workspace-write', writableRoots: [], networkAccess: false, excludeTmpdirEnvVar: false, excludeSlashTmp: false }],
    [
      'workspace with extra root, excludes, network',
      workspaceWriteProfile({ extraWritableRoots: ['/extra'], excludeSlashTmp: true, excludeTmpdirEnvVar: true, network: 'enabled' }),
      { type: 'workspace-write', writableRoots: ['/extra'], networkAccess: true, excludeTmpdirEnvVar: true, excludeSlashTmp: true },
    ],
  ])('%s', (_n, prof, expected) => {
    expect(toLegacySandboxPolicy(prof, ctx)).toEqual(expected);
  });

  test('writes outside the workspace without the workspace are an error', () => {
    expect(() => toLegacySandboxPolicy(managed([root('read'), p('/elsewhere', 'write')]), ctx)).toThrow(
      'permissions profile requests filesystem writes outside the workspace root',
    );
  });
});

describe('P31: direct runtime enforcement', () => {
  test('built-ins project losslessly', () => {
    expect(needsDirectRuntimeEnforcement(builtinProfile(':read-only'), ctx)).toBe(false);
    expect(needsDirectRuntimeEnforcement(builtinProfile(':workspace'), ctx)).toBe(false);
    expect(needsDirectRuntimeEnforcement({ type: 'disabled' }, ctx)).toBe(false);
  });

  test('deny carve-outs, platform defaults and out-of-workspace writes need it', () => {
    expect(needsDirectRuntimeEnforcement(managed([root('read'), p('/secret', 'deny')]), ctx)).toBe(true);
    expect(needsDirectRuntimeEnforcement(managed([{ path: { type: 'special', value: { kind: 'minimal' } }, access: 'read' }]), ctx)).toBe(true);
    expect(needsDirectRuntimeEnforcement(managed([root('read'), p('/elsewhere', 'write')]), ctx)).toBe(true);
  });
});

describe('P33: sandbox preference', () => {
  const restricted = () => resolveSandboxPolicy(readOnlyProfile(), ctx);
  const open = () => resolveSandboxPolicy({ type: 'disabled' }, ctx);
  test.each([
    ['forbid', 'linux', restricted, 'none'],
    ['require', 'linux', open, 'linux-seccomp'],
    ['auto', 'linux', restricted, 'linux-seccomp'],
    ['auto', 'linux', open, 'none'],
    ['auto', 'darwin', restricted, 'seatbelt'],
  ] as const)('%s on %s', (pref, platform, pol, expected) => {
    expect(choosePlatformSandbox(pref, pol(), { platform })).toBe(expected);
  });

  test('Windows uses the restricted token only when its sandbox is enabled; otherwise a needed sandbox is an error', () => {
    expect(choosePlatformSandbox('auto', restricted(), { platform: 'win32', windowsSandboxEnabled: true })).toBe('windows-restricted-token');
    expect(() => choosePlatformSandbox('auto', restricted(), { platform: 'win32' })).toThrow(PolicyError);
    expect(() => choosePlatformSandbox('require', restricted(), { platform: 'freebsd' })).toThrow(/none is available on platform `freebsd`/);
  });
});
