// Per-command additional permissions (P34: normalisation and merging).
import {
  PolicyError,
  builtinProfile,
  mergeAdditionalPermissions,
  normalizeAdditionalPermissions,
  type PermissionProfile,
} from '@codex-sandbox/policy';

describe('normalizeAdditionalPermissions', () => {
  test('read/write globs are rejected; deny globs are kept and made absolute', () => {
    expect(() => normalizeAdditionalPermissions({ entries: [{ path: { type: 'glob_pattern', pattern: '*.md' }, access: 'read' }] }, '/w')).toThrow(
      new PolicyError('glob file system permissions only support deny-read entries'),
    );
    expect(normalizeAdditionalPermissions({ entries: [{ path: { type: 'glob_pattern', pattern: '**/*.env' }, access: 'deny' }], network: 'enabled' }, '/w')).toEqual({
      entries: [{ path: { type: 'glob_pattern', pattern: '/w/**/*.env' }, access: 'deny' }],
      network: 'enabled',
    });
  });

  test('relative paths resolve against cwd', () => {
    expect(normalizeAdditionalPermissions({ entries: [{ path: { type: 'path', path: 'out/../build' }, access: 'write' }] }, '/w').entries).toEqual([
      { path: { type: 'path', path: '/w/build' }, access: 'write' },
    ]);
  });
});

describe('mergeAdditionalPermissions', () => {
  test('set union, deny entries preserved, network enabled if either side enables it', () => {
    const merged = mergeAdditionalPermissions(builtinProfile(':read-only'), {
      entries: [
        { path: { type: 'path', path: '/w/out' }, access: 'write' },
        { path: { type: 'special', value: { kind: 'root' } }, access: 'read' },
        { path: { type: 'path', path: '/w/secret' }, access: 'deny' },
      ],
      network: 'enabled',
    });
    expect(merged).toEqual({
      type: 'managed',
      network: 'enabled',
      fileSystem: {
        type: 'restricted',
        entries: [
          { path: { type: 'special', value: { kind: 'root' } }, access: 'read' },
          { path: { type: 'path', path: '/w/out' }, access: 'write' },
          { path: { type: 'path', path: '/w/secret' }, access: 'deny' },
        ],
      },
    });
  });

  test('an additional network grant flips an external profile to enabled; disabled stays disabled', () => {
    expect(mergeAdditionalPermissions({ type: 'external', network: 'restricted' }, { entries: [], network: 'enabled' })).toEqual({ type: 'external', network: 'enabled' });
    expect(mergeAdditionalPermissions({ type: 'disabled' }, { entries: [], network: 'restricted' })).toEqual({ type: 'disabled' });
  });

  test('glob depth: bounded depths take the max, unbounded wins', () => {
    const base: PermissionProfile = { type: 'managed', network: 'restricted', fileSystem: { type: 'restricted', entries: [], globScanMaxDepth: 2 } };
    const g = { path: { type: 'glob_pattern' as const, pattern: '/w/*.env' }, access: 'deny' as const };
    expect(mergeAdditionalPermissions(base, { entries: [g], globScanMaxDepth: 5 })).toMatchObject({ fileSystem: { globScanMaxDepth: 5 } });
    expect(mergeAdditionalPermissions(base, { entries: [g] })).toEqual({ type: 'managed', network: 'restricted', fileSystem: { type: 'restricted', entries: [g] } });
    expect(mergeAdditionalPermissions(base, { entries: [] })).toMatchObject({ fileSystem: { globScanMaxDepth: 2 } });
  });
});
