// Owns policy -> Seatbelt: the pure function from a Seatbelt input (the resolved policy with its
// paths already spelled as the host has them, host-paths.ts) to the SBPL text and its `-D`
// parameters, section by section in M3's order. Must NOT touch the filesystem, the environment or
// any process, and must NOT put a path into the text except inside an escaped regex (sbpl-regex.ts).
import { ParamList, protectedAncestorDeny, renderAccessRoot, renderAccessSection, rootUnlinkDeny, type AccessRoot, type ExcludedPath } from './access-roots.js';
import { BASE_POLICY, PREFERENCES, platformDefaults, type SeatbeltProfileKind } from './fixed-sections.js';
import { renderNetworkSection, type SeatbeltNetwork } from './network-section.js';
import { globAncestors, globToRegex } from './sbpl-regex.js';

export interface SeatbeltWritableRoot {
  /** Normalised (top-level alias resolved, no symlink below it). */
  root: string;
  /** `literal`: an existing non-directory. */
  filter: 'subpath' | 'literal';
  /** Read-only carve-outs, each with its canonical spelling when that differs. */
  excluded: readonly ExcludedPath[];
  protectedMetadataNames: readonly string[];
}

export interface SeatbeltInput {
  /** Default `process` (M2). */
  profile?: SeatbeltProfileKind;
  fullDiskRead: boolean;
  fullDiskWrite: boolean;
  includePlatformDefaults: boolean;
  /** Canonical readable roots (ignored with full-disk read). */
  readableRoots: readonly string[];
  /** Denied paths, each spelling that must be excluded (lexical and canonical). */
  unreadableRoots: readonly string[];
  writableRoots: readonly SeatbeltWritableRoot[];
  /** Directories that must not be renamed (M7), sorted. */
  protectedAncestors: readonly string[];
  /** Deny globs, absolute, each also in its canonical-prefix variant. */
  denyGlobs: readonly string[];
  network: SeatbeltNetwork;
}

export interface SeatbeltPolicy {
  /** The SBPL text given to `sandbox-exec -p`. */
  text: string;
  /** `-DKEY=VALUE` definitions, in M1's order. */
  params: ReadonlyArray<readonly [string, string]>;
}

function within(p: string, root: string): boolean {
  return root === '/' ? p.startsWith('/') : p === root || p.startsWith(`${root}/`);
}

/** Unreadable paths beneath `root` (not the root itself), deduplicated. */
function exclusionsUnder(root: string, unreadable: readonly string[]): ExcludedPath[] {
  return [...new Set(unreadable.filter((u) => u !== root && within(u, root)))].map((path) => ({ path }));
}

/** M5. */
function readSection(input: SeatbeltInput, params: ParamList): string {
  if (input.fullDiskRead && input.unreadableRoots.length === 0) return '; allow read-only file operations\n(allow file-read*)';
  const roots: AccessRoot[] = input.fullDiskRead
    ? [{ path: '/', filter: 'subpath', excluded: exclusionsUnder('/', input.unreadableRoots), protectedNames: [] }]
    : input.readableRoots.map((path) => ({ path, filter: 'subpath', excluded: exclusionsUnder(path, input.unreadableRoots), protectedNames: [] }));
  return renderAccessSection('file-read*', roots.map((root, i) => renderAccessRoot(root, `READABLE_ROOT_${i}`, params)));
}

/** M6. */
function writeSection(input: SeatbeltInput, params: ParamList): string {
  if (input.fullDiskWrite && input.unreadableRoots.length === 0) return '(allow file-write* (regex #"^/"))';
  const roots: AccessRoot[] = input.fullDiskWrite
    ? [{ path: '/', filter: 'subpath', excluded: exclusionsUnder('/', input.unreadableRoots), protectedNames: [] }]
    : input.writableRoots.map((w) => ({ path: w.root, filter: w.filter, excluded: w.excluded, protectedNames: w.protectedMetadataNames }));
  const keys = roots.map((_, i) => `WRITABLE_ROOT_${i}`);
  const section = renderAccessSection('file-write*', roots.map((root, i) => renderAccessRoot(root, keys[i] as string, params)));
  if (section === '') return '';
  return [section, ...keys.map(rootUnlinkDeny)].join('\n');
}

/** M3: the platform defaults, with every denied path excluded (it comes after the read section). */
function platformSection(input: SeatbeltInput, params: ParamList): string {
  const exclusions = [...new Set(input.unreadableRoots)].flatMap((path, j) => {
    const ref = params.define(`PLATFORM_DEFAULTS_EXCLUDED_${j}`, path);
    return [`(require-not (literal ${ref}))`, `(require-not (subpath ${ref}))`];
  });
  return platformDefaults(input.profile ?? 'process', exclusions);
}

/** M8: reads and writes of a match (and below it) are denied; no ancestor directory can be renamed. */
function denyGlobSection(globs: readonly string[]): string {
  const lines: string[] = [];
  for (const pattern of [...new Set(globs)]) {
    const regex = globToRegex(pattern);
    lines.push(`(deny file-read* (regex #"${regex}"))`, `(deny file-write* (regex #"${regex}"))`);
    for (const ancestor of globAncestors(pattern)) {
      lines.push(`(deny file-write-unlink (require-all (vnode-type DIRECTORY) (regex #"${globToRegex(ancestor, { exact: true })}")))`);
    }
  }
  return lines.join('\n');
}

/** The whole policy (M3): base, read, write, network, preferences, platform defaults, deny globs, protected ancestors. */
export function buildSeatbeltPolicy(input: SeatbeltInput): SeatbeltPolicy {
  const readParams = new ParamList();
  const writeParams = new ParamList();
  const ancestorParams = new ParamList();
  const socketParams = new ParamList();
  const read = readSection(input, readParams);
  const platform = input.includePlatformDefaults && !input.fullDiskRead ? platformSection(input, readParams) : '';
  const write = writeSection(input, writeParams);
  const ancestors = [...new Set(input.protectedAncestors)]
    .sort()
    .map((dir, k) => protectedAncestorDeny(ancestorParams.define(`PROTECTED_ANCESTOR_${k}`, dir)));
  const network = renderNetworkSection(input.network, socketParams);
  const sections = [
    BASE_POLICY,
    read,
    write,
    network,
    input.fullDiskRead ? PREFERENCES : '',
    platform,
    denyGlobSection(input.denyGlobs),
    // Last, so nothing after it re-allows the renames.
    ancestors.join('\n'),
  ];
  return {
    text: `${sections.join('\n')}\n`,
    params: [...readParams.list(), ...writeParams.list(), ...ancestorParams.list(), ...socketParams.list()],
  };
}
