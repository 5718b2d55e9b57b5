// W2, W3: every policy the unelevated restricted-token backend cannot enforce is refused with a
// message ending "refusing to run unsandboxed"; the enforceable ones plan. Profiles are resolved
// against real temp directories as the CLI resolves them.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { builtinProfile, type PermissionProfile } from '@codex-sandbox/policy';
import { planWindowsSandbox, WindowsRefusalError } from '../src/index.js';
import { at, cwdEntry, managed, planInput, root, tempDir } from './support.js';

let cwd: string;
beforeEach(() => {
  cwd = tempDir('windows-refusals-');
  fs.mkdirSync(path.join(cwd, 'docs', 'out'), { recursive: true });
});
afterEach(() => fs.rmSync(cwd, { recursive: true, force: true }));

function refusal(profile: PermissionProfile, extra = {}): WindowsRefusalError {
  try {
    planWindowsSandbox(planInput(profile, cwd, extra));
  } catch (error) {
    if (error instanceof WindowsRefusalError) return error;
    throw error;
  }
  throw new Error('the plan was made; a refusal was expected');
}

describe('W2: profiles the Windows backend can never enforce', () => {
  test.each<[string, PermissionProfile, string]>([
    ['disabled (:danger-full-access)', { type: 'disabled' }, 'windows sandbox backend cannot enforce file_system=unrestricted, network=enabled, permission_profile=disabled; refusing to run unsandboxed'],
    ['external, network restricted', { type: 'external', network: 'restricted' }, 'windows sandbox backend cannot enforce file_system=external-sandbox, network=restricted, permission_profile=external; refusing to run unsandboxed'],
    ['managed full-disk write', managed([root('write')]), 'windows sandbox backend cannot enforce file_system=unrestricted-write, network=restricted, permission_profile=managed; refusing to run unsandboxed'],
    ['managed unrestricted', { type: 'managed', fileSystem: { type: 'unrestricted' }, network: 'restricted' }, 'windows sandbox backend cannot enforce file_system=unrestricted, network=restricted, permission_profile=managed; refusing to run unsandboxed'],
  ])('%s', (_name, profile, message) => {
    const error = refusal(profile);
    expect(error.rule).toBe('W2');
    expect(error.message).toBe(message);
  });
});

describe('W3: what a write-restricted token cannot express', () => {
  test('managed networking requires the elevated backend', () => {
    const error = refusal(builtinProfile(':workspace'), { managedNetwork: true });
    expect(error.message).toBe('managed networking requires the elevated Windows sandbox backend, which this build does not have; refusing to run unsandboxed');
  });

  test('a policy without read access to the root', () => {
    expect(refusal(managed([cwdEntry('write')])).message).toBe(
      'the unelevated Windows sandbox cannot restrict reads: the policy lacks read access to the filesystem root; refusing to run unsandboxed',
    );
  });

  test('deny-read paths', () => {
    const secret = path.join(cwd, 'secret');
    expect(refusal(managed([root('read'), cwdEntry('write'), at(secret, 'deny')])).message).toBe(
      `the unelevated Windows sandbox cannot enforce deny-read paths (${secret}); refusing to run unsandboxed`,
    );
  });

  test('deny-read globs', () => {
    const error = refusal(managed([root('read'), { path: { type: 'glob_pattern', pattern: '**/*.pem' }, access: 'deny' }]));
    expect(error.message).toMatch(/^the unelevated Windows sandbox cannot enforce deny-read paths \(.*\*\*\/\*\.pem\); refusing to run unsandboxed$/);
  });

  test('writes outside the workspace have no legacy projection', () => {
    const elsewhere = tempDir('windows-elsewhere-');
    try {
      expect(refusal(managed([root('read'), at(elsewhere, 'write')])).message).toBe(
        'the unelevated Windows sandbox needs a policy with a legacy projection, and this one has none (writes outside the workspace); refusing to run unsandboxed',
      );
    } finally {
      fs.rmSync(elsewhere, { recursive: true, force: true });
    }
  });

  test('writable roots that differ from the legacy projection', () => {
    // The rule compares with whatever the projection resolves to; here it has one root more.
    const error = refusal(managed([root('read'), cwdEntry('write')]), { legacyWritableRoots: [cwd, '/projected'] });
    expect(error.message).toBe(
      `the unelevated Windows sandbox cannot enforce writable roots (${cwd}) that differ from the policy's legacy projection (/projected, ${cwd}); refusing to run unsandboxed`,
    );
  });

  test('a writable descendant reopened under a read-only carve-out', () => {
    const docs = path.join(cwd, 'docs');
    const out = path.join(docs, 'out');
    const profile = builtinProfile(':workspace');
    if (profile.type !== 'managed' || profile.fileSystem.type !== 'restricted') throw new Error(':workspace is managed');
    const entries = [...profile.fileSystem.entries, at(docs, 'read'), at(out, 'write')];
    // Give the legacy projection the same roots, so only the reopening rule applies.
    const error = refusal(managed(entries), { legacyWritableRoots: undefined });
    expect(error.message).not.toContain('reopen');
    const reopened = refusal(managed(entries), {
      legacyWritableRoots: planInput(managed(entries), cwd).policy.writableRoots.map((w) => w.root),
    });
    expect(reopened.message).toBe(`the unelevated Windows sandbox cannot reopen ${out} for writing under the read-only ${docs} (a deny-write ACE there would apply to it too); refusing to run unsandboxed`);
  });

  test('a writable root under protected metadata is a reopening too', () => {
    const git = path.join(cwd, '.git');
    fs.mkdirSync(path.join(git, 'hooks'), { recursive: true });
    const profile = builtinProfile(':workspace');
    if (profile.type !== 'managed' || profile.fileSystem.type !== 'restricted') throw new Error(':workspace is managed');
    const entries = [...profile.fileSystem.entries, at(path.join(git, 'hooks'), 'write')];
    const input = planInput(managed(entries), cwd);
    const error = refusal(managed(entries), { legacyWritableRoots: input.policy.writableRoots.map((w) => w.root) });
    expect(error.message).toContain(`cannot reopen ${path.join(git, 'hooks')} for writing under the read-only ${git}`);
  });
});

describe('W3: enforceable policies plan', () => {
  test.each([':read-only', ':workspace'] as const)('%s', (id) => {
    expect(() => planWindowsSandbox(planInput(builtinProfile(id), cwd))).not.toThrow();
  });
});
