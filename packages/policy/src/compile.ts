// Compiles one `[permissions.<name>]` TOML table into filesystem entries, a network bit and
// workspace-root keys (P1-P9). Validates every key the user wrote: unknown
// keys and wrong types are ConfigErrors. Pure: must NOT read files or resolve paths against the
// filesystem, and must NOT choose which profile applies (that is select.ts).
import { ConfigError } from './errors.js';
import { LEGACY_PROFILE_ID_DANGER_NO_SANDBOX, LEGACY_SPECIAL_PROJECT_ROOTS, builtinParentTable } from './builtins.js';
import {
  BUILTIN_DANGER_FULL_ACCESS,
  type FileSystemAccessMode,
  type FileSystemSandboxEntry,
  type FileSystemSpecialPath,
  type NetworkSandboxPolicy,
} from './types.js';
import { expandHome, hasGlobChars, isDescendantSubpath, tidyAbsolute } from './paths.js';
import { deepMerge, describeType, dottedKey, getOwn, isTable, type TomlTable } from './toml.js';
import { parseShellEnvironmentPolicy, SHELL_ENVIRONMENT_POLICY_KEY } from './shell-environment.js';
import { unboundedDenyGlobWarning } from './glob-warnings.js';

/** Prefix of symbolic deny globs scoped to `:workspace_roots`; materialised per root later. */
export const WORKSPACE_ROOTS_GLOB_PREFIX = 'codex-project-roots://';

const PROFILE_KEYS = ['description', 'extends', 'workspace_roots', 'filesystem', 'network', SHELL_ENVIRONMENT_POLICY_KEY] as const;
const SPECIAL_KEYS: Record<string, FileSystemSpecialPath['kind']> = {
  ':root': 'root',
  ':minimal': 'minimal',
  ':workspace_roots': 'workspace_roots',
  ':tmpdir': 'tmpdir',
  ':slash_tmp': 'slash_tmp',
};
const ACCESS_ALLOWED = '`read`, `write`, or `none`';

type NetworkValueKind = 'bool' | 'string' | 'mode' | 'allow-deny-table' | 'mitm';
const NETWORK_KEYS: Record<string, NetworkValueKind> = {
  enabled: 'bool',
  proxy_url: 'string',
  enable_socks5: 'bool',
  socks_url: 'string',
  enable_socks5_udp: 'bool',
  allow_upstream_proxy: 'bool',
  dangerously_allow_non_loopback_proxy: 'bool',
  dangerously_allow_all_unix_sockets: 'bool',
  mode: 'mode',
  domains: 'allow-deny-table',
  unix_sockets: 'allow-deny-table',
  allow_local_binding: 'bool',
  mitm: 'mitm',
};
const MITM_KEYS = ['hooks', 'actions'];

export interface CompileContext {
  homeDir: string;
  /** `process.platform`-style name; P7 warnings only apply off macOS. */
  platform: string;
}

export interface CompiledProfile {
  entries: FileSystemSandboxEntry[];
  globScanMaxDepth?: number;
  network: NetworkSandboxPolicy;
  /** The profile's `[network]` table as written (proxy settings for whoever runs a proxy). */
  networkTable?: TomlTable;
  /** Enabled `workspace_roots` keys as written (home-expanded; relative ones are cwd-relative). */
  workspaceRootKeys: string[];
  description?: string;
  warnings: string[];
}

function keyOf(profile: string, ...rest: string[]): string {
  return dottedKey(['permissions', profile, ...rest]);
}

function parseAccess(v: unknown, key: string): FileSystemAccessMode {
  if (v === 'read' || v === 'write') return v;
  if (v === 'none' || v === 'deny') return 'deny';
  const shown = typeof v === 'string' ? `\`${v}\`` : describeType(v);
  throw new ConfigError(`\`${key}\` has access ${shown}; allowed: ${ACCESS_ALLOWED}`, { key });
}

function rejectProjectRoots(k: string, key: string): void {
  if (k === LEGACY_SPECIAL_PROJECT_ROOTS) {
    throw new ConfigError(`filesystem key \`${LEGACY_SPECIAL_PROJECT_ROOTS}\` is not supported; use \`:workspace_roots\``, { key });
  }
}

/**
 * P1 for a non-glob key: absolute or `~`-based, `.` and `//` collapsed. A `..` is kept: only
 * resolution can tell where it leads (after a symlink it is the parent of the link's target).
 */
