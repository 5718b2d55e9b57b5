// The shared constants of types.ts against what the code does with them: every built-in id is a
// profile `-P` selects (and its selection error lists it), and every protected metadata name is
// read-only inside a writable root, existing or not (P26).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BUILTIN_PROFILE_IDS, PROTECTED_METADATA_NAMES, builtinProfile, canWrite, parseConfigText, selectPermissionProfile } from '@codex-sandbox/policy';

test('each built-in id selects the built-in of that id, and an unknown one is refused listing them all', () => {
  const config = parseConfigText('', 'config.toml', { homeDir: '/home/u' });
  for (const id of BUILTIN_PROFILE_IDS) {
    const sel = selectPermissionProfile(config, { cwd: '/w', permissionProfile: id });
    expect([sel.id, sel.profile]).toEqual([id, builtinProfile(id)]);
  }
  let message = '';
  try {
    selectPermissionProfile(config, { cwd: '/w', permissionProfile: ':nope' });
  } catch (e) {
    message = (e as Error).message;
  }
  for (const id of BUILTIN_PROFILE_IDS) expect(message).toContain(`\`${id}\``);
});

test('each protected metadata name is read-only in a :workspace root, existing or missing', () => {
  const cwd = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'policy-types-')));
  try {
    const config = parseConfigText('', 'config.toml', { homeDir: '/home/u' });
    const sel = selectPermissionProfile(config, { cwd, permissionProfile: ':workspace' });
    const ctx = { cwd, workspaceRoots: sel.workspaceRoots, env: {} };
    const existing = PROTECTED_METADATA_NAMES[0];
    fs.mkdirSync(path.join(cwd, existing));
    expect(canWrite(sel.profile, ctx, path.join(cwd, 'plain'))).toBe(true);
    for (const name of PROTECTED_METADATA_NAMES) {
      expect([name, canWrite(sel.profile, ctx, path.join(cwd, name, 'config'))]).toEqual([name, false]);
    }
  } finally {
    fs.rmSync(cwd, { recursive: true, force: true });
  }
});
