// M3 to M12: the generator, table by table: inputs -> the exact sections and `-D` parameters.
// Every generated policy here also passes the structural check (checker.ts).
import { buildSeatbeltPolicy, type SeatbeltInput, type SeatbeltPolicy } from '../src/seatbelt-policy.js';
import { checkSeatbeltPolicy } from '../src/checker.js';
import { BASE_POLICY, NETWORK_SUPPORT, PREFERENCES, platformDefaults } from '../src/fixed-sections.js';
import { loopbackProxyPorts } from '../src/network-section.js';

const restricted: SeatbeltInput = {
  fullDiskRead: false,
  fullDiskWrite: false,
  includePlatformDefaults: false,
  readableRoots: [],
  unreadableRoots: [],
  writableRoots: [],
  protectedAncestors: [],
  denyGlobs: [],
  network: { policy: 'restricted', unixSockets: { kind: 'none' } },
};

function build(overrides: Partial<SeatbeltInput>): SeatbeltPolicy {
  const policy = buildSeatbeltPolicy({ ...restricted, ...overrides });
  expect(checkSeatbeltPolicy(policy.text, policy.params).problems).toEqual([]);
  return policy;
}

describe('policy assembly (M3)', () => {
  test(':read-only with network off: base, full read, preferences, no parameters (A4)', () => {
    const policy = build({ fullDiskRead: true, readableRoots: [] });
    expect(policy.text).toBe(`${BASE_POLICY}\n; allow read-only file operations\n(allow file-read*)\n\n\n${PREFERENCES}\n\n\n\n`);
    expect(policy.params).toEqual([]);
  });

  test('nothing readable: the base policy and empty sections only', () => {
    const policy = build({});
    expect(policy.text).toBe(`${BASE_POLICY}\n\n\n\n\n\n\n\n`);
  });

  test('no user path appears in the text outside a regex; parameters carry them', () => {
    const policy = build({
      readableRoots: ['/Users/me/project', '/opt/tools'],
      unreadableRoots: ['/Users/me/project/secret'],
      writableRoots: [{ root: '/Users/me/project', filter: 'subpath', excluded: [{ path: '/Users/me/project/.git' }], protectedMetadataNames: [] }],
    });
    for (const p of ['/Users/me/project', '/opt/tools']) expect(policy.text.includes(p)).toBe(false);
    expect(policy.params.map(([k]) => k)).toEqual([
      'READABLE_ROOT_0',
      'READABLE_ROOT_0_EXCLUDED_0',
      'READABLE_ROOT_1',
      'WRITABLE_ROOT_0',
      'WRITABLE_ROOT_0_EXCLUDED_0',
    ]);
  });
});

describe('read section (M5, M7)', () => {
  test('readable roots with the denied paths beneath each as literal and subpath exclusions', () => {
    const policy = build({ readableRoots: ['/a', '/b'], unreadableRoots: ['/a/secret', '/c/elsewhere'] });
    expect(policy.text).toContain(
      '(allow file-read*\n' +
        '(require-all (subpath (param "READABLE_ROOT_0")) (require-not (literal (param "READABLE_ROOT_0_EXCLUDED_0"))) (require-not (subpath (param "READABLE_ROOT_0_EXCLUDED_0"))) )' +
        ' (subpath (param "READABLE_ROOT_1"))\n)',
    );
    expect(policy.params).toEqual([
      ['READABLE_ROOT_0', '/a'],
      ['READABLE_ROOT_0_EXCLUDED_0', '/a/secret'],
      ['READABLE_ROOT_1', '/b'],
    ]);
  });

  test('full-disk read with denied paths: one root / that excludes them', () => {
    const policy = build({ fullDiskRead: true, unreadableRoots: ['/home/u/.ssh'] });
    expect(policy.params.slice(0, 2)).toEqual([
      ['READABLE_ROOT_0', '/'],
      ['READABLE_ROOT_0_EXCLUDED_0', '/home/u/.ssh'],
    ]);
    expect(policy.text).not.toContain('(allow file-read*)\n');
  });
});

