// The structural check (checker.ts): it rejects what the generator must never emit, and every
// policy generated from a fuzzed set of inputs and of permission profiles passes it.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { resolveSandboxPolicy, type FileSystemSandboxEntry, type PermissionProfile } from '@codex-sandbox/policy';
import { checkSeatbeltPolicy, plainStringLiterals } from '../src/checker.js';
import { SeatbeltPolicyError } from '../src/errors.js';
import { BASE_POLICY, NETWORK_SUPPORT, PREFERENCES, platformDefaults } from '../src/fixed-sections.js';
import { planSeatbelt } from '../src/plan.js';
import { buildSeatbeltPolicy, type SeatbeltInput, type SeatbeltPolicy } from '../src/seatbelt-policy.js';

const plainStrings = plainStringLiterals;
const FIXED_STRINGS = new Set(plainStrings([BASE_POLICY, NETWORK_SUPPORT, PREFERENCES, platformDefaults('process')].join('\n')));

const ok = '(version 1)\n(deny default)\n';

describe('checkSeatbeltPolicy rejects', () => {
  test.each<[string, string, Array<[string, string]>, RegExp]>([
    ['unbalanced forms', `${ok}(allow file-read* (subpath "/a")`, [], /unclosed/],
    ['a stray )', `${ok}(allow file-read*))`, [], /unbalanced/],
    ['no (version 1)', '(deny default)\n', [], /version 1/],
    ['no (deny default) second', '(version 1)\n(allow default)\n', [], /deny default/],
    ['an operation outside the vocabulary', `${ok}(allow file-read-everything)`, [], /operation file-read-everything/],
    ['a filter outside the vocabulary', `${ok}(allow file-read* (prefix "/a"))`, [], /filter prefix/],
    ['an undefined parameter', `${ok}(allow file-read* (subpath (param "X")))`, [], /X is not defined/],
    ['an unused parameter', `${ok}(allow file-read*)`, [['X', '/a']], /X is defined but never used/],
    ['a parameter defined twice', `${ok}(allow file-read* (subpath (param "X")))`, [['X', '/a'], ['X', '/b']], /more than once/],
    ['a relative parameter value', `${ok}(allow file-read* (subpath (param "X")))`, [['X', 'rel']], /not an absolute path/],
    ['a relative literal', `${ok}(allow file-read* (literal "rel/x"))`, [], /not absolute/],
    ['a regex that does not compile', `${ok}(allow file-read* (regex #"^/a(("))`, [], /does not compile/],
    ['an unanchored regex', `${ok}(allow file-read* (regex #"/a"))`, [], /anchored/],
    ['a regex given as a string', `${ok}(allow file-read* (regex "^/a"))`, [], /regex literal/],
    ['an unterminated string', `${ok}(allow file-read* (literal "/a))`, [], /unterminated/],
    ['a bad ip endpoint', `${ok}(allow network-outbound (remote ip "evil.com:443"))`, [], /HOST:PORT/],
    ['a port out of range', `${ok}(allow network-outbound (remote ip "localhost:70000"))`, [], /HOST:PORT/],
    ['an unknown vnode type', `${ok}(deny file-write-unlink (vnode-type FIFO))`, [], /vnode type/],
    ['a rule without operation', `${ok}(allow (literal "/a"))`, [], /no operation/],
    ['a lower-case parameter name', `${ok}(allow file-read* (subpath (param "x")))`, [['x', '/a']], /UPPER_SNAKE/],
  ])('%s', (_what, text, params, problem) => {
    const { problems } = checkSeatbeltPolicy(text, params);
    expect(problems.join('\n')).toMatch(problem);
  });

  test('a well-formed policy has no problems', () => {
    expect(checkSeatbeltPolicy(`${ok}(allow file-read* (subpath (param "A")) (regex #"^/x\\"y$"))`, [['A', '/a']]).problems).toEqual([]);
  });
});

