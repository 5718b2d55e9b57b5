// Loads Codex configuration: `$CODEX_HOME/config.toml`, the `-p NAME` layer
// `$CODEX_HOME/NAME.config.toml`, and `-c key=value` overrides (TOML-typed, dotted keys); merges
// them with provenance and validates every key this package owns. Reading the two config files is
// the only I/O here. Must NOT choose a profile (select.ts) or resolve paths (resolve.ts).
import os from 'node:os';
import path from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { ConfigError } from './errors.js';
import { compileProfileTable } from './compile.js';
import { readPolicyTextFile } from './read-file.js';
import { loadRequirements, type Requirements } from './requirements.js';
import { parseShellEnvironmentPolicy, SHELL_ENVIRONMENT_POLICY_KEY } from './shell-environment.js';
import { tomlSyntaxError } from './toml-errors.js';
import { deepMerge, describeType, dottedKey, getOwn, isTable, setOwn, type TomlTable } from './toml.js';

export interface ConfigLoadOptions {
  codexHome: string;
  /** `-p NAME`: layers `$CODEX_HOME/NAME.config.toml` over config.toml. */
  profileName?: string;
  /** `-c key=value` overrides, in command-line order (later wins). */
  overrides: string[];
  cwd: string;
  homeDir: string;
  env: Record<string, string | undefined>;
  /**
   * Managed `requirements.toml` to apply (P15). The caller decides where it lives and whether it
   * applies (e.g. not with `-P` unless `--include-managed-config`). A missing file is no requirements.
   */
  requirementsPath?: string;
}

export type ConfigLayerKind = 'user' | 'profile' | 'override';

/** One source of configuration, lowest precedence first in `LoadedConfig.layers`. */
export interface ConfigLayer {
  kind: ConfigLayerKind;
  /** File path, or `-c <text>` for an override. */
  source: string;
  table: TomlTable;
}

export interface LoadedConfig {
  /** All layers merged (later layers win, tables merge deeply). */
  merged: TomlTable;
  /** Lowest precedence first: config.toml, NAME.config.toml, then each `-c` override. */
  layers: ConfigLayer[];
  /** Home directory used for `~` expansion. */
  homeDir: string;
  /** Non-fatal findings (unknown top-level keys, ignored settings), for the caller to show. */
  warnings: string[];
  /** Managed requirements, when the caller asked for them and the file exists. */
  requirements?: Requirements;
}

const SANDBOX_MODES = ['read-only', 'workspace-write', 'danger-full-access'] as const;
export type SandboxMode = (typeof SANDBOX_MODES)[number];

const SANDBOX_WORKSPACE_WRITE_KEYS = ['writable_roots', 'network_access', 'exclude_tmpdir_env_var', 'exclude_slash_tmp'];

/** Keys this package reads and validates. */
const OWN_TOP_LEVEL_KEYS = ['default_permissions', 'permissions', 'sandbox_mode', 'sandbox_workspace_write', SHELL_ENVIRONMENT_POLICY_KEY];
/**
 * Other Codex config keys: legitimate in a shared config.toml but not used by `codex sandbox`'s
 * permission model, so they pass without a warning. Anything else gets a warning.
 */
const OTHER_CODEX_KEYS = [
  'model', 'model_provider', 'model_providers', 'model_reasoning_effort', 'model_reasoning_summary', 'model_verbosity',
  'model_context_window', 'model_auto_compact_token_limit', 'model_max_output_tokens', 'review_model', 'approval_policy',
  'features', 'projects', 'mcp_servers', 'notify', 'history', 'tui', 'file_opener',
  'hide_agent_reasoning', 'show_raw_agent_reasoning', 'disable_response_storage', 'instructions', 'developer_instructions',
  'experimental_instructions_file', 'tools', 'otel', 'windows', 'windows_wsl_setup_acknowledged', 'preferred_auth_method',
  'forced_login_method', 'forced_chatgpt_workspace_id', 'cli_auth_credentials_store', 'chatgpt_base_url', 'network_proxy',
  'use_legacy_landlock', 'project_doc_max_bytes', 'project_doc_fallback_filenames', 'zsh_path', 'web_search',
  'sandbox', 'mcp_oauth_credentials_store', 'check_for_update_on_startup', 'notice', 'analytics', 'feedback',
];

