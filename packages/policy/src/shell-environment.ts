// Owns the `shell_environment_policy` tables of config: the top-level `[shell_environment_policy]`
// (Codex's, C5) and this project's per-profile `[permissions.NAME.shell_environment_policy]`.
// Validates every key (unknown keys, wrong types and patterns that would not do what they look
// like are ConfigErrors naming the key) and lists, for one selected profile, the tables that apply
// in the order they apply. Pure over parsed TOML: must NOT read files or the process environment,
// and must NOT compute an environment (command-environment.ts does that).
import { isBuiltinProfileId } from './builtins.js';
import { ConfigError } from './errors.js';
import { describeType, dottedKey, getOwn, isTable, type TomlTable } from './toml.js';

export const SHELL_ENVIRONMENT_POLICY_KEY = 'shell_environment_policy';

export const ENVIRONMENT_INHERIT_VALUES = ['all', 'core', 'none'] as const;
export type EnvironmentInherit = (typeof ENVIRONMENT_INHERIT_VALUES)[number];

/** The table as written in TOML; also what the library API (`createSandbox`) accepts. */
export interface ShellEnvironmentPolicyToml {
  inherit?: EnvironmentInherit;
  ignore_default_excludes?: boolean;
  exclude?: string[];
  set?: Record<string, string>;
  include_only?: string[];
  experimental_use_profile?: boolean;
}

/** One validated table. Its rules apply, in this order: inherit, default excludes, exclude, set, include_only. */
export interface ShellEnvironmentPolicy {
  /** Where it was written, as a dotted key; the decision names every rule after it. */
  key: string;
  inherit: EnvironmentInherit;
  /** false: drop names matching the default excludes. Codex's default is true (nothing dropped). */
  ignoreDefaultExcludes: boolean;
  exclude: string[];
  /** In the order written. */
  set: Array<[string, string]>;
  /** Empty: no filter (as in Codex). */
  includeOnly: string[];
}

const TABLE_KEYS = ['inherit', 'ignore_default_excludes', 'exclude', 'set', 'include_only', 'experimental_use_profile'];

/**
 * Characters that are wildcards or escapes in other glob dialects. Codex matches them literally
 * (only `*` and `?` are wildcards there), so `exclude = ["*_[Kk][Ee][Yy]"]` would silently exclude
 * nothing: refused instead, so no secret passes because of a pattern that looks right.
 */
const UNSUPPORTED_PATTERN_CHARACTERS = ['[', ']', '{', '}', '\\'];

function checkName(name: string, key: string, what: string): void {
  if (name.length === 0) throw new ConfigError(`\`${key}\` is empty; ${what} must match a variable name, e.g. \`AWS_*\``, { key });
  if (name.includes('=')) throw new ConfigError(`\`${key}\` is \`${name}\`: variable names cannot contain \`=\``, { key });
  if (name.includes('\0')) throw new ConfigError(`\`${key}\` contains a NUL character; variable names cannot contain one`, { key });
}

function checkPattern(pattern: string, key: string): void {
  checkName(pattern, key, 'a pattern');
  const bad = UNSUPPORTED_PATTERN_CHARACTERS.find((c) => pattern.includes(c)) ?? (pattern.startsWith('!') ? '!' : undefined);
  if (bad !== undefined) {
    throw new ConfigError(
      `\`${key}\` is \`${pattern}\`: \`${bad}\` is not supported in variable name patterns; only \`*\` (any characters) and \`?\` (one character) are wildcards, matched case-insensitively (no \`[...]\`, \`{...}\`, \`\\\` escapes or \`!\` negation)`,
      { key },
    );
  }
}

function patternList(value: unknown, segments: readonly string[]): string[] {
  const key = dottedKey(segments);
  if (!Array.isArray(value)) throw new ConfigError(`\`${key}\` must be an array of variable name patterns, e.g. ["AWS_*"], not ${describeType(value)}`, { key });
  return value.map((item: unknown, i) => {
    const itemKey = `${key}[${i}]`;
    if (typeof item !== 'string') throw new ConfigError(`\`${itemKey}\` must be a string pattern, not ${describeType(item)}`, { key: itemKey });
    checkPattern(item, itemKey);
    return item;
  });
}

function setTable(value: unknown, segments: readonly string[]): Array<[string, string]> {
  const key = dottedKey(segments);
  if (!isTable(value)) throw new ConfigError(`\`${key}\` must be a table of NAME = "value", not ${describeType(value)}`, { key });
  return Object.keys(value).map((name) => {
    const entryKey = dottedKey([...segments, name]);
    checkName(name, entryKey, 'a variable name');
    const v = value[name];
    if (typeof v !== 'string') throw new ConfigError(`\`${entryKey}\` must be a string, not ${describeType(v)}`, { key: entryKey });
    if (v.includes('\0')) throw new ConfigError(`\`${entryKey}\` contains a NUL character; environment values cannot contain one`, { key: entryKey });
    return [name, v];
  });
}