function absolutePathKey(k: string, key: string, homeDir: string): string {
  const expanded = expandHome(k, homeDir);
  if (!expanded.startsWith('/')) {
    throw new ConfigError(`filesystem path \`${k}\` must be absolute, use \`~/...\`, or start with \`:\``, { key });
  }
  return tidyAbsolute(expanded);
}

/** P3: strips one trailing `/**` from a read/write glob; errors if a glob remains. */
function subtreeOrError(k: string, access: FileSystemAccessMode, key: string): string {
  const stripped = k.endsWith('/**') ? k.slice(0, -3) : k;
  if (hasGlobChars(stripped) || stripped.length === 0) {
    throw new ConfigError(
      `filesystem glob path \`${k}\` only supports \`deny\` access; use an exact path or trailing \`/**\` for \`${access}\` subtree access`,
      { key },
    );
  }
  return stripped;
}

/** A `..` after the first glob character can never match a path (globs match names, not `..`). */
function rejectDotDotAfterGlob(k: string, pattern: string, key: string): void {
  const first = pattern.search(/[*?[\]{}]/);
  if (first >= 0 && pattern.slice(first).split('/').includes('..')) {
    throw new ConfigError(
      `filesystem glob \`${k}\` has a \`..\` component after its first glob character, where no path can match it; write the pattern without it`,
      { key },
    );
  }
}

function unknownSpecialWarning(k: string, sub?: string): string {
  const nested = sub === undefined ? '' : ` with nested entry \`${sub}\``;
  return `Configured filesystem path \`${k}\`${nested} is not recognized by this version of Codex and will be ignored. Upgrade Codex if this path is required.`;
}

interface FsCompileState {
  entries: FileSystemSandboxEntry[];
  warnings: string[];
  /** The dotted key each deny-glob entry was written as, for messages in the user's spelling. */
  globKeys?: Map<FileSystemSandboxEntry, string>;
}

function pushGlob(st: FsCompileState, pattern: string, access: FileSystemAccessMode, key: string): void {
  const entry: FileSystemSandboxEntry = { path: { type: 'glob_pattern', pattern }, access };
  st.entries.push(entry);
  (st.globKeys ??= new Map()).set(entry, key);
}

function compileUnscoped(k: string, value: unknown, key: string, ctx: CompileContext, st: FsCompileState): void {
  const access = parseAccess(value, key);
  if (k.startsWith(':')) {
    rejectProjectRoots(k, key);
    const kind = SPECIAL_KEYS[k];
    if (kind === undefined) {
      st.entries.push({ path: { type: 'special', value: { kind: 'unknown', path: k } }, access });
      st.warnings.push(unknownSpecialWarning(k));
      return;
    }
    st.entries.push({ path: { type: 'special', value: { kind } as FileSystemSpecialPath }, access });
    return;
  }
  if (hasGlobChars(k)) {
    if (access === 'deny') {
      const expanded = expandHome(k, ctx.homeDir);
      rejectDotDotAfterGlob(k, expanded, key);
      const pattern = expanded.startsWith('/') ? tidyAbsolute(expanded) : expanded;
      pushGlob(st, pattern, access, key);
      return;
    }
    const prefix = subtreeOrError(k, access, key);
    st.entries.push({ path: { type: 'path', path: absolutePathKey(prefix, key, ctx.homeDir) }, access });
    return;
  }
  st.entries.push({ path: { type: 'path', path: absolutePathKey(k, key, ctx.homeDir) }, access });
}