export function defaultCodexHome(env: Record<string, string | undefined>, homeDir: string = os.homedir()): string {
  const v = env['CODEX_HOME'];
  return v !== undefined && v.length > 0 ? v : path.join(homeDir, '.codex');
}

function parseTomlText(text: string, source: string): TomlTable {
  let parsed: unknown;
  try {
    parsed = parseToml(text);
  } catch (e) {
    throw tomlSyntaxError(e, text, source);
  }
  if (!isTable(parsed)) throw new ConfigError('invalid TOML: the document is not a table', { path: source });
  return parsed;
}

/** Parses a dotted TOML key (`a.b."c.d".'e'`) into segments. */
function parseDottedKey(text: string, source: string): string[] {
  const segs: string[] = [];
  let i = 0;
  const n = text.length;
  const skipWs = (): void => {
    while (i < n && (text[i] === ' ' || text[i] === '\t')) i++;
  };
  const bad = (why: string): ConfigError =>
    new ConfigError(`invalid override key \`${text}\`: ${why}; use dotted TOML keys such as \`sandbox_mode\` or \`permissions.dev.filesystem.":root"\``, {
      path: source,
      key: text,
    });
  for (;;) {
    skipWs();
    if (i >= n) throw bad('expected a key segment');
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      let raw = '';
      while (j < n && text[j] !== '"') {
        if (text[j] === '\\') {
          raw += text.slice(j, j + 2);
          j += 2;
        } else {
          raw += text[j];
          j++;
        }
      }
      if (j >= n) throw bad('unterminated quoted segment');
      let seg: unknown;
      try {
        seg = JSON.parse(`"${raw}"`);
      } catch {
        throw bad('invalid escape in quoted segment');
      }
      segs.push(seg as string);
      i = j + 1;
    } else if (c === "'") {
      const j = text.indexOf("'", i + 1);
      if (j < 0) throw bad('unterminated quoted segment');
      segs.push(text.slice(i + 1, j));
      i = j + 1;
    } else {
      const m = /^[A-Za-z0-9_-]+/.exec(text.slice(i));
      if (m === null) throw bad(`unexpected character \`${c}\``);
      segs.push(m[0]);
      i += m[0].length;
    }
    skipWs();
    if (i >= n) return segs;
    if (text[i] !== '.') throw bad(`unexpected character \`${text[i]}\``);
    i++;
  }
}

export interface ParsedOverride {
  keyPath: string[];
  value: unknown;
}

/** `key=value`: the value is parsed as a TOML value, falling back to the raw string. */
export function parseOverride(text: string): ParsedOverride {
  const source = `-c ${text}`;
  const eq = text.indexOf('=');
  if (eq < 0) {
    throw new ConfigError(`invalid override \`${text}\`: expected key=value (value is TOML, or a plain string)`, { path: source });
  }
  const keyPath = parseDottedKey(text.slice(0, eq), source);
  const rawValue = text.slice(eq + 1).trim();
  let value: unknown = rawValue;
  if (!/[\r\n]/.test(rawValue)) {
    try {
      const doc = parseToml(`v = ${rawValue}`);
      if (Object.keys(doc).length === 1 && Object.hasOwn(doc, 'v')) value = doc['v'];
    } catch {
      value = rawValue;
    }
  }
  return { keyPath, value };
}

function overrideLayer(text: string): ConfigLayer {
  const { keyPath, value } = parseOverride(text);
  const table: TomlTable = {};
  let cur = table;
  keyPath.forEach((seg, idx) => {
    if (idx === keyPath.length - 1) {
      setOwn(cur, seg, value);
    } else {
      const next: TomlTable = {};
      setOwn(cur, seg, next);
      cur = next;
    }
  });
  return { kind: 'override', source: `-c ${text}`, table };
}