describe('write section (M6, M7)', () => {
  const root = { root: '/w', filter: 'subpath' as const, excluded: [{ path: '/w/.codex' }], protectedMetadataNames: ['.git', '.agents', '.codex', '.aws'] };

  test('workspace root: exclusions, metadata regexes and the root unlink deny (A4)', () => {
    const policy = build({ fullDiskRead: true, writableRoots: [root] });
    expect(policy.text).toContain(
      '(allow file-write*\n(require-all (subpath (param "WRITABLE_ROOT_0"))' +
        ' (require-not (literal (param "WRITABLE_ROOT_0_EXCLUDED_0"))) (require-not (subpath (param "WRITABLE_ROOT_0_EXCLUDED_0")))' +
        ' (require-not (regex #"^/w/\\.git(/.*)?$")) (require-not (regex #"^/w/\\.agents(/.*)?$"))' +
        ' (require-not (regex #"^/w/\\.codex(/.*)?$")) (require-not (regex #"^/w/\\.aws(/.*)?$")) )\n)\n' +
        '(deny file-write-unlink (require-all (literal (param "WRITABLE_ROOT_0")) (vnode-type DIRECTORY)))',
    );
    expect(policy.params).toEqual([
      ['WRITABLE_ROOT_0', '/w'],
      ['WRITABLE_ROOT_0_EXCLUDED_0', '/w/.codex'],
    ]);
  });

  test('an excluded path with another canonical spelling gets a _RESOLVED parameter too', () => {
    const policy = build({ writableRoots: [{ ...root, excluded: [{ path: '/w/.git', resolved: '/elsewhere/gitdir' }], protectedMetadataNames: [] }] });
    expect(policy.params).toEqual([
      ['WRITABLE_ROOT_0', '/w'],
      ['WRITABLE_ROOT_0_EXCLUDED_0', '/w/.git'],
      ['WRITABLE_ROOT_0_EXCLUDED_0_RESOLVED', '/elsewhere/gitdir'],
    ]);
    expect(policy.text).toContain('(require-not (subpath (param "WRITABLE_ROOT_0_EXCLUDED_0_RESOLVED")))');
  });

  test('an existing non-directory root is a literal', () => {
    const policy = build({ writableRoots: [{ root: '/w/file.txt', filter: 'literal', excluded: [], protectedMetadataNames: [] }] });
    expect(policy.text).toContain('(allow file-write*\n(literal (param "WRITABLE_ROOT_0"))\n)');
  });

  test('full-disk write: one regex rule, no roots', () => {
    const policy = build({ fullDiskRead: true, fullDiskWrite: true });
    expect(policy.text).toContain('\n(allow file-write* (regex #"^/"))\n');
    expect(policy.params).toEqual([]);
  });

  test('full-disk write with denied paths: root / excluding them', () => {
    const policy = build({ fullDiskWrite: true, readableRoots: ['/'], unreadableRoots: ['/s'] });
    expect(policy.params).toEqual([
      ['READABLE_ROOT_0', '/'],
      ['READABLE_ROOT_0_EXCLUDED_0', '/s'],
      ['WRITABLE_ROOT_0', '/'],
      ['WRITABLE_ROOT_0_EXCLUDED_0', '/s'],
    ]);
  });

  test('protected ancestors come last, sorted, after the writable-root parameters (M1, M3)', () => {
    const policy = build({ writableRoots: [root], protectedAncestors: ['/w/b', '/w/a'] });
    expect(policy.params.map(([k, v]) => `${k}=${v}`)).toEqual([
      'WRITABLE_ROOT_0=/w',
      'WRITABLE_ROOT_0_EXCLUDED_0=/w/.codex',
      'PROTECTED_ANCESTOR_0=/w/a',
      'PROTECTED_ANCESTOR_1=/w/b',
    ]);
    expect(policy.text.trimEnd().split('\n').slice(-2)).toEqual([
      '(deny file-write-unlink (require-all (vnode-type DIRECTORY) (literal (param "PROTECTED_ANCESTOR_0"))))',
      '(deny file-write-unlink (require-all (vnode-type DIRECTORY) (literal (param "PROTECTED_ANCESTOR_1"))))',
    ]);
  });
});