function compileScoped(k: string, table: TomlTable, keySegs: string[], ctx: CompileContext, st: FsCompileState): void {
  const key = dottedKey(keySegs);
  rejectProjectRoots(k, key);
  const isSpecial = k.startsWith(':');
  const specialKind = isSpecial ? SPECIAL_KEYS[k] : undefined;
  let base: string | undefined;
  if (!isSpecial) {
    if (hasGlobChars(k)) {
      throw new ConfigError(`filesystem path \`${k}\` is a glob and cannot have nested entries; nest under an exact path`, { key });
    }
    base = absolutePathKey(k, key, ctx.homeDir);
  }
  // "." (the key itself) first, then the rest in sorted order, so output is deterministic.
  const subs = Object.keys(table).sort((a, b) => (a === '.' ? -1 : b === '.' ? 1 : a < b ? -1 : a > b ? 1 : 0));
  for (const s of subs) {
    const subKey = dottedKey([...keySegs, s]);
    const access = parseAccess(table[s], subKey);
    if (s === '.') {
      if (isSpecial && specialKind === undefined) {
        st.entries.push({ path: { type: 'special', value: { kind: 'unknown', path: k } }, access });
        st.warnings.push(unknownSpecialWarning(k));
      } else if (specialKind !== undefined) {
        st.entries.push({ path: { type: 'special', value: { kind: specialKind } as FileSystemSpecialPath }, access });
      } else {
        st.entries.push({ path: { type: 'path', path: base as string }, access });
      }
      continue;
    }
    if (!isDescendantSubpath(s)) {
      throw new ConfigError(`filesystem subpath \`${s}\` must be a descendant path without \`.\` or \`..\` components`, { key: subKey });
    }
    if (isSpecial && specialKind === undefined) {
      // Unknown specials are kept verbatim for round-tripping and ignored (with a warning).
      st.entries.push({ path: { type: 'special', value: { kind: 'unknown', path: k, subpath: s } }, access });
      st.warnings.push(unknownSpecialWarning(k, s));
      continue;
    }
    if (specialKind !== undefined && specialKind !== 'workspace_roots') {
      throw new ConfigError(`filesystem path \`${k}\` does not support nested entries; only \`.\` (the path itself) is allowed`, { key: subKey });
    }
    if (hasGlobChars(s) && access === 'deny' && (specialKind === 'workspace_roots' || base !== undefined)) {
      const pattern = base !== undefined ? `${base === '/' ? '' : base}/${s}` : `${WORKSPACE_ROOTS_GLOB_PREFIX}${s}`;
      pushGlob(st, pattern, access, subKey);
      continue;
    }
    const sub = hasGlobChars(s) ? subtreeOrError(s, access, subKey) : s;
    if (!isDescendantSubpath(sub)) {
      throw new ConfigError(`filesystem subpath \`${s}\` must be a descendant path without \`.\` or \`..\` components`, { key: subKey });
    }
    const normSub = sub.split('/').filter((c) => c.length > 0).join('/');
    if (specialKind === 'workspace_roots') {
      st.entries.push({ path: { type: 'special', value: { kind: 'workspace_roots', subpath: normSub } }, access });
    } else {
      st.entries.push({ path: { type: 'path', path: tidyAbsolute(`${base as string}/${normSub}`) }, access });
    }
  }
}

function compileFilesystem(
  fsTable: unknown,
  profile: string,
  ctx: CompileContext,
): { entries: FileSystemSandboxEntry[]; globScanMaxDepth?: number; warnings: string[] } {
  const st: FsCompileState = { entries: [], warnings: [] };
  if (fsTable === undefined) return st;
  const fsKey = keyOf(profile, 'filesystem');
  if (!isTable(fsTable)) {
    throw new ConfigError(`\`${fsKey}\` must be a table of path = access entries, not ${describeType(fsTable)}`, { key: fsKey });
  }
  let globScanMaxDepth: number | undefined;
  for (const k of Object.keys(fsTable).sort()) {
    const v = fsTable[k];
    const key = keyOf(profile, 'filesystem', k);
    if (k === 'glob_scan_max_depth') {
      if (typeof v === 'bigint' || typeof v !== 'number' || !Number.isSafeInteger(v)) {
        throw new ConfigError(`\`${key}\` must be an integer of at least 1, not ${describeType(v)}`, { key });
      }
      if (v < 1) throw new ConfigError(`glob_scan_max_depth must be at least 1 (\`${key}\` is ${v})`, { key });
      globScanMaxDepth = v;
      continue;
    }
    if (isTable(v)) compileScoped(k, v, ['permissions', profile, 'filesystem', k], ctx, st);
    else compileUnscoped(k, v, key, ctx, st);
  }
  if (ctx.platform !== 'darwin' && globScanMaxDepth === undefined) {
    for (const e of st.entries) {
      if (e.path.type === 'glob_pattern' && e.access === 'deny' && e.path.pattern.includes('**')) {
        const written = st.globKeys?.get(e) ?? e.path.pattern;
        st.warnings.push(unboundedDenyGlobWarning(written, e.path.pattern, fsKey));
      }
    }
  }
  return globScanMaxDepth === undefined ? st : { ...st, globScanMaxDepth };
}

