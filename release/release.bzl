"""Macros of the release package: the program bundle (once per set of embedded digests) and one
platform's bundle. The platform table itself is in release/BUILD.bazel.

  release_program(name, digests)  ->  :<name>.js, :<name>.inputs.txt
  release_bundle(name, ...)       ->  :<name> (codex-sandbox-<version>-<name>.tar.gz)
"""

def release_program(name, digests = {}):
    """The program (packages/cli/src/main.ts) as one esbuild bundle, with the given digests embedded.

    Args:
      name: target name; outputs <name>.js and <name>.inputs.txt (the bundle's input files).
      digests: {build-executable.mjs flag without "--": label of a file holding the hex digest}.
    """
    native.genrule(
        name = name,
        srcs = [
            "//packages/cli:srcs",
            # No release from code with a type error (as //packages/cli:codex).
            "//packages/cli:types",
            "//packages/cli:scripts/build-executable.mjs",
            "//:tsconfig.base.json",
            "//:package.json",
            "//:pnpm-lock.yaml",
            "@npm//:node_modules",
        ] + digests.values(),
        outs = [name + ".js", name + ".inputs.txt"],
        # esbuild resolves symlinks, so it bundles from a real copy (as //packages/cli:codex_release).
        cmd = " && ".join([
            "tree=$$(mktemp -d)/tree",
            "$(execpath //tools/bazel:materialize.sh) $$tree $(GENDIR) $(execpaths //packages/cli:srcs) $(execpath //:tsconfig.base.json)",
            "$(execpath @node//:bin/node) $(execpath //packages/cli:scripts/build-executable.mjs)" +
            " --entry $$tree/packages/cli/src/main.ts --tsconfig $$tree/tsconfig.base.json" +
            " --bundle-out $(execpath %s.js) --bundle-inputs-out $(execpath %s.inputs.txt)" % (name, name) +
            "".join([" --%s $$(cat $(execpath %s))" % (flag, label) for flag, label in digests.items()]) +
            " --node-modules $$PWD/$(execpath @npm//:node_modules)",
            "rm -rf $$(dirname $$tree)",
        ]),
        tools = [
            "//tools/bazel:materialize.sh",
            "@node//:bin/node",
        ],
    )

def _expand(expand, label):
    return "$(%s %s)" % (expand, label)

def _bundle_inputs(name, version, program, node, node_version, generator, node_license, code_cache, resources, linux, expand):
    """The inputs and the make-bundle.mjs arguments of one bundle; `expand` is "execpath" (the
    build) or "rootpath" (the reproducibility test, which runs the same step again)."""
    srcs = [
        program + ".js",
        program + ".inputs.txt",
        "scripts/sea-prologue.cjs",
        "scripts/launcher.sh",
        "scripts/layout.mjs",
        "scripts/notice.mjs",
        "scripts/make-bundle.mjs",
        node,
        node_version,
        node_license,
        "//:pnpm-lock.yaml",
        "@npm//:node_modules",
    ] + resources.values()
    if generator != node:
        srcs.append(generator)
    args = [
        "--platform",
        name,
        "--version",
        version,
        "--program",
        _expand(expand, program + ".js"),
        "--bundle-inputs",
        _expand(expand, program + ".inputs.txt"),
        "--prologue",
        _expand(expand, "scripts/sea-prologue.cjs"),
        "--launcher",
        _expand(expand, "scripts/launcher.sh"),
        "--node",
        _expand(expand, node),
        "--node-version",
        _expand(expand, node_version),
        "--generator",
        _expand(expand, generator),
        "--node-license",
        _expand(expand, node_license),
        "--code-cache",
        "yes" if code_cache else "no",
        "--postject",
        _expand(expand, "@npm//:node_modules") + "/postject/dist/api.js",
        "--node-modules",
        _expand(expand, "@npm//:node_modules"),
        # Standard licence texts for a package that ships none (base-files, on every Debian).
        "--common-licenses",
        "/usr/share/common-licenses",
    ]
    for file, label in resources.items():
        args += ["--resource", "%s=%s" % (file, _expand(expand, label))]
    if linux:
        srcs.append("@bubblewrap//:COPYING")
        args += ["--bwrap-copying", _expand(expand, "@bubblewrap//:COPYING")]
        # Debian's copyright file of the library codex-netns-helper links statically (set-up installs it).
        args += ["--protobuf-c-copyright", "/usr/share/doc/libprotobuf-c-dev/copyright"]
    return srcs, args

def release_bundle(name, version, program, node, node_version, generator, node_license, code_cache = False, resources = {}, linux = False, tags = [], reproducible_test_tags = []):
    """One platform's release archive, codex-sandbox-<version>-<name>.tar.gz, and its test
    :<name>_reproducible_test (the bundle step run twice more from scratch: the same bytes).

    Args:
      name: the platform (linux-x64, ...); also the target name.
      version: the release version.
      program: the release_program() target whose bundle this SEA holds.
      node: the target Node binary.
      node_version: file with its version.
      generator: a linux-x64 Node of the same version (writes the SEA blob).
      node_license: Node's LICENSE for that version.
      code_cache: embed a V8 code cache (only when generator is the target itself).
      resources: {codex-resources file name: label}.
      linux: a Linux bundle (bubblewrap's and protobuf-c's licences).
      tags: of the bundle, e.g. ["manual"].
      reproducible_test_tags: of the reproducibility test.
    """
    out = "codex-sandbox-%s-%s.tar.gz" % (version, name)
    common = (name, version, program, node, node_version, generator, node_license, code_cache, resources, linux)
    srcs, build_args = _bundle_inputs(*(common + ("execpath",)))
    native.genrule(
        name = name,
        srcs = srcs,
        outs = [out],
        cmd = "$(execpath @node//:bin/node) $(execpath scripts/make-bundle.mjs) " + " ".join(build_args) + " --out $@",
        tools = ["@node//:bin/node"],
        tags = tags,
    )
    # The npm package carrying this bundle (@codex-sandbox/cli-<name>).
    native.genrule(
        name = "npm-" + name,
        srcs = [":" + name, "scripts/make-npm.mjs", "scripts/layout.mjs"],
        outs = ["npm/codex-sandbox-cli-%s-%s.tgz" % (name, version)],
        cmd = "$(execpath @node//:bin/node) $(execpath scripts/make-npm.mjs) platform --version %s --platform %s --archive $(execpath :%s) --out $@" % (version, name, name),
        tools = ["@node//:bin/node"],
        tags = tags,
    )
    native.sh_test(
        name = name + "_structure_test",
        size = "small",
        srcs = ["test/run_node.sh"],
        args = [
            "$(rootpath @node//:bin/node)",
            "$(rootpath test/structure_test.mjs)",
            "$(rootpath :%s)" % name,
            name,
            "$(rootpath %s)" % node_version,
            "$(rootpath %s)" % node,
        ],
        data = [":" + name, "test/structure_test.mjs", "scripts/layout.mjs", node, node_version, "@node//:bin/node"],
        tags = tags,
    )
    _, test_args = _bundle_inputs(*(common + ("rootpath",)))
    native.sh_test(
        name = name + "_reproducible_test",
        size = "large",
        srcs = ["test/reproducible_test.sh"],
        args = ["$(rootpath @node//:bin/node)", "$(rootpath scripts/make-bundle.mjs)", "$(rootpath :%s)" % name] + test_args,
        data = srcs + [":" + name, "@node//:bin/node"],
        tags = reproducible_test_tags,
    )
