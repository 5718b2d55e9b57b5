import type { ResolvedSandboxPolicy } from '@codex-sandbox/policy';
import { formatExplanation } from '../src/explain.js';

const base: ResolvedSandboxPolicy = {
  kind: 'restricted',
  cwd: '/w',
  network: 'restricted',
  fullDiskRead: true,
  fullDiskWrite: false,
  includePlatformDefaults: false,
  readableRoots: [],
  writableRoots: [
    { root: '/w', readOnlySubpaths: ['/w/.git', '/w/.codex'], protectedMetadataNames: ['.git', '.agents', '.codex'] },
    { root: '/tmp', readOnlySubpaths: [], protectedMetadataNames: [] },
  ],
  unreadableRoots: [],
  unreadableGlobs: [],
  needsSandbox: true,
};

function explain(policy: ResolvedSandboxPolicy, argv: string[] | null = ['/usr/bin/bwrap', '--ro-bind', '/', '/', '--', 'echo', 'a b']) {
  return formatExplanation({
    profileId: ':workspace',
    policy,
    commandPath: argv === null ? undefined : '/usr/bin/echo',
    launchArgv: argv ?? undefined,
    backendDescription: 'Linux: system bubblewrap /usr/bin/bwrap',
    notes: ['the command gets CODEX_SANDBOX_NETWORK_DISABLED=1'],
  });
}

describe('formatExplanation', () => {
  test('workspace: rows, carve-outs, quoted command line', () => {
    expect(explain(base)).toBe(
      [
        'profile    :workspace',
        'mode       restricted (sandboxed)',
        'cwd        /w',
        'network    restricted (no network: private network namespace, socket syscalls filtered)',
        'readable   / (entire filesystem)',
        'writable   /w',
        '             read-only: /w/.git',
        '             read-only: /w/.codex',
        '             not writable anywhere below: .git, .agents, .codex',
        '           /tmp',
        'denied     (none)',
        'backend    Linux: system bubblewrap /usr/bin/bwrap',
        'command    /usr/bin/echo',
        'note       the command gets CODEX_SANDBOX_NETWORK_DISABLED=1',
        '',
        'command line:',
        "  /usr/bin/bwrap --ro-bind / / -- echo 'a b'",
        '',
      ].join('\n'),
    );
  });
  test('restricted read with denials, globs, platform defaults', () => {
    const text = explain({
      ...base,
      fullDiskRead: false,
      includePlatformDefaults: true,
      readableRoots: ['/src'],
      writableRoots: [],
      unreadableRoots: ['/src/secret'],
      unreadableGlobs: ['/src/**/*.env'],
      globScanMaxDepth: 3,
    });
    expect(text).toContain('readable   /src\n           platform defaults (:minimal');
    expect(text).toContain('writable   (none)');
    expect(text).toContain(
      [
        'denied     /src/secret',
        '           glob /src/**/*.env',
        '             (globs are matched against what exists at launch, scanning 3 levels deep; a matching directory is masked with everything below it, a matching symlink at its target)',
        '             not masked: a match created after launch, a match deeper than the scan depth, a match below a symlinked directory (not followed)',
        '             not enforceable: another hard link to a denied file stays readable under its own name, unless denied too',
        '           everything not listed as readable or writable',
      ].join('\n'),
    );
  });
  test('a readable / with denials does not claim everything else is denied', () => {
    const text = explain({ ...base, fullDiskRead: false, readableRoots: ['/'], unreadableRoots: ['/w/secret'] });
    expect(text).toContain(
      'denied     /w/secret\n             not enforceable: another hard link to a denied file stays readable under its own name, unless denied too\nbackend',
    );
  });
  test('each thing once: no readable root under a broader one, writable roots only under writable, denied carve-outs only under denied', () => {
    // `:workspace` plus `"/w/secret" = "none"` (a deny takes full-disk read away, so `/` is a root).
    const text = explain({
      ...base,
      fullDiskRead: false,
      readableRoots: ['/', '/tmp', '/w', '/w/secret/pub'],
      writableRoots: [
        { root: '/tmp', readOnlySubpaths: ['/w/secret'], protectedMetadataNames: [] },
        { root: '/w', readOnlySubpaths: ['/w/.codex', '/w/secret', '/w/secret/pub', '/w/docs'], protectedMetadataNames: ['.git'] },
      ],
      unreadableRoots: ['/w/secret'],
    });
    expect(text).toContain(
      [
        'readable   /',
        '           /w/secret/pub',
        'writable   /tmp',
        '           /w',
        '             read-only: /w/.codex',
        '             read-only: /w/docs',
        '             not writable anywhere below: .git',
        'denied     /w/secret',
        '             not enforceable: another hard link to a denied file stays readable under its own name, unless denied too',
        'backend',
      ].join('\n'),
    );
  });
  test('the command row explains a command that would not start', () => {
    const text = formatExplanation({
      profileId: ':read-only',
      policy: base,
      commandPath: undefined,
      commandProblem: 'command not found: tool (hidden by the sandbox policy: /opt is denied); the run would exit 127',
      launchArgv: ['bwrap', '--', 'tool'],
      backendDescription: 'Linux',
    });
    expect(text).toContain('command    command not found: tool (hidden by the sandbox policy: /opt is denied); the run would exit 127\n');
    expect(text).toContain('command line:\n  bwrap -- tool\n');
  });
  test('lists what the scan masked (capped) and says what it cannot mask', () => {
    const masked = Array.from({ length: 22 }, (_, i) => `/w/m${String(i).padStart(2, '0')}.env`);
    const text = formatExplanation({
      profileId: 'p',
      policy: { ...base, unreadableGlobs: ['/w/**/*.env'] },
      commandPath: '/usr/bin/true',
      launchArgv: ['true'],
      backendDescription: 'b',
      denyGlobMatches: masked,
    });
    expect(text).toContain(
      [
        'denied     glob /w/**/*.env',
        '             (globs are matched against what exists at launch; a matching directory is masked with everything below it, a matching symlink at its target)',
        '             masked at launch (22):',
        ...masked.slice(0, 20).map((m) => `               ${m}`),
        '               ... and 2 more',
        '             not masked: a match created after launch, a match below a symlinked directory (not followed)',
      ].join('\n'),
    );
    const none = formatExplanation({ profileId: 'p', policy: { ...base, unreadableGlobs: ['/w/*.env'] }, commandPath: undefined, launchArgv: undefined, backendDescription: 'b', denyGlobMatches: [] });
    expect(none).toContain('             masked at launch: nothing (no path matches now)\n');
  });

  test('full access and no command', () => {
    const text = explain(
      { ...base, kind: 'unrestricted', network: 'enabled', fullDiskWrite: true, writableRoots: [], needsSandbox: false },
      null,
    );
    expect(text).toContain('mode       no sandbox (full access)');
    expect(text).toContain('network    enabled (host network namespace)');
    expect(text).toContain('writable   / (entire filesystem)');
    expect(text).not.toContain('command    ');
    expect(text).toContain('command line: (no COMMAND given)');
  });
});
