// Shared by the pure tests: real temp directories as working directories, and the plan input for a
// profile resolved there exactly as the CLI resolves it.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { resolveSandboxPolicy, type FileSystemAccessMode, type FileSystemSandboxEntry, type PermissionProfile, type ResolveContext } from '@codex-sandbox/policy';
import { legacyWritableRoots, type WindowsPlanInput } from '../src/index.js';
import type { CapabilitySids } from '../src/capability-sids.js';

export const root = (access: FileSystemAccessMode): FileSystemSandboxEntry => ({ path: { type: 'special', value: { kind: 'root' } }, access });
export const at = (p: string, access: FileSystemAccessMode): FileSystemSandboxEntry => ({ path: { type: 'path', path: p }, access });
export const cwdEntry = (access: FileSystemAccessMode): FileSystemSandboxEntry => ({ path: { type: 'special', value: { kind: 'workspace_roots' } }, access });
export const managed = (entries: FileSystemSandboxEntry[], network: 'restricted' | 'enabled' = 'restricted'): PermissionProfile => ({
  type: 'managed',
  fileSystem: { type: 'restricted', entries },
  network,
});

export function tempDir(prefix: string): string {
  return fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), prefix)));
}

export function contextFor(cwd: string): ResolveContext {
  return { cwd, workspaceRoots: [], env: {} };
}

/** A deterministic allocator: `S-1-5-21-1-2-3-<n>` in call order. */
export function countingAllocator(): (purpose: string) => string {
  let n = 0;
  return () => `S-1-5-21-1-2-3-${(n += 1)}`;
}

export const STORE: CapabilitySids = {
  workspace: 'S-1-5-21-9-9-9-1',
  readonly: 'S-1-5-21-9-9-9-2',
  workspace_by_cwd: {},
  writable_root_by_path: {},
};

export const IDENTITY = { userSid: 'S-1-5-21-100-200-300-1001', logonSid: 'S-1-5-5-0-12345' };

export function planInput(profile: PermissionProfile, cwd: string, extra: Partial<WindowsPlanInput> = {}): WindowsPlanInput {
  const ctx = contextFor(cwd);
  return {
    profileType: profile.type,
    policy: resolveSandboxPolicy(profile, ctx),
    legacyWritableRoots: legacyWritableRoots(profile, ctx),
    managedNetwork: false,
    capabilityStore: STORE,
    allocate: countingAllocator(),
    identity: IDENTITY,
    command: ['C:\\Windows\\System32\\cmd.exe', '/c', 'echo hi'],
    cwd,
    env: { Path: 'C:\\Windows\\System32', USERPROFILE: 'C:\\Users\\u' },
    homeDir: 'C:\\Users\\u',
    ...extra,
  };
}
