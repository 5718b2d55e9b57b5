// Owns what a release bundle contains and how its files are named, per platform: the front end,
// the SEA, the resources, the licence files and SHA256SUMS, and the archive's name. Pure: no I/O.
// Must NOT build anything (make-bundle.mjs does) or decide licence texts (notice.mjs).

/** The platforms a release is built for, in the order releases list them. */
export const PLATFORMS = ['linux-x64', 'linux-arm64', 'darwin-x64', 'darwin-arm64', 'win32-x64'];

/** Resource files a Linux bundle carries in codex-resources/, besides the SEA. */
export const LINUX_RESOURCES = ['bwrap', 'codex-netns-helper', 'codex-landlock-helper', 'codex-proxy-relay', 'codex-mask-helper'];

/** The postject fuse every Node 20 SEA binary carries; postject flips its last byte to 1. */
export const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

/** Splits "linux-x64" into its OS and architecture; throws for a platform not in PLATFORMS. */
export function parsePlatform(platform) {
  if (!PLATFORMS.includes(platform)) {
    throw new Error(`unknown platform ${JSON.stringify(platform)}; expected one of ${PLATFORMS.join(', ')}`);
  }
  const [os, arch] = platform.split('-');
  return { os, arch };
}

/** The bundle's top-level directory (and archive stem): codex-sandbox-<version>-<platform>. */
export function bundleName(version, platform) {
  if (!/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/.test(version)) throw new Error(`version ${JSON.stringify(version)} is not semver`);
  parsePlatform(platform);
  return `codex-sandbox-${version}-${platform}`;
}

/**
 * Where each part goes, relative to the bundle directory. On Windows the SEA is the front end
 * (codex.exe); elsewhere the front end is the sh launcher and the SEA sits in codex-resources.
 */
export function bundleLayout(platform) {
  const { os } = parsePlatform(platform);
  const windows = os === 'win32';
  return {
    frontEnd: windows ? 'codex.exe' : 'codex',
    sea: windows ? 'codex.exe' : 'codex-resources/codex-sea',
    launcher: windows ? undefined : 'codex',
    resources: os === 'linux' ? LINUX_RESOURCES.map((name) => `codex-resources/${name}`) : [],
    // Mach-O needs the segment postject puts the blob in; ELF and PE take a note / a resource.
    machoSegment: os === 'darwin' ? 'NODE_SEA' : undefined,
  };
}

/**
 * SHA256SUMS as `sha256sum -c` reads it: "<hex>  <path>" lines sorted by path (byte order),
 * paths relative to the bundle directory, SHA256SUMS itself left out.
 */
export function sha256sumsText(entries) {
  const sorted = [...entries].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  for (const { path, sha256 } of sorted) {
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw new Error(`${path}: not a SHA-256 digest: ${sha256}`);
    if (path === 'SHA256SUMS' || path.startsWith('/') || path.split('/').includes('..') || /[\n\\]/.test(path)) {
      throw new Error(`${JSON.stringify(path)} cannot be listed in SHA256SUMS`);
    }
  }
  return sorted.map(({ path, sha256 }) => `${sha256}  ${path}\n`).join('');
}

/**
 * The SEA's main script: the prologue, then the program in a function of its own (its own
 * "use strict" directive applies to it alone, as in the sh/JS executable's CommonJS wrapper).
 */
export function seaMainScript(prologue, program) {
  return `${prologue}\n;(function () {\n${program}\n}).call(this);\n`;
}