// Path components with the characters that need escaping in regexes and SBPL strings.
const component = fc.stringMatching(/^[a-zA-Z0-9 ._()[\]{}*+?^$|\\"'-]{1,8}$/).filter((c) => c !== '.' && c !== '..');
const absPath = fc.array(component, { minLength: 1, maxLength: 4 }).map((parts) => `/${parts.join('/')}`);
const globPath = fc
  .array(fc.oneof(component, fc.constantFrom('*', '**', '?', '*.env', '{a,b}', '[!x]y', '[ab', 'a]b', '{x,y/z}', '\\*')), { minLength: 1, maxLength: 4 })
  .map((parts) => `/${parts.join('/')}`);
const metadataNames = fc.subarray(['.git', '.agents', '.codex', '.aws']);

const seatbeltInputs: fc.Arbitrary<SeatbeltInput> = fc.record({
  profile: fc.constantFrom<'process' | 'file-system-helper'>('process', 'file-system-helper'),
  fullDiskRead: fc.boolean(),
  fullDiskWrite: fc.boolean(),
  includePlatformDefaults: fc.boolean(),
  readableRoots: fc.array(absPath, { maxLength: 3 }),
  unreadableRoots: fc.array(absPath, { maxLength: 3 }),
  writableRoots: fc.array(
    fc.record({
      root: absPath,
      filter: fc.constantFrom<'subpath' | 'literal'>('subpath', 'literal'),
      excluded: fc.array(fc.record({ path: absPath, resolved: fc.option(absPath, { nil: undefined }) }, { requiredKeys: ['path'] }), { maxLength: 3 }),
      protectedMetadataNames: metadataNames,
    }),
    { maxLength: 3 },
  ),
  protectedAncestors: fc.uniqueArray(absPath, { maxLength: 3 }),
  denyGlobs: fc.array(globPath, { maxLength: 3 }),
  network: fc.record({
    policy: fc.constantFrom<'restricted' | 'enabled'>('restricted', 'enabled'),
    proxy: fc.option(fc.record({ ports: fc.uniqueArray(fc.integer({ min: 1, max: 65535 }), { maxLength: 3 }), allowLocalBinding: fc.boolean() }), { nil: undefined }),
    unixSockets: fc.oneof(
      fc.constant({ kind: 'none' as const }),
      fc.constant({ kind: 'all' as const }),
      fc.record({ kind: fc.constant('paths' as const), paths: fc.uniqueArray(absPath, { maxLength: 3 }) }),
    ),
  }, { requiredKeys: ['policy', 'unixSockets'] }),
});

describe('every generated policy passes the check (fuzzed)', () => {
  test('fuzzed Seatbelt inputs (paths full of regex and SBPL metacharacters)', () => {
    fc.assert(
      fc.property(seatbeltInputs, (input) => {
        let policy: SeatbeltPolicy;
        try {
          policy = buildSeatbeltPolicy(input);
        } catch (error) {
          // A glob the policy cannot express is refused with a typed error (fail closed).
          expect(error).toBeInstanceOf(SeatbeltPolicyError);
          return;
        }
        expect(checkSeatbeltPolicy(policy.text, policy.params).problems).toEqual([]);
        // Paths enter the text only escaped inside regexes: every plain string is fixed text, a
        // parameter name or a network endpoint, never a value of the input.
        const keys = new Set(policy.params.map(([key]) => key));
        for (const literal of plainStrings(policy.text)) {
          expect([literal, FIXED_STRINGS.has(literal) || keys.has(literal) || /^(\*|localhost):(\*|[0-9]+)$/.test(literal)]).toEqual([literal, true]);
        }
      }),
      { numRuns: 2000 },
    );
  });

  describe('fuzzed permission profiles resolved against a real directory tree', () => {
    let dir: string;
    beforeAll(() => {
      dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'seatbelt-fuzz-')));
      for (const sub of ['repo/.git', 'repo/src', 'repo/.codex', 'data/x', 'other']) fs.mkdirSync(path.join(dir, sub), { recursive: true });
      fs.writeFileSync(path.join(dir, 'repo/file.txt'), 'x');
      fs.writeFileSync(path.join(dir, 'repo/.env'), 'x');
    });
    afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

    test('resolve -> plan (generate + check) either succeeds or refuses with SeatbeltPolicyError', () => {
      const rel = fc.constantFrom('repo', 'repo/src', 'repo/.git', 'repo/file.txt', 'data', 'data/x', 'other', 'missing', 'repo/missing/deeper', '.');
      const entryPath = fc.oneof(
        rel.map((r) => ({ type: 'path' as const, path: path.join(dir, r) })),
        fc.constantFrom('**/*.env', 'data/*', 'repo/{a,b}/*.pem', 'other/[x').map((g) => ({ type: 'glob_pattern' as const, pattern: path.join(dir, g) })),
        fc.constantFrom(
          { type: 'special' as const, value: { kind: 'root' as const } },
          { type: 'special' as const, value: { kind: 'minimal' as const } },
          { type: 'special' as const, value: { kind: 'workspace_roots' as const } },
          { type: 'special' as const, value: { kind: 'workspace_roots' as const, subpath: 'src' } },
          { type: 'special' as const, value: { kind: 'tmpdir' as const } },
          { type: 'special' as const, value: { kind: 'slash_tmp' as const } },
        ),
      );
      const entry: fc.Arbitrary<FileSystemSandboxEntry> = fc.record({ path: entryPath, access: fc.constantFrom<'read' | 'write' | 'deny'>('read', 'write', 'deny') });
      const profile: fc.Arbitrary<PermissionProfile> = fc.oneof(
        { weight: 8, arbitrary: fc.record({
          type: fc.constant('managed' as const),
          fileSystem: fc.record({ type: fc.constant('restricted' as const), entries: fc.array(entry, { maxLength: 6 }) }),
          network: fc.constantFrom<'restricted' | 'enabled'>('restricted', 'enabled'),
        }) },
        { weight: 1, arbitrary: fc.constant<PermissionProfile>({ type: 'disabled' }) },
        { weight: 1, arbitrary: fc.constant<PermissionProfile>({ type: 'managed', fileSystem: { type: 'unrestricted' }, network: 'restricted' }) },
      );
      const proxy = fc.option(fc.record({ ports: fc.uniqueArray(fc.integer({ min: 1, max: 65535 }), { maxLength: 2 }), allowLocalBinding: fc.boolean() }), { nil: undefined });
      fc.assert(
        fc.property(profile, proxy, fc.boolean(), (p, proxyOption, sockets) => {
          const resolved = resolveSandboxPolicy(p, { cwd: path.join(dir, 'repo'), workspaceRoots: [], env: { TMPDIR: path.join(dir, 'other') } });
          try {
            const plan = planSeatbelt(resolved, ['/bin/true'], {
              ...(proxyOption !== undefined ? { proxy: proxyOption } : {}),
              ...(sockets ? { unixSocketPaths: [path.join(dir, 'other/s.sock')] } : {}),
            });
            expect(plan.argv[0]).toBe('/usr/bin/sandbox-exec');
          } catch (error) {
            if (!(error instanceof SeatbeltPolicyError)) throw error;
          }
        }),
        { numRuns: 500 },
      );
    });
  });
});