describe('deny globs (M8)', () => {
  test('read and write denies for the subtree regex, unlink denies for each ancestor', () => {
    const policy = build({ fullDiskRead: false, readableRoots: ['/w'], denyGlobs: ['/w/**/*.env'] });
    expect(policy.text).toContain(
      '(deny file-read* (regex #"^/w/(.*/)?[^/]*\\.env(/.*)?$"))\n' +
        '(deny file-write* (regex #"^/w/(.*/)?[^/]*\\.env(/.*)?$"))\n' +
        '(deny file-write-unlink (require-all (vnode-type DIRECTORY) (regex #"^/w$")))\n' +
        '(deny file-write-unlink (require-all (vnode-type DIRECTORY) (regex #"^/w/.*$")))',
    );
  });
});

describe('platform defaults and preferences (M2, M3)', () => {
  test(':minimal without full read: the platform defaults, /Applications only for the process profile', () => {
    const process = build({ includePlatformDefaults: true, readableRoots: ['/w'] });
    expect(process.text).toContain(platformDefaults('process'));
    expect(process.text).toContain('(subpath "/Applications")');
    expect(process.text).not.toContain(PREFERENCES);
    const helper = build({ includePlatformDefaults: true, readableRoots: ['/w'], profile: 'file-system-helper' });
    expect(helper.text).not.toContain('/Applications');
  });

  test('a denied path inside a system location stays denied: the platform defaults exclude every denied path', () => {
    const policy = build({ includePlatformDefaults: true, readableRoots: ['/w'], unreadableRoots: ['/usr/share/secret', '/w/s'] });
    expect(policy.params).toEqual([
      ['READABLE_ROOT_0', '/w'],
      ['READABLE_ROOT_0_EXCLUDED_0', '/w/s'],
      ['PLATFORM_DEFAULTS_EXCLUDED_0', '/usr/share/secret'],
      ['PLATFORM_DEFAULTS_EXCLUDED_1', '/w/s'],
    ]);
    expect(policy.text).toContain(
      '    )\n    (require-not (literal (param "PLATFORM_DEFAULTS_EXCLUDED_0"))) (require-not (subpath (param "PLATFORM_DEFAULTS_EXCLUDED_0")))',
    );
    expect(policy.text).toMatch(/\(allow file-read\*\n  \(require-all\n    \(require-any\n      \(subpath "\/bin"\)/);
  });

  test('preferences only with full-disk read', () => {
    expect(build({ fullDiskRead: true }).text).toContain('(allow user-preference-read)');
    expect(build({ readableRoots: ['/'] }).text).not.toContain('user-preference-read');
  });
});

describe('network section (M9 to M12)', () => {
  test('network off: no network rule at all', () => {
    const text = build({}).text;
    expect(text).not.toMatch(/network-(outbound|inbound|bind)/);
    expect(text).not.toContain('com.apple.networkd');
  });

  test('network enabled: outbound and inbound, then the support rules', () => {
    const text = build({ network: { policy: 'enabled', unixSockets: { kind: 'none' } } }).text;
    expect(text).toContain(`; network: enabled\n(allow network-outbound)\n(allow network-inbound)\n${NETWORK_SUPPORT}`);
  });

  test('proxy-only: one localhost rule per port, no blanket outbound, even with network enabled', () => {
    const text = build({ network: { policy: 'enabled', proxy: { ports: [3128, 8081], allowLocalBinding: false }, unixSockets: { kind: 'none' } } }).text;
    expect(text).toContain('(allow network-outbound (remote ip "localhost:3128"))\n(allow network-outbound (remote ip "localhost:8081"))');
    expect(text).not.toContain('(allow network-outbound)');
    expect(text).not.toContain('"*:53"');
    expect(text).not.toContain('(allow network-bind');
  });

  test('proxy-only with local binding: bind, loopback in and out, DNS, then the ports', () => {
    const text = build({ network: { policy: 'restricted', proxy: { ports: [3128], allowLocalBinding: true }, unixSockets: { kind: 'none' } } }).text;
    expect(text).toContain(
      '(allow network-bind (local ip "*:*"))\n(allow network-inbound (local ip "localhost:*"))\n(allow network-outbound (remote ip "localhost:*"))\n' +
        '(allow network-outbound (remote ip "*:53"))\n(allow network-outbound (remote ip "localhost:3128"))',
    );
  });

  test('local binding without proxy ports: no DNS rule', () => {
    const text = build({ network: { policy: 'restricted', proxy: { ports: [], allowLocalBinding: true }, unixSockets: { kind: 'none' } } }).text;
    expect(text).not.toContain('"*:53"');
  });

  test('proxy configuration with no parseable loopback port: no outbound rule (fail closed)', () => {
    const ports = loopbackProxyPorts({ HTTP_PROXY: 'http://proxy.corp:8080', HTTPS_PROXY: '::::' });
    expect(ports).toEqual([]);
    const text = build({ network: { policy: 'enabled', proxy: { ports, allowLocalBinding: false }, unixSockets: { kind: 'none' } } }).text;
    expect(text).not.toContain('network-outbound');
    expect(text).toContain('; network: only through the proxy');
  });

  test('unix sockets by path: numbered parameters after every other parameter (M1, M10)', () => {
    const policy = build({
      writableRoots: [{ root: '/w', filter: 'subpath', excluded: [], protectedMetadataNames: [] }],
      protectedAncestors: ['/w/a'],
      network: { policy: 'restricted', unixSockets: { kind: 'paths', paths: ['/tmp/a.sock', '/var/run/b'] } },
    });
    expect(policy.params.map(([k]) => k)).toEqual(['WRITABLE_ROOT_0', 'PROTECTED_ANCESTOR_0', 'UNIX_SOCKET_PATH_0', 'UNIX_SOCKET_PATH_1']);
    expect(policy.text).toContain(
      '(allow system-socket (socket-domain AF_UNIX))\n' +
        '(allow network-bind (local unix-socket (subpath (param "UNIX_SOCKET_PATH_0"))))\n' +
        '(allow network-outbound (remote unix-socket (subpath (param "UNIX_SOCKET_PATH_0"))))',
    );
    // Network off plus sockets: proxy-restricted mode, no IP rule.
    expect(policy.text).not.toMatch(/remote ip/);
  });

  test('all unix sockets', () => {
    const text = build({ network: { policy: 'enabled', unixSockets: { kind: 'all' } } }).text;
    expect(text).toContain('(allow network-bind (local unix-socket))\n(allow network-outbound (remote unix-socket))');
  });
});

describe('loopbackProxyPorts (M9, N7)', () => {
  test.each<[Record<string, string>, number[]]>([
    [{ HTTP_PROXY: 'http://127.0.0.1:3128' }, [3128]],
    [{ https_proxy: 'https://localhost' }, [443]],
    [{ ALL_PROXY: 'socks5h://[::1]' }, [1080]],
    [{ HTTP_PROXY: '127.0.0.1:9000', HTTPS_PROXY: 'http://127.0.0.1:9000' }, [9000]],
    [{ HTTP_PROXY: 'http://localhost' }, [80]],
    [{ HTTP_PROXY: 'http://10.0.0.1:3128', NOT_A_PROXY: 'http://127.0.0.1:1' }, []],
    [{ HTTP_PROXY: '' }, []],
  ])('%j -> %j', (env, ports) => {
    expect(loopbackProxyPorts(env)).toEqual(ports);
  });
});
