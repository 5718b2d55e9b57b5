// M8, M7: the glob -> regex translation and the metadata-name guards, checked by running the
// regexes in JS against paths that must and must not match.
import { escapeRegexLiteral, globAncestors, globToRegex } from '../src/sbpl-regex.js';
import { metadataNameRegex } from '../src/sbpl-regex.js';
import { SeatbeltPolicyError } from '../src/errors.js';

/** The regex as sandbox-exec reads it: `\"` inside the literal is a quote. */
const compile = (regex: string): RegExp => new RegExp(regex.replace(/\\"/g, '"'));

describe('globToRegex (M8)', () => {
  test.each([
    ['/w/*.env', '^/w/[^/]*\\.env(/.*)?$'],
    ['/w/**/*.env', '^/w/(.*/)?[^/]*\\.env(/.*)?$'],
    ['/w/**', '^/w/.*(/.*)?$'],
    ['/w/?.txt', '^/w/[^/]\\.txt(/.*)?$'],
    ['/w/{a,b}.pem', '^/w/(a|b)\\.pem(/.*)?$'],
    ['/w/{a,b', '^/w/(a|b)(/.*)?$'],
    ['/w/[!x]y', '^/w/[^/x]y(/.*)?$'],
    ['/w/[ab', '^/w/\\[ab(/.*)?$'],
    ['/w/a]b', '^/w/a\\]b(/.*)?$'],
    ['/w/\\*lit', '^/w/\\*lit(/.*)?$'],
    ['/w/a"b', '^/w/a\\"b(/.*)?$'],
    ['/w/a+b(c)$|^', '^/w/a\\+b\\(c\\)\\$\\|\\^(/.*)?$'],
    ['/w/plain', '^/w/plain(/.*)?$'],
  ])('%s -> %s', (glob, regex) => {
    expect(globToRegex(glob)).toBe(regex);
  });

  test('exact mode matches only the pattern itself', () => {
    expect(globToRegex('/w/{a,b', { exact: true })).toBe('^/w/(a|b)$');
    expect(globToRegex('/w/plain', { exact: true })).toBe('^/w/plain$');
  });

  test.each<[string, string[], string[]]>([
    ['/w/**/*.env', ['/w/.env', '/w/a.env', '/w/x/y/b.env', '/w/a.env/inside'], ['/w/a.envx', '/v/a.env', '/wx/a.env']],
    ['/w/*.env', ['/w/a.env', '/w/.env', '/w/a.env/sub'], ['/w/x/a.env', '/w/a.txt']],
    ['/w/?.txt', ['/w/a.txt'], ['/w/ab.txt', '/w//.txt', '/w/.txt']],
    ['/w/{a,b}.pem', ['/w/a.pem', '/w/b.pem'], ['/w/c.pem', '/w/{a,b}.pem']],
    ['/w/[!x]y', ['/w/ay', '/w/zy'], ['/w/xy', '/w//y']],
    ['/w/[ab', ['/w/[ab'], ['/w/a', '/w/b']],
    ['/w/[a-c]x', ['/w/ax', '/w/bx'], ['/w/dx', '/w/-x']],
    ['/w/a]b', ['/w/a]b'], ['/w/ab']],
    ['/w/\\*lit', ['/w/*lit'], ['/w/xlit']],
    ['/w/a"b', ['/w/a"b'], ['/w/ab']],
    ['/w/sec*/**', ['/w/secret/a', '/w/sec/x/y'], ['/w/other/secret']],
    ['/w/plain', ['/w/plain', '/w/plain/x'], ['/w/plainx', '/w/pla']],
    ['/w/a.b', ['/w/a.b'], ['/w/axb']],
  ])('%s matches %j and not %j', (glob, yes, no) => {
    const re = compile(globToRegex(glob));
    for (const p of yes) expect([p, re.test(p)]).toEqual([p, true]);
    for (const p of no) expect([p, re.test(p)]).toEqual([p, false]);
  });

  test('control characters are refused, not spliced into the policy', () => {
    expect(() => globToRegex('/w/a\nb')).toThrow(SeatbeltPolicyError);
    expect(() => escapeRegexLiteral('/w/\u0000')).toThrow(/control character/);
  });
});

describe('globAncestors (M8)', () => {
  test.each([
    ['/w/**/*.env', ['/w', '/w/**']],
    ['/a/b/c', ['/a', '/a/b']],
    ['/a/{b,c/d}/x', ['/a', '/a/{b,c', '/a/{b,c/d}']],
    ['/a/\\/b/c', ['/a', '/a/\\/b']],
  ])('%s -> %j', (glob, ancestors) => {
    expect(globAncestors(glob)).toEqual(ancestors);
  });

  test('an ancestor cut inside a brace group still covers each alternative', () => {
    const prefixes = globAncestors('/a/{b,c/d}/x.env');
    const regexes = prefixes.map((p) => compile(globToRegex(p, { exact: true })));
    for (const dir of ['/a', '/a/b', '/a/c/d']) expect([dir, regexes.some((r) => r.test(dir))]).toEqual([dir, true]);
  });
});

describe('metadataNameRegex (M7)', () => {
  test.each<[string, string, string[], string[]]>([
    ['/w', '.git', ['/w/.git', '/w/.git/config'], ['/w/.gitignore', '/w/x/.git', '/w/agit']],
    ['/', '.codex', ['/.codex', '/.codex/x'], ['/w/.codex']],
    ['/we(ird) [dir]', '.aws', ['/we(ird) [dir]/.aws'], ['/weird dir/.aws']],
  ])('root %s, name %s', (root, name, yes, no) => {
    const re = compile(metadataNameRegex(root, name));
    for (const p of yes) expect([p, re.test(p)]).toEqual([p, true]);
    for (const p of no) expect([p, re.test(p)]).toEqual([p, false]);
  });
});

describe('malformed classes refuse (fail closed)', () => {
  test('an out-of-order range in a class is an error naming it, never a broken regex', () => {
    expect(() => globToRegex('/w/[z-a]')).toThrow(/range z-a, which is out of order/);
  });

  test.each(['/w/[^x]y', '/w/[a\\]b]', '/w/[a"]', '/w/[[x]'])('%s: a class member with another meaning in some regex dialect is refused', (glob) => {
    expect(() => globToRegex(glob)).toThrow(SeatbeltPolicyError);
  });
});
