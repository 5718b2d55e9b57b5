// Serialises a SandboxRequest / PermissionProfile for a sandbox helper process: protobuf binary
// (messages generated from proto/permission_profile.proto into src/gen/ at build time) and the
// snake_case JSON form used by `--permission-profile`. Decoding validates strictly and throws
// WireError. Must NOT make policy decisions or touch the filesystem.
import { WireError } from './errors.js';
import { isDescendantSubpath } from './paths.js';
import * as pb from './gen/permission_profile.js';
import type {
  FileSystemAccessMode,
  FileSystemPath,
  FileSystemSandboxEntry,
  FileSystemSpecialPath,
  NetworkSandboxPolicy,
  PermissionProfile,
} from './types.js';

export interface SandboxRequest {
  profile: PermissionProfile;
  /** Absolute directory the policy is resolved against. */
  cwd: string;
  /** Absolute logical working directory of the command. */
  commandCwd: string;
  /** Absolute workspace roots. */
  workspaceRoots: string[];
}

const SPECIAL_KINDS = ['root', 'minimal', 'workspace_roots', 'tmpdir', 'slash_tmp', 'unknown'] as const;
const MAX_UINT32 = 0xffffffff;

// ---------------------------------------------------------------------------------------------
// Shared validation

/** Strings must survive UTF-8 (protobuf, argv): no NUL, no lone surrogates. */
function isTransportable(s: string): boolean {
  return !s.includes('\0') && !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);
}

function checkAbsolute(p: unknown, what: string): string {
  if (typeof p !== 'string' || !p.startsWith('/') || !isTransportable(p)) {
    throw new WireError(`${what} must be an absolute path string (valid UTF-8, no NUL bytes), got ${JSON.stringify(p) ?? String(p)}`);
  }
  return p;
}

function checkSubpath(s: unknown, what: string): string {
  if (typeof s !== 'string' || !isDescendantSubpath(s) || !isTransportable(s)) {
    throw new WireError(`${what} must be a descendant path without \`.\` or \`..\` components, got ${JSON.stringify(s) ?? String(s)}`);
  }
  return s;
}

function checkDepth(d: unknown, what: string): number {
  if (typeof d !== 'number' || !Number.isInteger(d) || d < 1 || d > MAX_UINT32) {
    throw new WireError(`${what} must be an integer from 1 to ${MAX_UINT32}, got ${JSON.stringify(d) ?? String(d)}`);
  }
  return d;
}

function checkNonEmpty(s: unknown, what: string): string {
  if (typeof s !== 'string' || s.length === 0 || !isTransportable(s)) {
    throw new WireError(`${what} must be a non-empty string (valid UTF-8, no NUL bytes)`);
  }
  return s;
}

// ---------------------------------------------------------------------------------------------
// Protobuf

function networkToPb(n: NetworkSandboxPolicy): pb.NetworkSandboxPolicy {
  return n === 'enabled' ? pb.NetworkSandboxPolicy.NETWORK_SANDBOX_POLICY_ENABLED : pb.NetworkSandboxPolicy.NETWORK_SANDBOX_POLICY_RESTRICTED;
}

function networkFromPb(n: pb.NetworkSandboxPolicy, what: string): NetworkSandboxPolicy {
  if (n === pb.NetworkSandboxPolicy.NETWORK_SANDBOX_POLICY_ENABLED) return 'enabled';
  if (n === pb.NetworkSandboxPolicy.NETWORK_SANDBOX_POLICY_RESTRICTED) return 'restricted';
  throw new WireError(`${what}: network must be RESTRICTED or ENABLED, got enum value ${n}`);
}

const ACCESS_TO_PB: Record<FileSystemAccessMode, pb.FileSystemAccessMode> = {
  read: pb.FileSystemAccessMode.FILE_SYSTEM_ACCESS_MODE_READ,
  write: pb.FileSystemAccessMode.FILE_SYSTEM_ACCESS_MODE_WRITE,
  deny: pb.FileSystemAccessMode.FILE_SYSTEM_ACCESS_MODE_DENY,
};

