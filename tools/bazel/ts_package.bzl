"""ts_package(): the standard targets of one TypeScript package under packages/.

  :srcs       the package's sources (and generated sources), for dependants
  :types      (build_typecheck = True) build-time tsc over src/ and everything it imports:
              `types.ok` exists only when it passes, so an output that depends on it
              (//packages/cli:codex) cannot be built from code with a type error
  :typecheck  tsc over src/ and test/ (strict); a type error fails
  :test       jest over test/**/*.test.ts (except the OS-only ones below)
  :<name>     (os_only_tests) jest over the tests whose file name ends with the given suffix, for
              one OS only: elsewhere `bazel test //...` reports the target as not run
  :repo_files the package's hand-written files (manifest, BUILD, README, src/, test/), for the
              repository checks in //tools/ci
"""

load("//tools/bazel:js.bzl", "jest_test", "tsc_test")

_SHARED_CONFIG = [
    "//:package.json",
    "//:tsconfig.base.json",
    "//tools/jest:config",
]

def ts_package(
        deps = [],
        generated_srcs = [],
        test_data = [],
        test_env = {},
        test_env_from_files = {},
        test_tags = [],
        test_size = "medium",
        has_tests = True,
        build_typecheck = False,
        target_compatible_with = None,
        os_only_tests = {}):
    """Declares :srcs, :typecheck and :test for the package this BUILD file belongs to.

    Args:
      deps: other ts packages (e.g. "//packages/policy") whose sources this one imports.
      generated_srcs: labels of generated .ts files that live under src/.
      test_data: runtime inputs of the tests (binaries, digests, executables).
      test_env: environment for the tests; $(rootpath ...) expands, $ws is the runfiles root.
      test_env_from_files: environment variables set to the contents of a runfile.
      test_tags: e.g. ["no-sandbox"] for tests that switch to an unprivileged user.
      test_size: Bazel test size.
      has_tests: False for a package without test/ (no :test target).
      build_typecheck: True for a package whose sources ship in a built output: adds :types, the
        build-time type check that output must depend on (one tsc run covers the package and the
        packages it imports, so only the shipping package needs it; `./dev test` stays fast).
      target_compatible_with: constraint values for :test (e.g. ["@platforms//os:macos"]); on
        other hosts `bazel test //...` reports it as skipped. :typecheck runs everywhere.
      os_only_tests: {name: {"suffix": ".macos.test.ts", "target_compatible_with": [...]}}: a
        separate jest target per entry for the test files ending with `suffix` (they need that
        OS's real facility), compatible with that OS only; :test leaves those files out. Their
        sources are still type-checked by :typecheck on every host.
    """
    pkg = native.package_name()
    dep_srcs = [d + ":srcs" for d in deps]

    # Transitive: a package's :srcs carries the sources of everything it imports.
    native.filegroup(
        name = "srcs",
        srcs = native.glob(
            ["src/**/*.ts", "package.json", "tsconfig.json"],
            # Generated code is made by the build (a locally generated copy must not shadow it).
            exclude = ["src/gen/**"],
        ) + generated_srcs + dep_srcs,
        visibility = ["//visibility:public"],
    )
    test_srcs = native.glob(["test/**"], allow_empty = True)

    # A build action, not a test: `bazel build` fails on a type error in what ships.
    if build_typecheck:
        native.genrule(
            name = "types",
            srcs = [":srcs", "//:tsconfig.base.json", "//:package.json", "//:pnpm-lock.yaml", "@npm//:node_modules"],
            outs = ["types.ok"],
            cmd = " ".join([
                "$(execpath //tools/bazel:typecheck.sh) $@",
                pkg,
                "$(GENDIR)",
                "$(execpath @node//:bin/node)",
                "$(execpath @npm//:node_modules)",
                "$(execpaths :srcs) $(execpath //:tsconfig.base.json) $(execpath //:package.json)",
            ]),
            tools = [
                "//tools/bazel:materialize.sh",
                "//tools/bazel:typecheck.sh",
                "@node//:bin/node",
            ],
            visibility = ["//visibility:public"],
        )
    native.filegroup(
        name = "repo_files",
        srcs = native.glob(["BUILD.bazel", "package.json", "README.md", "src/**", "test/**"], allow_empty = True),
        visibility = ["//visibility:public"],
    )
    compat = {}
    if target_compatible_with != None:
        compat["target_compatible_with"] = target_compatible_with
    tsc_test(
        name = "typecheck",
        size = "small",
        srcs = [":srcs"] + test_srcs + _SHARED_CONFIG,
        tsconfig = pkg + "/tsconfig.json",
    )
    if not has_tests:
        return

    # Jest reads these as regexes over the test file's path (a `.` matching any character is
    # harmless here; a backslash would not survive the launcher's unquoted command line).
    jest_common = dict(
        size = test_size,
        srcs = [":srcs"] + test_srcs + _SHARED_CONFIG,
        data = test_data,
        env = test_env,
        env_from_files = test_env_from_files,
        package_dir = pkg,
        tags = test_tags,
    )
    jest_test(
        name = "test",
        jest_args = ["--testPathIgnorePatterns=" + spec["suffix"] + "$" for spec in os_only_tests.values()],
        **dict(jest_common, **compat)
    )
    for name, spec in os_only_tests.items():
        jest_test(
            name = name,
            jest_args = [spec["suffix"] + "$"],
            target_compatible_with = spec["target_compatible_with"],
            **jest_common
        )
