"""Repository rules: Node.js from PATH, and the workspace's pnpm-installed node_modules.

Nothing here downloads. rules_js and rules_nodejs cannot be fetched offline (and rules_js needs a
newer Bazel), so the build uses the machine's node and the node_modules that `pnpm install` made.
"""

def _node_repository_impl(rctx):
    node = rctx.which("node")
    if node == None:
        fail("node was not found on PATH; run tools/setup.sh (Node.js 20 or newer is required)")
    rctx.symlink(node, "bin/node")
    rctx.file("BUILD.bazel", """\
package(default_visibility = ["//visibility:public"])

exports_files(["bin/node"])
""")

node_repository = repository_rule(
    implementation = _node_repository_impl,
    environ = ["PATH"],
    local = True,
    doc = "Exposes the node binary found on PATH as @<name>//:bin/node.",
)

def _node_modules_repository_impl(rctx):
    # Reading the lockfile's path makes the lockfile an input of this repository: a lockfile
    # change re-creates it.
    lockfile = rctx.path(rctx.attr.lockfile)
    node_modules = lockfile.dirname.get_child("node_modules")
    if not node_modules.exists:
        fail("%s does not exist; run tools/setup.sh (it runs pnpm install from the lockfile)" % node_modules)
    rctx.symlink(node_modules, "node_modules")
    rctx.file("BUILD.bazel", """\
package(default_visibility = ["//visibility:public"])

# One directory input instead of thousands of files: Bazel sets up sandboxes far faster. Actions
# that read it also take the lockfile as an input so that a dependency change re-runs them.
exports_files(["node_modules"])
""")

node_modules_repository = repository_rule(
    implementation = _node_modules_repository_impl,
    attrs = {
        "lockfile": attr.label(mandatory = True, allow_single_file = True),
    },
    doc = "Exposes <workspace>/node_modules as the directory artifact @<name>//:node_modules.",
)
