"""linux_arm64_c_binary(): a C program built for linux-arm64 with Debian's cross compiler.

Bazel 4.2.3's C++ rules know only the host toolchain here, so the release's arm64 binaries are a
genrule calling `aarch64-linux-gnu-gcc` (tools/setup.sh installs it, with the arm64 libraries
through dpkg multiarch) on the same sources and flags as the host cc_binary. The output is
reproducible: no debug info, no build paths, a build id derived from the contents.
Must NOT be used for anything that runs at build or test time on this machine.
"""

AARCH64_CC = "aarch64-linux-gnu-gcc"

# Release flags of every cross-built binary (the host binaries get Bazel's own).
_RELEASE_FLAGS = [
    "-O2",
    "-g0",
    "-ffile-prefix-map=$$PWD/=",
    "-Wl,--build-id=sha1",
]

def linux_arm64_c_binary(name, srcs, out, copts = [], linkopts = [], include_dirs_of = [], visibility = None):
    """A genrule `name` whose output `out` is the arm64 build of `srcs`.

    Args:
      name: target name.
      srcs: C sources and headers (labels); the .c ones are compiled.
      out: output path in this package.
      copts: compiler flags (the host cc_binary's).
      linkopts: linker flags (the host cc_binary's).
      include_dirs_of: labels of generated headers whose directory goes on the include path.
      visibility: of the genrule.
    """
    c_files = [s for s in srcs if s.endswith(".c") or s.endswith("_pb_c")]
    native.genrule(
        name = name,
        srcs = srcs + include_dirs_of,
        outs = [out],
        visibility = visibility,
        cmd = " ".join(
            [AARCH64_CC] + _RELEASE_FLAGS + copts +
            ["-I.", "-I$(GENDIR)"] +
            ["-I$$(dirname $$(echo $(locations %s) | cut -d' ' -f1))" % h for h in include_dirs_of] +
            ["$$(for f in $(locations %s); do case $$f in *.c) echo $$f;; esac; done)" % s for s in c_files] +
            ["-o $@"] + linkopts +
            ["&& chmod 0755 $@"],
        ),
    )