function checkAllowDeny(v: unknown, key: string): void {
  if (!isTable(v)) throw new ConfigError(`\`${key}\` must be a table of pattern = "allow" | "deny", not ${describeType(v)}`, { key });
  for (const k of Object.keys(v)) {
    const val = v[k];
    if (val !== 'allow' && val !== 'deny') {
      const entryKey = `${key}.${dottedKey([k])}`;
      throw new ConfigError(`\`${entryKey}\` must be "allow" or "deny", not ${typeof val === 'string' ? `\`${val}\`` : describeType(val)}`, {
        key: entryKey,
      });
    }
  }
}

function compileNetwork(net: unknown, profile: string): { network: NetworkSandboxPolicy; table?: TomlTable } {
  if (net === undefined) return { network: 'restricted' };
  const netKey = keyOf(profile, 'network');
  if (!isTable(net)) throw new ConfigError(`\`${netKey}\` must be a table, not ${describeType(net)}`, { key: netKey });
  for (const k of Object.keys(net)) {
    const key = keyOf(profile, 'network', k);
    const kind = Object.hasOwn(NETWORK_KEYS, k) ? NETWORK_KEYS[k] : undefined;
    const v = net[k];
    switch (kind) {
      case undefined:
        throw new ConfigError(`unknown key \`${k}\` in \`${netKey}\`; allowed: ${Object.keys(NETWORK_KEYS).join(', ')}`, { key });
      case 'bool':
        if (typeof v !== 'boolean') throw new ConfigError(`\`${key}\` must be a boolean, not ${describeType(v)}`, { key });
        break;
      case 'string':
        if (typeof v !== 'string') throw new ConfigError(`\`${key}\` must be a string, not ${describeType(v)}`, { key });
        break;
      case 'mode':
        if (v !== 'limited' && v !== 'full') throw new ConfigError(`\`${key}\` must be "limited" or "full"`, { key });
        break;
      case 'allow-deny-table':
        checkAllowDeny(v, key);
        break;
      case 'mitm':
        if (!isTable(v)) throw new ConfigError(`\`${key}\` must be a table, not ${describeType(v)}`, { key });
        for (const mk of Object.keys(v)) {
          if (!MITM_KEYS.includes(mk)) {
            throw new ConfigError(`unknown key \`${mk}\` in \`${key}\`; allowed: ${MITM_KEYS.join(', ')}`, { key: `${key}.${dottedKey([mk])}` });
          }
        }
        break;
    }
  }
  return { network: getOwn(net, 'enabled') === true ? 'enabled' : 'restricted', table: net };
}

function compileWorkspaceRoots(wr: unknown, profile: string, homeDir: string): string[] {
  if (wr === undefined) return [];
  const wrKey = keyOf(profile, 'workspace_roots');
  if (!isTable(wr)) throw new ConfigError(`\`${wrKey}\` must be a table of path = true | false, not ${describeType(wr)}`, { key: wrKey });
  const out: string[] = [];
  for (const k of Object.keys(wr)) {
    const key = keyOf(profile, 'workspace_roots', k);
    const v = wr[k];
    if (typeof v !== 'boolean') throw new ConfigError(`\`${key}\` must be true or false, not ${describeType(v)}`, { key });
    if (k.length === 0) throw new ConfigError(`\`${wrKey}\` has an empty path; use an absolute, \`~/\`, or cwd-relative path`, { key });
    if (v) out.push(expandHome(k, homeDir));
  }
  return out;
}

/** Validates and compiles a single (already merged) profile table. */
export function compileProfileTable(table: unknown, profile: string, ctx: CompileContext): CompiledProfile {
  const pKey = keyOf(profile);
  if (!isTable(table)) throw new ConfigError(`\`${pKey}\` must be a table, not ${describeType(table)}`, { key: pKey });
  for (const k of Object.keys(table)) {
    if (!(PROFILE_KEYS as readonly string[]).includes(k)) {
      throw new ConfigError(`unknown key \`${k}\` in \`${pKey}\`; allowed: ${PROFILE_KEYS.join(', ')}`, { key: keyOf(profile, k) });
    }
  }
  const description = getOwn(table, 'description');
  if (description !== undefined && typeof description !== 'string') {
    throw new ConfigError(`\`${keyOf(profile, 'description')}\` must be a string, not ${describeType(description)}`, { key: keyOf(profile, 'description') });
  }
  const ext = getOwn(table, 'extends');
  if (ext !== undefined && typeof ext !== 'string') {
    throw new ConfigError(`\`${keyOf(profile, 'extends')}\` must be a profile name string, not ${describeType(ext)}`, { key: keyOf(profile, 'extends') });
  }
  const fsResult = compileFilesystem(getOwn(table, 'filesystem'), profile, ctx);
  const warnings = [...fsResult.warnings];
  if (!fsResult.entries.some((e) => !(e.path.type === 'special' && e.path.value.kind === 'unknown'))) {
    warnings.push(
      `Permissions profile \`${profile}\` does not define any recognized filesystem entries for this version of Codex. Filesystem access will remain restricted. Upgrade Codex if this profile expects filesystem permissions.`,
    );
  }
  const net = compileNetwork(getOwn(table, 'network'), profile);
  // Validated here so every profile's mistakes surface at load; shell-environment.ts applies it.
  const envTable = getOwn(table, SHELL_ENVIRONMENT_POLICY_KEY);
  if (envTable !== undefined) warnings.push(...parseShellEnvironmentPolicy(envTable, ['permissions', profile, SHELL_ENVIRONMENT_POLICY_KEY]).warnings);
  const out: CompiledProfile = {
    entries: fsResult.entries,
    network: net.network,
    workspaceRootKeys: compileWorkspaceRoots(getOwn(table, 'workspace_roots'), profile, ctx.homeDir),
    warnings,
  };
  if (fsResult.globScanMaxDepth !== undefined) out.globScanMaxDepth = fsResult.globScanMaxDepth;
  if (net.table !== undefined) out.networkTable = net.table;
  if (typeof description === 'string') out.description = description;
  return out;
}

/** P9: merges the `extends` chain parent-first (child keys win) into one table. */
export function resolveProfileChain(permissions: TomlTable, name: string): TomlTable {
  const chain: string[] = [];
  const tables: TomlTable[] = [];
  let current = name;
  for (;;) {
    if (chain.includes(current)) {
      throw new ConfigError(`permissions profile inheritance cycle detected: ${[...chain, current].join(' -> ')}`, {
        key: keyOf(chain[chain.length - 1] ?? current, 'extends'),
      });
    }
    chain.push(current);
    const raw = getOwn(permissions, current);
    if (!isTable(raw)) throw new ConfigError(`\`${keyOf(current)}\` must be a table, not ${describeType(raw)}`, { key: keyOf(current) });
    tables.push(raw);
    const parent = getOwn(raw, 'extends');
    if (parent === undefined) break;
    const extKey = keyOf(current, 'extends');
    if (typeof parent !== 'string') throw new ConfigError(`\`${extKey}\` must be a profile name string, not ${describeType(parent)}`, { key: extKey });
    if (parent.startsWith(':')) {
      if (parent === LEGACY_PROFILE_ID_DANGER_NO_SANDBOX) {
        throw new ConfigError(
          `permissions profile \`${current}\` extends \`${parent}\`, which is not supported; the full-access profile is \`${BUILTIN_DANGER_FULL_ACCESS}\` and cannot be extended`,
          { key: extKey },
        );
      }
      const builtin = builtinParentTable(parent);
      if (builtin === undefined) {
        throw new ConfigError(
          `permissions profile \`${current}\` cannot extend unsupported built-in profile \`${parent}\`; built-in parents: \`:read-only\`, \`:workspace\``,
          { key: extKey },
        );
      }
      tables.push(builtin);
      break;
    }
    if (!Object.hasOwn(permissions, parent)) {
      throw new ConfigError(`permissions profile \`${current}\` extends undefined profile \`${parent}\``, { key: extKey });
    }
    current = parent;
  }
  let merged: TomlTable = {};
  for (let i = tables.length - 1; i >= 0; i--) {
    const t = { ...(tables[i] as TomlTable) };
    if (i > 0) {
      delete t['description'];
      delete t['extends'];
    }
    merged = deepMerge(merged, t);
  }
  // The child's own `extends` is already followed; dropping it keeps the merged table self-contained.
  delete merged['extends'];
  return merged;
}
