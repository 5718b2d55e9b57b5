// Owns reading `features.use_legacy_landlock` (LL1) from the merged config: which Linux backend a
// sandbox uses. Pure. Must NOT decide what the Landlock backend can enforce (linux-bwrap does).
import { ConfigError } from '@codex-sandbox/policy';

export const LEGACY_LANDLOCK_KEY = 'features.use_legacy_landlock';

/** `landlock` when the merged config's `features` table says `use_legacy_landlock = true`. */
export function linuxBackendFromFeatures(features: unknown): 'bwrap' | 'landlock' {
  if (features === undefined) return 'bwrap';
  if (typeof features !== 'object' || features === null || Array.isArray(features)) {
    throw new ConfigError('`features` must be a table', { key: 'features' });
  }
  if (!Object.hasOwn(features, 'use_legacy_landlock')) return 'bwrap';
  const value = (features as Record<string, unknown>)['use_legacy_landlock'];
  if (typeof value !== 'boolean') {
    throw new ConfigError(`\`${LEGACY_LANDLOCK_KEY}\` must be true or false, not ${JSON.stringify(value)}`, { key: LEGACY_LANDLOCK_KEY });
  }
  return value ? 'landlock' : 'bwrap';
}
