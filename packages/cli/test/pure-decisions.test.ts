import { planRenderingFor, selectBackend } from '../src/backend.js';
import { selectEntryPoint } from '../src/arg0.js';
import { shellQuote, shellQuoteArgv } from '../src/shell-quote.js';
import { restoreLauncherEnvironment } from '../src/launcher-env.js';
import { createDiagnosticSink } from '../src/diagnostics.js';

describe('selectBackend', () => {
  test.each([
    ['linux', { kind: 'available', id: 'linux-bwrap' }],
    ['darwin', { kind: 'available', id: 'macos-seatbelt', os: 'macos' }],
    ['win32', { kind: 'available', id: 'windows-restricted-token', os: 'windows' }],
    ['freebsd', { kind: 'unsupported', os: 'freebsd' }],
    ['aix', { kind: 'unsupported', os: 'aix' }],
  ])('%s', (platform, expected) => {
    expect(selectBackend(platform)).toMatchObject(expected);
  });
});

describe('planRenderingFor (--os)', () => {
  test.each([
    ['macos', 'linux', { kind: 'render', os: 'macos' }],
    ['macos', 'darwin', { kind: 'render', os: 'macos' }],
    ['linux', 'linux', { kind: 'render', os: 'linux' }],
    ['linux', 'darwin', { kind: 'refuse', reason: "the Linux plan depends on the host's bubblewrap and can only be rendered on Linux" }],
    ['windows', 'linux', { kind: 'render', os: 'windows' }],
  ] as const)('--os %s on %s', (target, host, expected) => {
    expect(planRenderingFor(target, host)).toEqual(expected);
  });
});

describe('selectEntryPoint (arg0 dispatch)', () => {
  test.each([
    [undefined, 'cli'],
    ['codex', 'cli'],
    ['/usr/local/bin/codex', 'cli'],
    ['codex-linux-sandbox', 'linux-sandbox-helper'],
    ['/tmp/x/codex-linux-sandbox', 'linux-sandbox-helper'],
    ['./codex-linux-sandbox', 'linux-sandbox-helper'],
    ['/opt/codex-linux-sandbox.cjs', 'linux-sandbox-helper'],
    ['/opt/codex-linux-sandbox-old', 'cli'],
    ['/codex-linux-sandbox/codex', 'cli'],
  ])('%s -> %s', (arg0, expected) => {
    expect(selectEntryPoint(arg0)).toBe(expected);
  });
});

describe('shellQuote', () => {
  test.each([
    ['true', 'true'],
    ['/usr/bin/bwrap', '/usr/bin/bwrap'],
    ['--ro-bind', '--ro-bind'],
    ['', "''"],
    ['a b', "'a b'"],
    ["it's", "'it'\\''s'"],
    ['$HOME', "'$HOME'"],
    ['a*b', "'a*b'"],
    ['x\ny', "'x\ny'"],
  ])('%j -> %s', (word, expected) => {
    expect(shellQuote(word)).toBe(expected);
  });
  test('argv', () => {
    expect(shellQuoteArgv(['echo', 'a b', 'c'])).toBe("echo 'a b' c");
  });
});

describe('restoreLauncherEnvironment', () => {
  test('without the launcher marker nothing changes', () => {
    const env: Record<string, string | undefined> = {
      CODEX_SANDBOX_ARG0: '/x/codex-linux-sandbox',
      CODEX_SANDBOX_STASHED_NODE_EXTRA_CA_CERTS: '/a.pem',
    };
    expect(restoreLauncherEnvironment(env)).toEqual({ arg0: undefined });
    expect(env).toEqual({ CODEX_SANDBOX_ARG0: '/x/codex-linux-sandbox', CODEX_SANDBOX_STASHED_NODE_EXTRA_CA_CERTS: '/a.pem' });
  });
  test('restores stashed variables (empty values too) and removes private ones', () => {
    const env: Record<string, string | undefined> = {
      CODEX_SANDBOX_LAUNCHER: '1',
      CODEX_SANDBOX_ARG0: '/x/codex-linux-sandbox',
      CODEX_SANDBOX_STASHED_NODE_EXTRA_CA_CERTS: '/a.pem',
      CODEX_SANDBOX_STASHED_NODE_OPTIONS: '',
      PATH: '/bin',
    };
    expect(restoreLauncherEnvironment(env)).toEqual({ arg0: '/x/codex-linux-sandbox' });
    expect(env).toEqual({ NODE_EXTRA_CA_CERTS: '/a.pem', NODE_OPTIONS: '', PATH: '/bin' });
  });
  test('variables the user did not have stay absent', () => {
    const env: Record<string, string | undefined> = { CODEX_SANDBOX_LAUNCHER: '1', CODEX_SANDBOX_ARG0: 'codex' };
    restoreLauncherEnvironment(env);
    expect(env).toEqual({});
  });
});

describe('diagnostics', () => {
  test('warnings are printed once each, in one format', () => {
    const out: string[] = [];
    const sink = createDiagnosticSink('codex sandbox', (t) => out.push(t));
    sink.warn('no bwrap');
    sink.warn('no bwrap');
    sink.warn('two\nlines');
    sink.error('bad thing');
    expect(out.join('')).toBe(
      'codex sandbox: warning: no bwrap\ncodex sandbox: warning: two\n  lines\ncodex sandbox: bad thing\n',
    );
  });
});