const SPECIAL_TO_PB: Record<FileSystemSpecialPath['kind'], pb.FileSystemSpecialKind> = {
  root: pb.FileSystemSpecialKind.FILE_SYSTEM_SPECIAL_KIND_ROOT,
  minimal: pb.FileSystemSpecialKind.FILE_SYSTEM_SPECIAL_KIND_MINIMAL,
  workspace_roots: pb.FileSystemSpecialKind.FILE_SYSTEM_SPECIAL_KIND_WORKSPACE_ROOTS,
  tmpdir: pb.FileSystemSpecialKind.FILE_SYSTEM_SPECIAL_KIND_TMPDIR,
  slash_tmp: pb.FileSystemSpecialKind.FILE_SYSTEM_SPECIAL_KIND_SLASH_TMP,
  unknown: pb.FileSystemSpecialKind.FILE_SYSTEM_SPECIAL_KIND_UNKNOWN,
};

function pathToPb(p: FileSystemPath): pb.FileSystemPath {
  if (p.type === 'path') return { path: p.path };
  if (p.type === 'glob_pattern') return { globPattern: p.pattern };
  const v = p.value;
  const special: pb.FileSystemSpecialPath = { kind: SPECIAL_TO_PB[v.kind], unknownPath: v.kind === 'unknown' ? v.path : '' };
  if ((v.kind === 'workspace_roots' || v.kind === 'unknown') && v.subpath !== undefined) special.subpath = v.subpath;
  return { special };
}

function entryToPb(e: FileSystemSandboxEntry): pb.FileSystemSandboxEntry {
  return {
    path: pathToPb(e.path),
    access: ACCESS_TO_PB[e.access],
    missingPathBehavior:
      e.missingPathBehavior === 'skip' ? pb.MissingPathBehavior.MISSING_PATH_BEHAVIOR_SKIP : pb.MissingPathBehavior.MISSING_PATH_BEHAVIOR_UNSPECIFIED,
  };
}

function permissionProfileToPb(p: PermissionProfile): pb.PermissionProfile {
  if (p.type === 'disabled') return { disabled: {} };
  if (p.type === 'external') return { external: { network: networkToPb(p.network) } };
  const fileSystem: pb.ManagedFileSystem =
    p.fileSystem.type === 'unrestricted'
      ? { unrestricted: {} }
      : {
          restricted: {
            entries: p.fileSystem.entries.map(entryToPb),
            ...(p.fileSystem.globScanMaxDepth !== undefined ? { globScanMaxDepth: p.fileSystem.globScanMaxDepth } : {}),
          },
        };
  return { managed: { fileSystem, network: networkToPb(p.network) } };
}

function exactlyOne(what: string, fields: Record<string, unknown>): string {
  const set = Object.keys(fields).filter((k) => fields[k] !== undefined);
  if (set.length !== 1) throw new WireError(`${what} must set exactly one of ${Object.keys(fields).join(', ')}; got ${set.length === 0 ? 'none' : set.join(', ')}`);
  return set[0] as string;
}

function specialFromPb(s: pb.FileSystemSpecialPath, what: string): FileSystemSpecialPath {
  const kind = (Object.keys(SPECIAL_TO_PB) as FileSystemSpecialPath['kind'][]).find((k) => SPECIAL_TO_PB[k] === s.kind);
  if (kind === undefined) throw new WireError(`${what}: unknown special path kind ${s.kind}; allowed: ${SPECIAL_KINDS.join(', ')}`);
  if (kind !== 'workspace_roots' && kind !== 'unknown' && s.subpath !== undefined) throw new WireError(`${what}: \`${kind}\` does not take a subpath`);
  if (kind !== 'unknown' && s.unknownPath !== '') throw new WireError(`${what}: only \`unknown\` carries a path token`);
  if (kind === 'workspace_roots') return s.subpath === undefined ? { kind } : { kind, subpath: checkSubpath(s.subpath, `${what}.subpath`) };
  if (kind === 'unknown') {
    const path = checkNonEmpty(s.unknownPath, `${what}.unknown_path`);
    return s.subpath === undefined ? { kind, path } : { kind, path, subpath: checkSubpath(s.subpath, `${what}.subpath`) };
  }
  return { kind };
}

