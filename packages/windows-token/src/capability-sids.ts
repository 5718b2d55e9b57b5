// Owns the capability SIDs of the restricted token (W3): their shape in `$CODEX_HOME/cap_sid`
// (JSON; a legacy plain-text file holding one SID is upgraded), and which of them a policy's token
// carries. Pure: must NOT read or write the file (cap-sid-file.ts does) and must NOT call Win32.
import type { ResolvedSandboxPolicy } from '@codex-sandbox/policy';
import { CapabilitySidFileError } from './errors.js';

/** Everyone: the last restricting SID, and one the default DACL grants to. */
export const EVERYONE_SID = 'S-1-1-0';

/** The contents of `$CODEX_HOME/cap_sid` (its JSON keys are the same names). */
export interface CapabilitySids {
  /** The legacy file's SID, kept for runs of older versions. */
  workspace: string;
  /** The token's capability SID for a policy without writable roots. */
  readonly: string;
  /** The capability SID of the working directory's writable root, by that directory. */
  workspace_by_cwd: Record<string, string>;
  /** The capability SID of every other writable root, by its path. */
  writable_root_by_path: Record<string, string>;
}

/** Makes a new SID for a purpose (`readonly`, `workspace C:\x`, `writable root C:\y`). */
export type SidAllocator = (purpose: string) => string;

const SID = /^S-1-5-21-\d{1,10}-\d{1,10}-\d{1,10}-\d{1,10}$/;

export function isCapabilitySid(text: string): boolean {
  return SID.test(text) && text.split('-').slice(4).every((part) => Number(part) <= 0xffffffff);
}

/** A random `S-1-5-21-a-b-c-d` from 16 random bytes (four unsigned 32-bit sub-authorities). */
export function capabilitySidFromBytes(bytes: Uint8Array): string {
  if (bytes.length !== 16) throw new RangeError('a capability SID needs 16 random bytes');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return `S-1-5-21-${[0, 4, 8, 12].map((offset) => view.getUint32(offset, true)).join('-')}`;
}

/**
 * Parses the file's text. A file holding one SID (the legacy format) becomes the `workspace` SID of
 * a new JSON store (`upgraded`: it must be written back). Anything else that is not the JSON shape
 * with valid SIDs throws: a damaged file is never silently replaced (its SIDs may be in ACLs).
 */
export function parseCapabilitySids(text: string, allocate: SidAllocator, file: string): { sids: CapabilitySids; upgraded: boolean } {
  const trimmed = text.trim();
  if (isCapabilitySid(trimmed)) {
    return { sids: { workspace: trimmed, readonly: allocate('readonly'), workspace_by_cwd: {}, writable_root_by_path: {} }, upgraded: true };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new CapabilitySidFileError(`${file} is neither JSON nor a single capability SID; fix or remove it`);
  }
  const bad = (what: string): never => {
    throw new CapabilitySidFileError(`${file}: ${what} must be a capability SID (S-1-5-21-a-b-c-d); fix or remove the file`);
  };
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return bad('the file');
  const record = parsed as Record<string, unknown>;
  const sid = (key: string): string => {
    const value = record[key];
    return typeof value === 'string' && isCapabilitySid(value) ? value : bad(`\`${key}\``);
  };
  const map = (key: string): Record<string, string> => {
    const value = record[key] ?? {};
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return bad(`\`${key}\``);
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(value)) out[k] = typeof v === 'string' && isCapabilitySid(v) ? v : bad(`\`${key}.${k}\``);
    return out;
  };
  return {
    sids: { workspace: sid('workspace'), readonly: sid('readonly'), workspace_by_cwd: map('workspace_by_cwd'), writable_root_by_path: map('writable_root_by_path') },
    upgraded: false,
  };
}

/** A new store, for a CODEX_HOME without the file. */
export function newCapabilitySids(allocate: SidAllocator): CapabilitySids {
  return { workspace: allocate('workspace'), readonly: allocate('readonly'), workspace_by_cwd: {}, writable_root_by_path: {} };
}

export function serializeCapabilitySids(sids: CapabilitySids): string {
  return `${JSON.stringify(sids, null, 2)}\n`;
}

export interface TokenCapabilities {
  /** The capability SIDs the token carries, in restricting-SID order. */
  sids: string[];
  /** The capability SID that receives allow-write on each writable root. */
  byRoot: Map<string, string>;
  /** The store with any SID this policy needed added; `changed`: it must be written back. */
  store: CapabilitySids;
  changed: boolean;
}

/**
 * W3: the capability SIDs of one policy's token. No writable root: the `readonly` SID. Otherwise
 * one SID per writable root (the cwd's from `workspace_by_cwd`, others from
 * `writable_root_by_path`), so a token for one workspace carries no SID another run's ACEs grant.
 */
export function tokenCapabilities(store: CapabilitySids, policy: ResolvedSandboxPolicy, allocate: SidAllocator): TokenCapabilities {
  const next: CapabilitySids = { ...store, workspace_by_cwd: { ...store.workspace_by_cwd }, writable_root_by_path: { ...store.writable_root_by_path } };
  let changed = false;
  const byRoot = new Map<string, string>();
  const roots = [...new Set(policy.writableRoots.map((w) => w.root))].sort();
  for (const root of roots) {
    const table = root === policy.cwd ? next.workspace_by_cwd : next.writable_root_by_path;
    let sid = table[root];
    if (sid === undefined) {
      sid = allocate(root === policy.cwd ? `workspace ${root}` : `writable root ${root}`);
      table[root] = sid;
      changed = true;
    }
    byRoot.set(root, sid);
  }
  const sids = roots.length === 0 ? [next.readonly] : [...new Set(byRoot.values())];
  return { sids, byRoot, store: next, changed };
}
