// The snake_case JSON form of a PermissionProfile / SandboxRequest (`--permission-profile`), tagged
// on `type`; `none` is accepted as `deny` on input, and so is the legacy untagged shape. Decoding
// validates strictly and throws WireError. Must NOT make policy decisions or touch the filesystem.
import { WireError } from './errors.js';
import { checkAbsolute, checkDepth, checkNonEmpty, checkSubpath, parseJsonText, SPECIAL_KINDS, type SandboxRequest } from './wire-checks.js';
import type { FileSystemAccessMode, FileSystemPath, FileSystemSandboxEntry, FileSystemSpecialPath, NetworkSandboxPolicy, PermissionProfile } from './types.js';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [k: string]: JsonValue };

function specialToJson(v: FileSystemSpecialPath): JsonValue {
  if (v.kind === 'workspace_roots') return v.subpath === undefined ? { kind: v.kind } : { kind: v.kind, subpath: v.subpath };
  if (v.kind === 'unknown') return v.subpath === undefined ? { kind: v.kind, path: v.path } : { kind: v.kind, path: v.path, subpath: v.subpath };
  return { kind: v.kind };
}

function pathToJson(p: FileSystemPath): JsonValue {
  if (p.type === 'path') return { type: 'path', path: p.path };
  if (p.type === 'glob_pattern') return { type: 'glob_pattern', pattern: p.pattern };
  return { type: 'special', value: specialToJson(p.value) };
}

function entryToJson(e: FileSystemSandboxEntry): JsonValue {
  const out: { [k: string]: JsonValue } = { path: pathToJson(e.path), access: e.access };
  if (e.missingPathBehavior === 'skip') out['missing_path_behavior'] = 'skip';
  return out;
}

/** The `--permission-profile` JSON form. Does not validate; use permissionProfileFromJson to check. */
export function permissionProfileToJson(p: PermissionProfile): JsonValue {
  if (p.type === 'disabled') return { type: 'disabled' };
  if (p.type === 'external') return { type: 'external', network: p.network };
  const fsJson: { [k: string]: JsonValue } =
    p.fileSystem.type === 'unrestricted' ? { type: 'unrestricted' } : { type: 'restricted', entries: p.fileSystem.entries.map(entryToJson) };
  if (p.fileSystem.type === 'restricted' && p.fileSystem.globScanMaxDepth !== undefined) fsJson['glob_scan_max_depth'] = p.fileSystem.globScanMaxDepth;
  return { type: 'managed', file_system: fsJson, network: p.network };
}

type JsonObject = { [k: string]: unknown };

function obj(v: unknown, what: string, allowed: readonly string[]): JsonObject {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new WireError(`${what} must be a JSON object`);
  for (const k of Object.keys(v)) {
    if (!allowed.includes(k)) throw new WireError(`${what}: unknown field \`${k}\`; allowed: ${allowed.join(', ')}`);
  }
  return v as JsonObject;
}

function field(o: JsonObject, k: string): unknown {
  return Object.hasOwn(o, k) ? o[k] : undefined;
}

function networkFromJson(v: unknown, what: string): NetworkSandboxPolicy {
  if (v === 'restricted' || v === 'enabled') return v;
  throw new WireError(`${what} must be "restricted" or "enabled", got ${JSON.stringify(v) ?? String(v)}`);
}

function accessFromJson(v: unknown, what: string): FileSystemAccessMode {
  if (v === 'read' || v === 'write' || v === 'deny') return v;
  if (v === 'none') return 'deny';
  throw new WireError(`${what} must be "read", "write", "deny" or "none", got ${JSON.stringify(v) ?? String(v)}`);
}

