#!/usr/bin/env bash
# Installs what the build and the tests need on Debian 12, idempotently and quickly the second time:
# Debian packages (with the arm64 cross toolchain and arm64 libraries, through dpkg multiarch),
# pnpm at a pinned version, node_modules from the lockfile, the pinned bubblewrap source tarball
# (verified by SHA-256) for Bazel's --distdir, and the Node.js binaries the release bundles wrap
# (npm packages pinned by version and integrity, see release/node-binaries.txt).
# It never edits the machine's apt sources; the archive's address is read from them.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

PNPM_VERSION="12.21.0"
BWRAP_TARBALL="bubblewrap-0.12.0.tar.xz"
BWRAP_ORIG="pool/main/b/bubblewrap/bubblewrap_0.12.0.orig.tar.xz"
BWRAP_SHA256="9760d007363e3abba7c747489910f9f82d9fca53ba3bd3282e396fa3c97a3314"
APT_PACKAGES=(
  bazel-bootstrap   # Bazel 4.2.3, the only Bazel installable offline here
  build-essential   # cc toolchain for codex-bwrap
  libcap-dev        # codex-bwrap links libcap
  bubblewrap        # the system bwrap the Linux backend prefers
  ripgrep           # deny-read glob expansion
  openssl           # throwaway TLS certificates in end-to-end tests
  protobuf-compiler # protoc for the policy wire schema
  protobuf-c-compiler # protoc-c: C code of the netns helper spec (codex-netns-helper)
  libprotobuf-c-dev   # libprotobuf-c.a, linked statically into codex-netns-helper
  python3           # socket probes in end-to-end tests
  util-linux        # setpriv, script
  procps            # ps/pgrep in process-lifecycle tests
  curl
  xz-utils
  ca-certificates
  gcc-aarch64-linux-gnu  # release: codex-bwrap and our helpers for linux-arm64
  libc6-dev-arm64-cross
)
# arm64 libraries the linux-arm64 release binaries link (dpkg multiarch; the apt sources are not touched).
ARM64_PACKAGES=(
  libcap-dev:arm64          # codex-bwrap links libcap
  libprotobuf-c-dev:arm64   # libprotobuf-c.a, linked statically into codex-netns-helper
)

say() { printf 'setup: %s\n' "$*" >&2; }

as_root() {
  if [[ $EUID -eq 0 ]]; then "$@"; else sudo "$@"; fi
}

install_apt_packages() {
  local missing=()
  local pkg
  for pkg in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  ((${#missing[@]} == 0)) && return 0
  say "installing Debian packages: ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

install_arm64_libraries() {
  local missing=()
  local pkg
  for pkg in "${ARM64_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  ((${#missing[@]} == 0)) && return 0
  say "installing arm64 libraries for the linux-arm64 release: ${missing[*]}"
  if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    as_root dpkg --add-architecture arm64
  fi
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

install_pnpm() {
  if [[ "$(pnpm --version 2>/dev/null || true)" != "$PNPM_VERSION" ]]; then
    say "installing pnpm $PNPM_VERSION"
    as_root npm install -g --no-fund --no-audit "pnpm@$PNPM_VERSION" >/dev/null
  fi
}

install_node_modules() {
  # pnpm compares node_modules with the lockfile itself and returns at once when they agree.
  pnpm install --frozen-lockfile --reporter=silent
}

# The Debian archive base URLs configured on this machine (deb822 .sources and one-line .list).
apt_archive_urls() {
  {
    awk '/^URIs:/ { for (i = 2; i <= NF; i++) print $i }' /etc/apt/sources.list.d/*.sources 2>/dev/null
    awk '$1 == "deb" || $1 == "deb-src" { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; break } }' \
      /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null
  } | grep -v -- '-security' | awk '!seen[$0]++'
}

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

fetch_bubblewrap_source() {
  local dest="third_party/distdir/$BWRAP_TARBALL"
  if [[ -f "$dest" && "$(sha256_of "$dest")" == "$BWRAP_SHA256" ]]; then
    return 0
  fi
  mkdir -p third_party/distdir
  local tmp url
  tmp="$(mktemp "third_party/distdir/.download.XXXXXX")"
  for url in $(apt_archive_urls); do
    say "fetching bubblewrap 0.12.0 source from the configured Debian archive"
    if curl -fsSL --retry 2 -o "$tmp" "${url%/}/$BWRAP_ORIG" && [[ "$(sha256_of "$tmp")" == "$BWRAP_SHA256" ]]; then
      mv "$tmp" "$dest"
      return 0
    fi
  done
  rm -f "$tmp"
  say "could not fetch $BWRAP_TARBALL with SHA-256 $BWRAP_SHA256 from any configured Debian archive"
  return 1
}

# The Node.js binaries the release bundles wrap: each line of release/node-binaries.txt is
# "platform npm-package version sha512-integrity"; the package tarball lands in
# third_party/distdir/node/ and is checked against the integrity digest (npm's own format).
fetch_node_binaries() {
  local dir="third_party/distdir/node"
  mkdir -p "$dir"
  local platform package version integrity file actual
  while read -r platform package version integrity; do
    [[ -z "$platform" || "$platform" == \#* ]] && continue
    file="$dir/$package-$version.tgz"
    if [[ ! -f "$file" ]]; then
      say "fetching $package@$version (the Node.js of the $platform release bundle)"
      (cd "$dir" && npm pack --silent "$package@$version" >/dev/null)
    fi
    actual="sha512-$(openssl dgst -sha512 -binary "$file" | base64 -w0)"
    if [[ "$actual" != "$integrity" ]]; then
      rm -f "$file"
      say "$package@$version: integrity $actual is not the pinned $integrity"
      return 1
    fi
  done <release/node-binaries.txt
}

install_apt_packages
install_arm64_libraries
install_pnpm
install_node_modules
fetch_bubblewrap_source
fetch_node_binaries
