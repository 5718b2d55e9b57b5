// Owns the rendering of access roots (M7): one root with its exclusions and metadata guards as an
// SBPL filter, every path reaching the text as a `(param "K")` whose value is recorded in the
// parameter list, and the unlink denies of writable roots and protected ancestors. Pure: must NOT
// touch the filesystem or choose which roots exist (seatbelt-policy.ts does).
import { metadataNameRegex } from './sbpl-regex.js';

/** `-D KEY=VALUE` definitions in the order they are created. */
export class ParamList {
  private readonly entries: Array<readonly [string, string]> = [];
  /** Records `KEY=value` and returns the filter argument that refers to it. */
  define(key: string, value: string): string {
    this.entries.push([key, value]);
    return `(param "${key}")`;
  }
  list(): ReadonlyArray<readonly [string, string]> {
    return this.entries;
  }
}

/** A path excluded from a root; `resolved` is its canonical spelling when that differs (write roots). */
export interface ExcludedPath {
  path: string;
  resolved?: string;
}

export interface AccessRoot {
  path: string;
  /** `literal` for an existing non-directory (M6), `subpath` otherwise. */
  filter: 'subpath' | 'literal';
  excluded: readonly ExcludedPath[];
  /** Metadata names guarded directly under the root (write roots, M7). */
  protectedNames: readonly string[];
}

function excludeClauses(ref: string): string[] {
  // Both: `literal` also closes the first `mkdir` of a missing excluded directory.
  return [`(require-not (literal ${ref}))`, `(require-not (subpath ${ref}))`];
}

/** One root as a filter; `key` is its parameter name (`READABLE_ROOT_0`...). */
export function renderAccessRoot(root: AccessRoot, key: string, params: ParamList): string {
  const ref = params.define(key, root.path);
  const head = `(${root.filter} ${ref})`;
  const parts: string[] = [];
  root.excluded.forEach((excluded, j) => {
    parts.push(...excludeClauses(params.define(`${key}_EXCLUDED_${j}`, excluded.path)));
    if (excluded.resolved !== undefined && excluded.resolved !== excluded.path) {
      parts.push(...excludeClauses(params.define(`${key}_EXCLUDED_${j}_RESOLVED`, excluded.resolved)));
    }
  });
  for (const name of root.protectedNames) parts.push(`(require-not (regex #"${metadataNameRegex(root.path, name)}"))`);
  return parts.length === 0 ? head : `(require-all ${head} ${parts.join(' ')} )`;
}

/** `(allow OP\n<roots>\n)`; empty when there is no root. */
export function renderAccessSection(operation: 'file-read*' | 'file-write*', rendered: readonly string[]): string {
  return rendered.length === 0 ? '' : `(allow ${operation}\n${rendered.join(' ')}\n)`;
}

/** M6: the writable root directory itself cannot be renamed or replaced. */
export function rootUnlinkDeny(key: string): string {
  return `(deny file-write-unlink (require-all (literal (param "${key}")) (vnode-type DIRECTORY)))`;
}

/** M3: an ancestor of a read-only path cannot be renamed away from under its guard. */
export function protectedAncestorDeny(ref: string): string {
  return `(deny file-write-unlink (require-all (vnode-type DIRECTORY) (literal ${ref})))`;
}