function boolean(value: unknown, segments: readonly string[]): boolean {
  const key = dottedKey(segments);
  if (typeof value !== 'boolean') throw new ConfigError(`\`${key}\` must be true or false, not ${describeType(value)}`, { key });
  return value;
}

export interface ParsedShellEnvironmentPolicy {
  policy: ShellEnvironmentPolicy;
  warnings: string[];
}

/** Validates one table written at `segments` (e.g. `['shell_environment_policy']`); throws ConfigError. */
export function parseShellEnvironmentPolicy(value: unknown, segments: readonly string[]): ParsedShellEnvironmentPolicy {
  const key = dottedKey(segments);
  if (!isTable(value)) throw new ConfigError(`\`${key}\` must be a table (\`[${key}]\`), not ${describeType(value)}`, { key });
  for (const k of Object.keys(value)) {
    if (!TABLE_KEYS.includes(k)) {
      throw new ConfigError(`unknown key \`${k}\` in \`[${key}]\`; allowed: ${TABLE_KEYS.join(', ')}`, { key: dottedKey([...segments, k]) });
    }
  }
  const policy: ShellEnvironmentPolicy = { key, inherit: 'all', ignoreDefaultExcludes: true, exclude: [], set: [], includeOnly: [] };
  const warnings: string[] = [];
  const inherit = getOwn(value, 'inherit');
  if (inherit !== undefined) {
    if (!(ENVIRONMENT_INHERIT_VALUES as readonly unknown[]).includes(inherit)) {
      const inheritKey = dottedKey([...segments, 'inherit']);
      const shown = typeof inherit === 'string' ? `\`${inherit}\`` : describeType(inherit);
      throw new ConfigError(`\`${inheritKey}\` is ${shown}; allowed: ${ENVIRONMENT_INHERIT_VALUES.map((v) => `\`${v}\``).join(', ')}`, { key: inheritKey });
    }
    policy.inherit = inherit as EnvironmentInherit;
  }
  const ide = getOwn(value, 'ignore_default_excludes');
  if (ide !== undefined) policy.ignoreDefaultExcludes = boolean(ide, [...segments, 'ignore_default_excludes']);
  const exclude = getOwn(value, 'exclude');
  if (exclude !== undefined) policy.exclude = patternList(exclude, [...segments, 'exclude']);
  const set = getOwn(value, 'set');
  if (set !== undefined) policy.set = setTable(set, [...segments, 'set']);
  const includeOnly = getOwn(value, 'include_only');
  if (includeOnly !== undefined) policy.includeOnly = patternList(includeOnly, [...segments, 'include_only']);
  const useProfile = getOwn(value, 'experimental_use_profile');
  if (useProfile !== undefined && boolean(useProfile, [...segments, 'experimental_use_profile'])) {
    warnings.push(
      `\`${dottedKey([...segments, 'experimental_use_profile'])}\` has no effect on \`codex sandbox\` (nor on the Codex CLI's): the command runs directly, not through your shell's login profile`,
    );
  }
  return { policy, warnings };
}

/**
 * The tables that apply to a run of `profileId`, in the order they apply: the top-level one, then
 * each `[permissions.*]` profile of the `extends` chain from the root-most parent down to the
 * selected profile. Each works on what the one before let through, so a profile can narrow the
 * command's environment and set variables, but never bring back a variable an earlier table
 * dropped. Built-in profiles have no table of their own. Expects a validated config (the chain was
 * already checked for cycles and undefined parents).
 */
export function shellEnvironmentPolicies(merged: TomlTable, profileId: string): ShellEnvironmentPolicy[] {
  const out: ShellEnvironmentPolicy[] = [];
  const topLevel = getOwn(merged, SHELL_ENVIRONMENT_POLICY_KEY);
  if (topLevel !== undefined) out.push(parseShellEnvironmentPolicy(topLevel, [SHELL_ENVIRONMENT_POLICY_KEY]).policy);
  const perms = getOwn(merged, 'permissions');
  const chain: ShellEnvironmentPolicy[] = [];
  const seen = new Set<string>();
  let current: string | undefined = profileId;
  while (current !== undefined && !isBuiltinProfileId(current) && isTable(perms) && !seen.has(current)) {
    seen.add(current);
    const table = getOwn(perms, current);
    if (!isTable(table)) break;
    const own = getOwn(table, SHELL_ENVIRONMENT_POLICY_KEY);
    if (own !== undefined) chain.unshift(parseShellEnvironmentPolicy(own, ['permissions', current, SHELL_ENVIRONMENT_POLICY_KEY]).policy);
    const parent = getOwn(table, 'extends');
    current = typeof parent === 'string' ? parent : undefined;
  }
  return [...out, ...chain];
}