/** The highest-precedence layer that sets `keyPath` (for error messages and syntax detection). */
export function layerDefining(config: Pick<LoadedConfig, 'layers'>, keyPath: readonly string[]): ConfigLayer | undefined {
  for (let i = config.layers.length - 1; i >= 0; i--) {
    const layer = config.layers[i] as ConfigLayer;
    let cur: unknown = layer.table;
    let found = true;
    for (const seg of keyPath) {
      if (!isTable(cur) || !Object.hasOwn(cur, seg)) {
        found = false;
        break;
      }
      cur = cur[seg];
    }
    if (found) return layer;
  }
  return undefined;
}

function withSource(e: unknown, config: Pick<LoadedConfig, 'layers'>, keyPath: readonly string[]): unknown {
  if (!(e instanceof ConfigError) || e.path !== undefined) return e;
  const layer = layerDefining(config, keyPath);
  return layer === undefined ? e : new ConfigError(e.message, { path: layer.source, ...(e.key !== undefined ? { key: e.key } : {}) });
}

/** Validates the keys this package owns; returns warnings for keys it does not know. */
function validate(config: Pick<LoadedConfig, 'layers' | 'merged' | 'homeDir'>): string[] {
  const warnings: string[] = [];
  const m = config.merged;
  for (const k of Object.keys(m)) {
    if (OWN_TOP_LEVEL_KEYS.includes(k) || OTHER_CODEX_KEYS.includes(k)) continue;
    const src = layerDefining(config, [k])?.source ?? 'config';
    if (k === 'profile' || k === 'profiles') {
      warnings.push(`${src}: \`${k}\` is not read by \`codex sandbox\`; select a config layer with \`-p NAME\` ($CODEX_HOME/NAME.config.toml) and a permission profile with \`-P\` or \`default_permissions\``);
    } else {
      warnings.push(`${src}: unknown config key \`${dottedKey([k])}\` is ignored`);
    }
  }
  const at = (keyPath: string[], fn: () => void): void => {
    try {
      fn();
    } catch (e) {
      throw withSource(e, config, keyPath);
    }
  };
  const mode = getOwn(m, 'sandbox_mode');
  at(['sandbox_mode'], () => {
    if (mode !== undefined && !(SANDBOX_MODES as readonly unknown[]).includes(mode)) {
      const shown = typeof mode === 'string' ? `\`${mode}\`` : describeType(mode);
      throw new ConfigError(`\`sandbox_mode\` is ${shown}; allowed: ${SANDBOX_MODES.map((s) => `\`${s}\``).join(', ')}`, { key: 'sandbox_mode' });
    }
  });
  const dp = getOwn(m, 'default_permissions');
  at(['default_permissions'], () => {
    if (dp !== undefined && (typeof dp !== 'string' || dp.length === 0)) {
      throw new ConfigError(`\`default_permissions\` must be a non-empty profile name string, not ${describeType(dp)}`, { key: 'default_permissions' });
    }
  });
  const sww = getOwn(m, 'sandbox_workspace_write');
  at(['sandbox_workspace_write'], () => {
    if (sww === undefined) return;
    if (!isTable(sww)) throw new ConfigError(`\`sandbox_workspace_write\` must be a table, not ${describeType(sww)}`, { key: 'sandbox_workspace_write' });
    for (const k of Object.keys(sww)) {
      const key = dottedKey(['sandbox_workspace_write', k]);
      if (!SANDBOX_WORKSPACE_WRITE_KEYS.includes(k)) {
        throw new ConfigError(`unknown key \`${k}\` in \`[sandbox_workspace_write]\`; allowed: ${SANDBOX_WORKSPACE_WRITE_KEYS.join(', ')}`, { key });
      }
      const v = sww[k];
      if (k === 'writable_roots') {
        if (!Array.isArray(v) || !v.every((r) => typeof r === 'string')) {
          throw new ConfigError(`\`${key}\` must be an array of absolute path strings, not ${describeType(v)}`, { key });
        }
      } else if (typeof v !== 'boolean') {
        throw new ConfigError(`\`${key}\` must be a boolean, not ${describeType(v)}`, { key });
      }
    }
  });
  const sep = getOwn(m, SHELL_ENVIRONMENT_POLICY_KEY);
  at([SHELL_ENVIRONMENT_POLICY_KEY], () => {
    if (sep === undefined) return;
    const src = layerDefining(config, [SHELL_ENVIRONMENT_POLICY_KEY])?.source ?? 'config';
    for (const w of parseShellEnvironmentPolicy(sep, [SHELL_ENVIRONMENT_POLICY_KEY]).warnings) warnings.push(`${src}: ${w}`);
  });
  const perms = getOwn(m, 'permissions');
  if (perms !== undefined) {
    at(['permissions'], () => {
      if (!isTable(perms)) throw new ConfigError(`\`permissions\` must be a table of profiles, not ${describeType(perms)}`, { key: 'permissions' });
    });
    for (const name of Object.keys(perms as TomlTable)) {
      at(['permissions', name], () => {
        if (name.startsWith(':')) {
          throw new ConfigError(`permissions profile \`${name}\` uses a reserved built-in profile prefix; user profile names must not start with \`:\``, {
            key: dottedKey(['permissions', name]),
          });
        }
        if (name.length === 0) throw new ConfigError('permissions profile names must not be empty', { key: 'permissions' });
        // Compiling every profile (not only the selected one) surfaces mistakes wherever they are.
        compileProfileTable(getOwn(perms as TomlTable, name), name, { homeDir: config.homeDir, platform: process.platform });
      });
    }
  }
  return warnings;
}

