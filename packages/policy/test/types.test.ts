import { PROTECTED_METADATA_NAMES } from '@codex-sandbox/policy';
import { BUILTIN_PROFILE_IDS } from '../src/types.js';

test('built-in ids and metadata names are the documented ones', () => {
  expect(BUILTIN_PROFILE_IDS).toEqual([':read-only', ':workspace', ':danger-full-access']);
  expect(PROTECTED_METADATA_NAMES).toEqual(['.git', '.agents', '.codex', '.aws']);
});
