import { BUILTIN_PROFILE_IDS, PROTECTED_METADATA_NAMES } from '@codex-sandbox/policy';

test('built-in ids and metadata names are the documented ones', () => {
  expect(BUILTIN_PROFILE_IDS).toEqual([':read-only', ':workspace', ':danger-full-access']);
  expect(PROTECTED_METADATA_NAMES).toEqual(['.git', '.agents', '.codex', '.aws']);
});
