// Owns the decision "environment + shell_environment_policy tables -> the sandboxed command's
// environment", with the rule that dropped each variable (C5). Pure: no process.env, no
// I/O. The CLI run, its --dry-run and the library API all call computeCommandEnvironment; must NOT
// parse config (shell-environment.ts validates the tables) or decide sandbox additions itself
// (the caller passes them).
//
// Behaviour, as observed from the Codex CLI 0.171 (`codex sandbox -- env` on Linux, each config
// tried with the same input environment); the code is ours:
// - Steps, per table, in this order: `inherit`, the default excludes (only when
//   `ignore_default_excludes = false`), `exclude`, `set`, `include_only`. `set` comes after the
//   excludes (a set variable survives an exclude that matches it) and `include_only` after `set`
//   (it drops set variables too). An empty `include_only` filters nothing.
// - `inherit = "core"` keeps, compared case-insensitively: HOME, LANG, LC_ALL, LC_CTYPE, LOGNAME,
//   PATH, SHELL, TEMP, TMP, TMPDIR, USER. Not kept: PWD, OLDPWD, TERM, USERNAME, LANGUAGE, other
//   LC_* variables, TZ, DISPLAY, XDG_*, SSH_AUTH_SOCK, CODEX_HOME. `"none"` keeps nothing;
//   `"all"` (the default) keeps everything.
// - Default excludes: `*KEY*`, `*SECRET*`, `*TOKEN*` (so KEYBOARD and MONKEY go too). Codex's
//   default is `ignore_default_excludes = true`: without a policy every variable is passed.
// - Patterns: `*` is any run of characters (also none), `?` exactly one; everything else is
//   literal (`[M]*` matches only names starting with `[M]`); matching ignores ASCII case. `set`
//   names are exact (setting `bar` next to an inherited `BAR` gives the command both).
// - After the policy: CODEX_SANDBOX_NETWORK_DISABLED=1 when the network is restricted, whatever
//   the policy says (an inherited or `set` value is replaced; `include_only` does not remove it).
// - Order: the command gets its variables sorted by name in byte order (`Path` before `TMP` before
//   `home`); bubblewrap then sets PWD to the working directory itself (appended when the policy
//   dropped it, replaced in place otherwise), so PWD is always right inside the sandbox. Without
//   a sandbox (:danger-full-access) PWD is whatever the policy left.
// - Not reproduced: the Codex CLI puts its own helper directories in front of PATH.

import type { EnvironmentInherit, ShellEnvironmentPolicy } from './shell-environment.js';
import { setOwn } from './toml.js';

/** `inherit = "core"` keeps these names (compared case-insensitively). */
export const CORE_ENVIRONMENT_VARIABLES: readonly string[] = [
  'HOME',
  'LANG',
  'LC_ALL',
  'LC_CTYPE',
  'LOGNAME',
  'PATH',
  'SHELL',
  'TEMP',
  'TMP',
  'TMPDIR',
  'USER',
];

/** Dropped when a table says `ignore_default_excludes = false`. */
export const DEFAULT_ENVIRONMENT_EXCLUDES: readonly string[] = ['*KEY*', '*SECRET*', '*TOKEN*'];

/** A variable the front end adds after the policy (not subject to it). */
export interface EnvironmentAddition {
  name: string;
  value: string;
  /** Why, in a few words (shown by --dry-run). */
  reason: string;
}

export type VariableOrigin =
  | { kind: 'inherited' }
  /** From a `set` table; `rule` is its dotted key, e.g. `shell_environment_policy.set.FOO`. */
  | { kind: 'set'; rule: string }
  | { kind: 'added'; reason: string };

export interface CommandVariable {
  name: string;
  value: string;
  origin: VariableOrigin;
}

export interface DroppedVariable {
  name: string;
  /** The rule that dropped it, spelled as in config, e.g. `shell_environment_policy.exclude "AWS_*"`. */
  rule: string;
}

export interface CommandEnvironment {
  /** What the command gets, sorted by name in byte order. */
  variables: CommandVariable[];
  /**
   * The same as an object, in the same order (for spawning), except that JS puts names that are
   * array indices (`0`, `42`) first: such names are not valid shell identifiers, so this is moot.
   */
  env: Record<string, string>;
  /** Each variable the command does not get although the input (or a `set`) had it, sorted by name. */
  dropped: DroppedVariable[];
}

function foldAscii(text: string): string[] {
  return Array.from(text, (c) => (c >= 'a' && c <= 'z' ? c.toUpperCase() : c));
}