function specialFromJson(v: unknown, what: string): FileSystemSpecialPath {
  const o = obj(v, what, ['kind', 'subpath', 'path']);
  const kind = field(o, 'kind');
  if (kind === 'project_roots') throw new WireError(`${what}: special path kind \`project_roots\` is not supported; use \`workspace_roots\``);
  if (typeof kind !== 'string' || !(SPECIAL_KINDS as readonly string[]).includes(kind)) {
    throw new WireError(`${what}.kind must be one of ${SPECIAL_KINDS.join(', ')}, got ${JSON.stringify(kind) ?? String(kind)}`);
  }
  const sub = field(o, 'subpath');
  const tok = field(o, 'path');
  if (kind !== 'workspace_roots' && kind !== 'unknown' && sub !== undefined) throw new WireError(`${what}: \`${kind}\` does not take a subpath`);
  if (kind !== 'unknown' && tok !== undefined) throw new WireError(`${what}: only \`unknown\` carries a path`);
  if (kind === 'workspace_roots') return sub === undefined ? { kind } : { kind, subpath: checkSubpath(sub, `${what}.subpath`) };
  if (kind === 'unknown') {
    const path = checkNonEmpty(tok, `${what}.path`);
    return sub === undefined ? { kind, path } : { kind, path, subpath: checkSubpath(sub, `${what}.subpath`) };
  }
  return { kind: kind as 'root' | 'minimal' | 'tmpdir' | 'slash_tmp' };
}

function pathFromJson(v: unknown, what: string): FileSystemPath {
  const o = obj(v, what, ['type', 'path', 'pattern', 'value']);
  const type = field(o, 'type');
  const only = (k: string): void => {
    for (const other of ['path', 'pattern', 'value']) {
      if (other !== k && field(o, other) !== undefined) throw new WireError(`${what}: \`${other}\` is not allowed with type \`${String(type)}\``);
    }
  };
  if (type === 'path') {
    only('path');
    return { type, path: checkAbsolute(field(o, 'path'), `${what}.path`) };
  }
  if (type === 'glob_pattern') {
    only('pattern');
    return { type, pattern: checkNonEmpty(field(o, 'pattern'), `${what}.pattern`) };
  }
  if (type === 'special') {
    only('value');
    return { type, value: specialFromJson(field(o, 'value'), `${what}.value`) };
  }
  throw new WireError(`${what}.type must be "path", "glob_pattern" or "special", got ${JSON.stringify(type) ?? String(type)}`);
}

function entryFromJson(v: unknown, what: string): FileSystemSandboxEntry {
  const o = obj(v, what, ['path', 'access', 'missing_path_behavior']);
  const out: FileSystemSandboxEntry = { path: pathFromJson(field(o, 'path'), `${what}.path`), access: accessFromJson(field(o, 'access'), `${what}.access`) };
  const mpb = field(o, 'missing_path_behavior');
  if (mpb === 'skip') out.missingPathBehavior = 'skip';
  else if (mpb !== undefined) throw new WireError(`${what}.missing_path_behavior must be "skip" when present`);
  return out;
}

function entriesFromJson(v: unknown, what: string): FileSystemSandboxEntry[] {
  if (!Array.isArray(v)) throw new WireError(`${what} must be an array`);
  return v.map((e, i) => entryFromJson(e, `${what}[${i}]`));
}

function restrictedFromJson(o: JsonObject, what: string): PermissionProfile & { type: 'managed' } {
  const entries = entriesFromJson(field(o, 'entries') ?? [], `${what}.entries`);
  const depth = field(o, 'glob_scan_max_depth');
  const fileSystem =
    depth === undefined
      ? { type: 'restricted' as const, entries }
      : { type: 'restricted' as const, entries, globScanMaxDepth: checkDepth(depth, `${what}.glob_scan_max_depth`) };
  return { type: 'managed', fileSystem, network: 'restricted' };
}

