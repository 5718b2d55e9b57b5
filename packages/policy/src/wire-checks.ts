// The checks every wire form (protobuf, JSON) applies to what it decodes, and the request shape
// they carry. Pure: must NOT make policy decisions or touch the filesystem.
import { WireError } from './errors.js';
import { isDescendantSubpath } from './paths.js';
import type { PermissionProfile } from './types.js';

export interface SandboxRequest {
  profile: PermissionProfile;
  /** Absolute directory the policy is resolved against. */
  cwd: string;
  /** Absolute logical working directory of the command. */
  commandCwd: string;
  /** Absolute workspace roots. */
  workspaceRoots: string[];
}

export const SPECIAL_KINDS = ['root', 'minimal', 'workspace_roots', 'tmpdir', 'slash_tmp', 'unknown'] as const;
export const MAX_UINT32 = 0xffffffff;


/** Strings must survive UTF-8 (protobuf, argv): no NUL, no lone surrogates. */
export function isTransportable(s: string): boolean {
  return !s.includes('\0') && !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);
}

export function checkAbsolute(p: unknown, what: string): string {
  if (typeof p !== 'string' || !p.startsWith('/') || !isTransportable(p)) {
    throw new WireError(`${what} must be an absolute path string (valid UTF-8, no NUL bytes), got ${JSON.stringify(p) ?? String(p)}`);
  }
  return p;
}

export function checkSubpath(s: unknown, what: string): string {
  if (typeof s !== 'string' || !isDescendantSubpath(s) || !isTransportable(s)) {
    throw new WireError(`${what} must be a descendant path without \`.\` or \`..\` components, got ${JSON.stringify(s) ?? String(s)}`);
  }
  return s;
}

export function checkDepth(d: unknown, what: string): number {
  if (typeof d !== 'number' || !Number.isInteger(d) || d < 1 || d > MAX_UINT32) {
    throw new WireError(`${what} must be an integer from 1 to ${MAX_UINT32}, got ${JSON.stringify(d) ?? String(d)}`);
  }
  return d;
}

export function checkNonEmpty(s: unknown, what: string): string {
  if (typeof s !== 'string' || s.length === 0 || !isTransportable(s)) {
    throw new WireError(`${what} must be a non-empty string (valid UTF-8, no NUL bytes)`);
  }
  return s;
}

/** Input given as JSON text is parsed first (and handed back to the caller as a value). */
export function parseJsonText(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new WireError(`invalid ${what} JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
}
