// Runtime-added readable roots (P17).
import {
  builtinProfile,
  canRead,
  runtimeRootForExecutable,
  withRuntimeReadableRoots,
  type PermissionProfile,
} from '@codex-sandbox/policy';

const ctx = { cwd: '/w', workspaceRoots: [], env: {} };
const minimalOnly: PermissionProfile = {
  type: 'managed',
  fileSystem: { type: 'restricted', entries: [{ path: { type: 'path', path: '/w' }, access: 'write' }, { path: { type: 'path', path: '/opt/secret' }, access: 'deny' }] },
  network: 'restricted',
};

test('paths that are not readable become read entries; readable ones are left alone', () => {
  const out = withRuntimeReadableRoots(minimalOnly, ['/bin/zsh', '/w/tool', '/opt/secret/ca.pem'], ctx);
  expect(canRead(minimalOnly, ctx, '/bin/zsh')).toBe(false);
  expect(canRead(out, ctx, '/bin/zsh')).toBe(true);
  expect(out).toMatchObject({
    fileSystem: { entries: [{}, {}, { path: { type: 'path', path: '/bin/zsh' }, access: 'read' }, { path: { type: 'path', path: '/opt/secret/ca.pem' }, access: 'read' }] },
  });
});

test('full-disk read, unrestricted and disabled profiles are unchanged', () => {
  const ro = builtinProfile(':read-only');
  expect(withRuntimeReadableRoots(ro, ['/bin/zsh'], ctx)).toBe(ro);
  const off: PermissionProfile = { type: 'disabled' };
  expect(withRuntimeReadableRoots(off, ['/bin/zsh'], ctx)).toBe(off);
});

test('an executable under $CODEX_HOME/tmp/arg0 contributes its directory', () => {
  expect(runtimeRootForExecutable('/h/.codex/tmp/arg0/codex-arg0ab12/codex-execve-wrapper', '/h/.codex')).toBe('/h/.codex/tmp/arg0/codex-arg0ab12');
  expect(runtimeRootForExecutable('/usr/bin/codex-execve-wrapper', '/h/.codex')).toBe('/usr/bin/codex-execve-wrapper');
});
