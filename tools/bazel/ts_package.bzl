"""ts_package(): the standard targets of one TypeScript package under packages/.

  :srcs       the package's sources (and generated sources), for dependants
  :typecheck  tsc over src/ and test/ (strict); a type error fails
  :test       jest over test/**/*.test.ts
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
        test_tags = [],
        test_size = "medium",
        target_compatible_with = None):
    """Declares :srcs, :typecheck and :test for the package this BUILD file belongs to.

    Args:
      deps: other ts packages (e.g. "//packages/policy") whose sources this one imports.
      generated_srcs: labels of generated .ts files that live under src/.
      test_data: runtime inputs of the tests (binaries, digests, executables).
      test_env: environment for the tests; $(rootpath ...) expands, $ws is the runfiles root.
      test_tags: e.g. ["no-sandbox"] for tests that switch to an unprivileged user.
      test_size: Bazel test size.
      target_compatible_with: constraint values; elsewhere the tests are reported as skipped.
    """
    pkg = native.package_name()
    native.filegroup(
        name = "srcs",
        srcs = native.glob(["src/**/*.ts", "package.json", "tsconfig.json"]) + generated_srcs,
        visibility = ["//visibility:public"],
    )
    dep_srcs = [d + ":srcs" for d in deps]
    test_srcs = native.glob(["test/**"], allow_empty = True)
    compat = {}
    if target_compatible_with != None:
        compat["target_compatible_with"] = target_compatible_with
    tsc_test(
        name = "typecheck",
        size = "small",
        srcs = [":srcs"] + dep_srcs + test_srcs + _SHARED_CONFIG,
        tsconfig = pkg + "/tsconfig.json",
    )
    jest_test(
        name = "test",
        size = test_size,
        srcs = [":srcs"] + dep_srcs + test_srcs + _SHARED_CONFIG,
        data = test_data,
        env = test_env,
        package_dir = pkg,
        tags = test_tags,
        **compat
    )