function buildConfig(layers: ConfigLayer[], homeDir: string, requirements: Requirements | undefined): LoadedConfig {
  let merged: TomlTable = {};
  for (const l of layers) merged = deepMerge(merged, l.table);
  const partial = { layers, merged, homeDir };
  const warnings = validate(partial);
  return requirements === undefined ? { ...partial, warnings } : { ...partial, warnings, requirements };
}

export interface ParseConfigExtras {
  overrides?: string[];
  homeDir?: string;
  requirements?: Requirements;
}

/** Pure: one config text (as config.toml) plus optional overrides; throws ConfigError. */
export function parseConfigText(text: string, source: string, extras: ParseConfigExtras = {}): LoadedConfig {
  const layers: ConfigLayer[] = [{ kind: 'user', source, table: parseTomlText(text, source) }];
  for (const o of extras.overrides ?? []) layers.push(overrideLayer(o));
  return buildConfig(layers, extras.homeDir ?? os.homedir(), extras.requirements);
}

function readLayer(file: string, kind: ConfigLayerKind, missingMessage?: string): ConfigLayer | undefined {
  const text = readPolicyTextFile(file, { what: 'config file' });
  if (text === undefined) {
    if (missingMessage === undefined) return undefined;
    throw new ConfigError(missingMessage, { path: file });
  }
  return { kind, source: file, table: parseTomlText(text, file) };
}

/** Reads config.toml, the optional `-p` layer and the overrides; throws ConfigError. */
export function loadConfig(opts: ConfigLoadOptions): LoadedConfig {
  const layers: ConfigLayer[] = [];
  const base = readLayer(path.join(opts.codexHome, 'config.toml'), 'user');
  if (base !== undefined) layers.push(base);
  if (opts.profileName !== undefined) {
    const name = opts.profileName;
    if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(name)) {
      throw new ConfigError(`config profile name \`${name}\` is invalid; use letters, digits, \`_\`, \`-\` and \`.\` (selects $CODEX_HOME/NAME.config.toml)`, {
        key: 'profile',
      });
    }
    const file = path.join(opts.codexHome, `${name}.config.toml`);
    const layer = readLayer(file, 'profile', `config profile \`${name}\` (-p) not found: the file does not exist`);
    if (layer !== undefined) layers.push(layer);
  }
  for (const o of opts.overrides) layers.push(overrideLayer(o));
  const requirements = opts.requirementsPath === undefined ? undefined : loadRequirements(opts.requirementsPath);
  return buildConfig(layers, opts.homeDir, requirements);
}
