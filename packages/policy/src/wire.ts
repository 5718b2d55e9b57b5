// The protobuf binary form of a SandboxRequest for a sandbox helper process (messages generated
// from proto/permission_profile.proto into src/gen/ at build time). Decoding validates strictly
// and throws WireError. Must NOT make policy decisions or touch the filesystem.
import { WireError } from './errors.js';
import * as pb from './gen/permission_profile.js';
import type { FileSystemAccessMode, FileSystemPath, FileSystemSandboxEntry, FileSystemSpecialPath, NetworkSandboxPolicy, PermissionProfile } from './types.js';
import { checkAbsolute, checkDepth, checkNonEmpty, checkSubpath, MAX_UINT32, SPECIAL_KINDS, type SandboxRequest } from './wire-checks.js';
import { validateRequest } from './wire-json.js';


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
