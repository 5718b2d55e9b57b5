// Small, safe helpers over parsed TOML values: table tests, own-key access, deep merge, dotted
// key rendering. Never uses the prototype chain for user keys (`__proto__`, `constructor` are
// ordinary keys here). Must NOT parse files or make policy decisions.

export type TomlTable = Record<string, unknown>;

export function isTable(v: unknown): v is TomlTable {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

export function getOwn(t: TomlTable, key: string): unknown {
  return Object.hasOwn(t, key) ? t[key] : undefined;
}

export function hasOwn(t: TomlTable, key: string): boolean {
  return Object.hasOwn(t, key);
}

export function setOwn(t: TomlTable, key: string, value: unknown): void {
  Object.defineProperty(t, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Deep copy of plain tables/arrays (dates and primitives are shared). */
function cloneValue(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(cloneValue);
  if (isTable(v)) {
    const out: TomlTable = {};
    for (const k of Object.keys(v)) setOwn(out, k, cloneValue(v[k]));
    return out;
  }
  return v;
}

/** Merges `over` onto `base`: tables merge recursively, anything else in `over` replaces. */
export function deepMerge(base: TomlTable, over: TomlTable): TomlTable {
  const out = cloneValue(base) as TomlTable;
  for (const k of Object.keys(over)) {
    const b = getOwn(out, k);
    const o = over[k];
    setOwn(out, k, isTable(b) && isTable(o) ? deepMerge(b, o) : cloneValue(o));
  }
  return out;
}

/** Renders a key path the way a user would write it: bare segments, quoted otherwise. */
export function dottedKey(segments: readonly string[]): string {
  return segments.map((s) => (/^[A-Za-z0-9_-]+$/.test(s) ? s : JSON.stringify(s))).join('.');
}

/** What a value is, for error messages. */
export function describeType(v: unknown): string {
  if (Array.isArray(v)) return 'an array';
  if (v instanceof Date) return 'a date';
  if (isTable(v)) return 'a table';
  if (typeof v === 'bigint' || (typeof v === 'number' && Number.isInteger(v))) return 'an integer';
  if (typeof v === 'number') return 'a float';
  if (typeof v === 'boolean') return 'a boolean';
  if (typeof v === 'string') return 'a string';
  return typeof v;
}
