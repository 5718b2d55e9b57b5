// Table tests of the release's pure decisions: platforms, names, layouts, SHA256SUMS, the bundled
// package list and the licence files. Prints "ok - " / "FAIL - " lines (tools/ci counts them).
import { PLATFORMS, bundleLayout, bundleName, parsePlatform, seaMainScript, sha256sumsText } from '../scripts/layout.mjs';
import { bundledPackageNames, licenseText, noticeText } from '../scripts/notice.mjs';

let failures = 0;
function check(name, fn) {
  let ok = false;
  try {
    ok = fn() === true;
  } catch {
    ok = false;
  }
  process.stdout.write(`${ok ? 'ok' : 'FAIL'} - ${name}\n`);
  if (!ok) failures += 1;
}
const throws = (fn, pattern) => {
  try {
    fn();
  } catch (error) {
    return pattern.test(error.message);
  }
  return false;
};
const D = (c) => c.repeat(64);

for (const [platform, frontEnd, sea, resources] of [
  ['linux-x64', 'codex', 'codex-resources/codex-sea', 5],
  ['linux-arm64', 'codex', 'codex-resources/codex-sea', 5],
  ['darwin-x64', 'codex', 'codex-resources/codex-sea', 0],
  ['darwin-arm64', 'codex', 'codex-resources/codex-sea', 0],
  ['win32-x64', 'codex.exe', 'codex.exe', 0],
]) {
  check(`${platform}: front end ${frontEnd}, SEA ${sea}, ${resources} resources`, () => {
    const l = bundleLayout(platform);
    return l.frontEnd === frontEnd && l.sea === sea && l.resources.length === resources && (l.launcher === undefined) === platform.startsWith('win32');
  });
}
check('five platforms', () => PLATFORMS.length === 5);
check('Mach-O bundles name the NODE_SEA segment, others none', () => PLATFORMS.every((p) => (bundleLayout(p).machoSegment === 'NODE_SEA') === p.startsWith('darwin')));
check('an unknown platform is refused, naming the known ones', () => throws(() => parsePlatform('linux-riscv64'), /unknown platform "linux-riscv64"; expected one of linux-x64, /));
check('bundle names: codex-sandbox-<version>-<platform>', () => bundleName('0.1.0', 'win32-x64') === 'codex-sandbox-0.1.0-win32-x64');
check('a version that is not semver is refused', () => throws(() => bundleName('v1', 'linux-x64'), /not semver/));
check('SHA256SUMS is sorted by path in sha256sum -c format', () =>
  sha256sumsText([{ path: 'b', sha256: D('b') }, { path: 'a/c', sha256: D('a') }]) === `${D('a')}  a/c\n${D('b')}  b\n`,
);
for (const bad of ['SHA256SUMS', '/abs', '../up', 'a\nb']) {
  check(`SHA256SUMS refuses the path ${JSON.stringify(bad)}`, () => throws(() => sha256sumsText([{ path: bad, sha256: D('a') }]), /cannot be listed/));
}
check('SHA256SUMS refuses a digest that is not lowercase hex', () => throws(() => sha256sumsText([{ path: 'a', sha256: D('A') }]), /not a SHA-256/));
check('bundled packages: scoped and plain names from input paths, sorted, once each', () =>
  JSON.stringify(bundledPackageNames(['x/node_modules/@a/b/dist/i.js', '../node_modules/p/index.js', 'node_modules/p/lib/x.js', 'packages/cli/src/main.ts'])) === '["@a/b","p"]',
);
check('the innermost node_modules decides (a nested dependency)', () => JSON.stringify(bundledPackageNames(['node_modules/a/node_modules/b/i.js'])) === '["b"]');
const component = { name: 'x', version: '1', license: 'MIT', how: 'bundled', text: 'MIT text\n\n' };
check('NOTICE lists each component with version, licence, how and source', () => {
  const text = noticeText({ bundle: 'B', components: [{ ...component, source: 'src' }], ownLicense: 'L' });
  return text.includes('- x 1 (MIT)\n  bundled\n  source: src\n') && text.startsWith('B\n\ncodex-sandbox itself: L\n');
});
check('LICENSE has each full text under a header', () => licenseText([component]).includes('x 1 (MIT)\n' + '='.repeat(78) + '\n\nMIT text\n'));
check('a component without its licence text is refused', () => throws(() => licenseText([{ ...component, text: ' ' }]), /text is missing/));
check('the SEA main runs the prologue first and the program in a function of its own', () => {
  const main = seaMainScript('P;', '"use strict";X');
  return main.startsWith('P;\n;(function () {\n"use strict";X\n}).call(this);');
});

process.exit(failures === 0 ? 0 : 1);
