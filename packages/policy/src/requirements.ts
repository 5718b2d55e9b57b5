// Managed requirements (`requirements.toml`, P15): which permission profiles an
// administrator allows, the fallback when a selection is disallowed, and deny-read patterns that
// are appended to every selected profile. Parsing is pure; `loadRequirements` reads one file.
// Must NOT decide where the file lives (the caller passes its path) or pick the profile itself.
import { parse as parseToml } from 'smol-toml';
import { tomlSyntaxError } from './toml-errors.js';
import { ConfigError } from './errors.js';
import { hasGlobChars } from './paths.js';
import { readPolicyTextFile } from './read-file.js';
import { describeType, dottedKey, getOwn, isTable, type TomlTable } from './toml.js';

export interface Requirements {
  /** File the requirements came from (for messages). */
  source: string;
  /** `allowed_permission_profiles = { id = bool }`; undefined = no allowlist. */
  allowedPermissionProfiles?: Record<string, boolean>;
  /** Fallback profile id for disallowed selections. */
  defaultPermissions?: string;
  /** `filesystem.deny_read`: absolute paths or globs, appended as deny entries. */
  denyRead: string[];
  /** Non-fatal findings (keys this package does not read). */
  warnings: string[];
}

const KNOWN_KEYS = ['allowed_permission_profiles', 'default_permissions', 'filesystem'];
/** Other Codex requirement keys: legitimate, but not about permission profiles. */
const OTHER_KEYS = ['allowed_approval_policies', 'allowed_sandbox_modes', 'mcp_servers', 'allowed_web_search_modes', 'features', 'network'];

export function parseRequirementsText(text: string, source: string): Requirements {
  let doc: TomlTable;
  try {
    doc = parseToml(text);
  } catch (e) {
    throw tomlSyntaxError(e, text, source);
  }
  const out: Requirements = { source, denyRead: [], warnings: [] };
  for (const k of Object.keys(doc)) {
    if (!KNOWN_KEYS.includes(k) && !OTHER_KEYS.includes(k)) out.warnings.push(`${source}: unknown requirements key \`${dottedKey([k])}\` is ignored`);
  }
  const allowed = getOwn(doc, 'allowed_permission_profiles');
  if (allowed !== undefined) {
    if (!isTable(allowed)) {
      throw new ConfigError(`\`allowed_permission_profiles\` must be a table of profile id = true | false, not ${describeType(allowed)}`, {
        path: source,
        key: 'allowed_permission_profiles',
      });
    }
    const map: Record<string, boolean> = {};
    for (const id of Object.keys(allowed)) {
      const v = allowed[id];
      const key = dottedKey(['allowed_permission_profiles', id]);
      if (typeof v !== 'boolean') throw new ConfigError(`\`${key}\` must be true or false, not ${describeType(v)}`, { path: source, key });
      Object.defineProperty(map, id, { value: v, enumerable: true, writable: true, configurable: true });
    }
    out.allowedPermissionProfiles = map;
  }
  const dp = getOwn(doc, 'default_permissions');
  if (dp !== undefined) {
    if (typeof dp !== 'string' || dp.length === 0) {
      throw new ConfigError(`\`default_permissions\` must be a non-empty profile id, not ${describeType(dp)}`, { path: source, key: 'default_permissions' });
    }
    if (out.allowedPermissionProfiles === undefined) {
      throw new ConfigError('requirements.toml default_permissions requires allowed_permission_profiles', { path: source, key: 'default_permissions' });
    }
    out.defaultPermissions = dp;
  }
  const fsTable = getOwn(doc, 'filesystem');
  if (fsTable !== undefined) {
    if (!isTable(fsTable)) throw new ConfigError(`\`filesystem\` must be a table, not ${describeType(fsTable)}`, { path: source, key: 'filesystem' });
    for (const k of Object.keys(fsTable)) {
      if (k !== 'deny_read') {
        throw new ConfigError(`unknown key \`${k}\` in \`[filesystem]\`; allowed: deny_read`, { path: source, key: dottedKey(['filesystem', k]) });
      }
    }
    const deny = getOwn(fsTable, 'deny_read');
    if (deny !== undefined) {
      if (!Array.isArray(deny) || !deny.every((d) => typeof d === 'string' && (d.startsWith('/') || (hasGlobChars(d) && d.length > 0)))) {
        throw new ConfigError('`filesystem.deny_read` must be an array of absolute paths or glob patterns', { path: source, key: 'filesystem.deny_read' });
      }
      out.denyRead = deny as string[];
    }
  }
  return out;
}

/** Reads requirements from `file`; a missing file means no requirements (undefined). */
export function loadRequirements(file: string): Requirements | undefined {
  const text = readPolicyTextFile(file, { what: 'requirements file' });
  return text === undefined ? undefined : parseRequirementsText(text, file);
}