/** Codex's variable name patterns: `*` any run, `?` one character, the rest literal; ASCII case ignored. */
export function matchesVariablePattern(pattern: string, name: string): boolean {
  const p = foldAscii(pattern);
  const n = foldAscii(name);
  let pi = 0;
  let ni = 0;
  let star = -1;
  let resume = 0;
  while (ni < n.length) {
    if (pi < p.length && (p[pi] === '?' || (p[pi] !== '*' && p[pi] === n[ni]))) {
      pi += 1;
      ni += 1;
    } else if (pi < p.length && p[pi] === '*') {
      star = pi;
      pi += 1;
      resume = ni;
    } else if (star >= 0) {
      pi = star + 1;
      resume += 1;
      ni = resume;
    } else {
      return false;
    }
  }
  while (pi < p.length && p[pi] === '*') pi += 1;
  return pi === p.length;
}

const CORE = new Set(CORE_ENVIRONMENT_VARIABLES);

function isCore(name: string): boolean {
  return CORE.has(foldAscii(name).join(''));
}

function quoted(patterns: readonly string[]): string {
  return patterns.map((p) => JSON.stringify(p)).join(', ');
}

function inheritRule(policy: ShellEnvironmentPolicy, inherit: EnvironmentInherit): string {
  return `${policy.key}.inherit = "${inherit}"`;
}

/** Byte order of the UTF-8 spelling, which is code point order (not JS's UTF-16 order). */
function compareNames(a: string, b: string): number {
  const x = Array.from(a);
  const y = Array.from(b);
  for (let i = 0; i < Math.min(x.length, y.length); i += 1) {
    const d = ((x[i] as string).codePointAt(0) ?? 0) - ((y[i] as string).codePointAt(0) ?? 0);
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

/**
 * Applies `policies` in order to `input` (undefined values are absent), then `additions`. With no
 * policies the command gets the input unchanged (sorted).
 */
export function computeCommandEnvironment(
  input: Readonly<Record<string, string | undefined>>,
  policies: readonly ShellEnvironmentPolicy[],
  additions: readonly EnvironmentAddition[] = [],
): CommandEnvironment {
  const current = new Map<string, CommandVariable>();
  for (const [name, value] of Object.entries(input)) {
    if (value !== undefined) current.set(name, { name, value, origin: { kind: 'inherited' } });
  }
  const dropped = new Map<string, string>();
  const drop = (name: string, rule: string): void => {
    current.delete(name);
    dropped.set(name, rule);
  };
  for (const policy of policies) {
    if (policy.inherit !== 'all') {
      for (const name of [...current.keys()]) {
        if (policy.inherit === 'none' || !isCore(name)) drop(name, inheritRule(policy, policy.inherit));
      }
    }
    if (!policy.ignoreDefaultExcludes) {
      for (const name of [...current.keys()]) {
        const hit = DEFAULT_ENVIRONMENT_EXCLUDES.find((p) => matchesVariablePattern(p, name));
        if (hit !== undefined) drop(name, `${policy.key}.ignore_default_excludes = false (default exclude ${JSON.stringify(hit)})`);
      }
    }
    for (const name of [...current.keys()]) {
      const hit = policy.exclude.find((p) => matchesVariablePattern(p, name));
      if (hit !== undefined) drop(name, `${policy.key}.exclude ${JSON.stringify(hit)}`);
    }
    for (const [name, value] of policy.set) {
      current.set(name, { name, value, origin: { kind: 'set', rule: `${policy.key}.set.${name}` } });
      dropped.delete(name);
    }
    if (policy.includeOnly.length > 0) {
      for (const name of [...current.keys()]) {
        if (!policy.includeOnly.some((p) => matchesVariablePattern(p, name))) {
          drop(name, `${policy.key}.include_only (matches none of ${quoted(policy.includeOnly)})`);
        }
      }
    }
  }
  for (const addition of additions) {
    current.set(addition.name, { name: addition.name, value: addition.value, origin: { kind: 'added', reason: addition.reason } });
    dropped.delete(addition.name);
  }
  const variables = [...current.values()].sort((a, b) => compareNames(a.name, b.name));
  const env: Record<string, string> = {};
  // Defined, not assigned: a variable may be called `__proto__`.
  for (const v of variables) setOwn(env, v.name, v.value);
  return {
    variables,
    env,
    dropped: [...dropped.entries()].map(([name, rule]) => ({ name, rule })).sort((a, b) => compareNames(a.name, b.name)),
  };
}