function entryFromPb(e: pb.FileSystemSandboxEntry, what: string): FileSystemSandboxEntry {
  if (e.path === undefined) throw new WireError(`${what}: path is missing`);
  const which = exactlyOne(`${what}.path`, { path: e.path.path, glob_pattern: e.path.globPattern, special: e.path.special });
  let p: FileSystemPath;
  if (which === 'path') p = { type: 'path', path: checkAbsolute(e.path.path, `${what}.path`) };
  else if (which === 'glob_pattern') p = { type: 'glob_pattern', pattern: checkNonEmpty(e.path.globPattern, `${what}.glob_pattern`) };
  else p = { type: 'special', value: specialFromPb(e.path.special as pb.FileSystemSpecialPath, `${what}.special`) };
  const access = (Object.keys(ACCESS_TO_PB) as FileSystemAccessMode[]).find((k) => ACCESS_TO_PB[k] === e.access);
  if (access === undefined) throw new WireError(`${what}: access must be READ, WRITE or DENY, got enum value ${e.access}`);
  const out: FileSystemSandboxEntry = { path: p, access };
  if (e.missingPathBehavior === pb.MissingPathBehavior.MISSING_PATH_BEHAVIOR_SKIP) out.missingPathBehavior = 'skip';
  else if (e.missingPathBehavior !== pb.MissingPathBehavior.MISSING_PATH_BEHAVIOR_UNSPECIFIED) {
    throw new WireError(`${what}: unknown missing_path_behavior enum value ${e.missingPathBehavior}`);
  }
  return out;
}

function permissionProfileFromPb(m: pb.PermissionProfile): PermissionProfile {
  const which = exactlyOne('profile', { managed: m.managed, disabled: m.disabled, external: m.external });
  if (which === 'disabled') return { type: 'disabled' };
  if (which === 'external') return { type: 'external', network: networkFromPb((m.external as pb.ExternalProfile).network, 'profile.external') };
  const managed = m.managed as pb.ManagedProfile;
  if (managed.fileSystem === undefined) throw new WireError('profile.managed: file_system is missing');
  const fsWhich = exactlyOne('profile.managed.file_system', { restricted: managed.fileSystem.restricted, unrestricted: managed.fileSystem.unrestricted });
  const network = networkFromPb(managed.network, 'profile.managed');
  if (fsWhich === 'unrestricted') return { type: 'managed', fileSystem: { type: 'unrestricted' }, network };
  const r = managed.fileSystem.restricted as pb.RestrictedFileSystem;
  const entries = r.entries.map((e, i) => entryFromPb(e, `profile.managed.file_system.restricted.entries[${i}]`));
  const fileSystem =
    r.globScanMaxDepth === undefined
      ? { type: 'restricted' as const, entries }
      : { type: 'restricted' as const, entries, globScanMaxDepth: checkDepth(r.globScanMaxDepth, 'glob_scan_max_depth') };
  return { type: 'managed', fileSystem, network };
}

export function encodeSandboxRequest(req: SandboxRequest): Uint8Array {
  validateRequest(req);
  return pb.SandboxRequest.encode({
    profile: permissionProfileToPb(req.profile),
    cwd: req.cwd,
    commandCwd: req.commandCwd,
    workspaceRoots: [...req.workspaceRoots],
  }).finish();
}

export function decodeSandboxRequest(bytes: Uint8Array): SandboxRequest {
  let m: pb.SandboxRequest;
  try {
    m = pb.SandboxRequest.decode(bytes);
  } catch (e) {
    throw new WireError(`invalid sandbox request protobuf: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (m.profile === undefined) throw new WireError('sandbox request: profile is missing');
  const req: SandboxRequest = {
    profile: permissionProfileFromPb(m.profile),
    cwd: m.cwd,
    commandCwd: m.commandCwd,
    workspaceRoots: m.workspaceRoots,
  };
  validateRequest(req);
  return req;
}

function validateRequest(req: SandboxRequest): void {
  // Whatever we encode must decode: run the profile through the same checks as input.
  permissionProfileFromJson(permissionProfileToJson(req.profile));
  checkAbsolute(req.cwd, 'sandbox request cwd');
  checkAbsolute(req.commandCwd, 'sandbox request command_cwd');
  req.workspaceRoots.forEach((r, i) => checkAbsolute(r, `sandbox request workspace_roots[${i}]`));
}

// ---------------------------------------------------------------------------------------------
// JSON (snake_case, tagged on `type`; `none` accepted as `deny` on input)

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
  if (typeof v === 'string') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(v);
    } catch (e) {
      throw new WireError(`invalid permission profile JSON: ${e instanceof Error ? e.message : String(e)}`);
    }
    return permissionProfileFromJson(parsed);
  }
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
  if (typeof v === 'string') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(v);
    } catch (e) {
      throw new WireError(`invalid sandbox request JSON: ${e instanceof Error ? e.message : String(e)}`);
    }
    return sandboxRequestFromJson(parsed);
  }
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