/** Parses the `--permission-profile` JSON form (also the legacy untagged shape); throws WireError. */
export function permissionProfileFromJson(v: unknown): PermissionProfile {
  if (typeof v === 'string') return permissionProfileFromJson(parseJsonText(v, 'permission profile'));
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new WireError('permission profile must be a JSON object');
  const type = field(v as JsonObject, 'type');
  if (type === undefined) {
    // Legacy untagged shape: {network?: {enabled?: bool}, file_system?: {entries, glob_scan_max_depth?}}.
    const o = obj(v, 'permission profile', ['network', 'file_system']);
    const net = field(o, 'network');
    let enabled = false;
    if (net !== undefined) {
      const n = obj(net, 'permission profile.network', ['enabled']);
      const e = field(n, 'enabled');
      if (e !== undefined && typeof e !== 'boolean') throw new WireError('permission profile.network.enabled must be a boolean');
      enabled = e === true;
    }
    const fsv = field(o, 'file_system');
    const base = restrictedFromJson(fsv === undefined ? {} : obj(fsv, 'permission profile.file_system', ['entries', 'glob_scan_max_depth']), 'permission profile.file_system');
    return { ...base, network: enabled ? 'enabled' : 'restricted' };
  }
  if (type === 'disabled') {
    obj(v, 'permission profile', ['type']);
    return { type };
  }
  if (type === 'external') {
    const o = obj(v, 'permission profile', ['type', 'network']);
    return { type, network: networkFromJson(field(o, 'network') ?? 'restricted', 'permission profile.network') };
  }
  if (type === 'managed') {
    const o = obj(v, 'permission profile', ['type', 'file_system', 'network']);
    const network = networkFromJson(field(o, 'network') ?? 'restricted', 'permission profile.network');
    const fsv = obj(field(o, 'file_system'), 'permission profile.file_system', ['type', 'entries', 'glob_scan_max_depth']);
    const fsType = field(fsv, 'type');
    if (fsType === 'unrestricted') {
      obj(fsv, 'permission profile.file_system', ['type']);
      return { type, fileSystem: { type: 'unrestricted' }, network };
    }
    if (fsType !== 'restricted') throw new WireError('permission profile.file_system.type must be "restricted" or "unrestricted"');
    return { ...restrictedFromJson(fsv, 'permission profile.file_system'), network };
  }
  throw new WireError(`permission profile type must be "managed", "disabled" or "external", got ${JSON.stringify(type) ?? String(type)}`);
}

export function sandboxRequestToJson(req: SandboxRequest): JsonValue {
  validateRequest(req);
  return { profile: permissionProfileToJson(req.profile), cwd: req.cwd, command_cwd: req.commandCwd, workspace_roots: [...req.workspaceRoots] };
}

export function sandboxRequestFromJson(v: unknown): SandboxRequest {
  if (typeof v === 'string') return sandboxRequestFromJson(parseJsonText(v, 'sandbox request'));
  const o = obj(v, 'sandbox request', ['profile', 'cwd', 'command_cwd', 'workspace_roots']);
  const roots = field(o, 'workspace_roots') ?? [];
  if (!Array.isArray(roots)) throw new WireError('sandbox request workspace_roots must be an array of absolute paths');
  const req: SandboxRequest = {
    profile: permissionProfileFromJson(field(o, 'profile') ?? null),
    cwd: checkAbsolute(field(o, 'cwd'), 'sandbox request cwd'),
    commandCwd: checkAbsolute(field(o, 'command_cwd'), 'sandbox request command_cwd'),
    workspaceRoots: roots.map((r, i) => checkAbsolute(r, `sandbox request workspace_roots[${i}]`)),
  };
  return req;
}

/** Whatever is encoded must decode: throws WireError for a request no wire form could carry. */
export function validateRequest(req: SandboxRequest): void {
  // Whatever we encode must decode: run the profile through the same checks as input.
  permissionProfileFromJson(permissionProfileToJson(req.profile));
  checkAbsolute(req.cwd, 'sandbox request cwd');
  checkAbsolute(req.commandCwd, 'sandbox request command_cwd');
  req.workspaceRoots.forEach((r, i) => checkAbsolute(r, `sandbox request workspace_roots[${i}]`));
}
