// The front end's verification of codex-proxy-relay (proxy-relay.ts): the file next to the front
// end, its SHA-256 checked against the embedded digest, the descriptor of the checked bytes kept
// open for /proc/self/fd/N; the relay's own argument refusals, run directly.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { loadProxyRelay, ProxyRelayError } from '../src/proxy-relay.js';

function relayTestBinary(): string {
  const binary = process.env['CODEX_PROXY_RELAY_TEST_BINARY'];
  if (binary === undefined || !path.isAbsolute(binary)) throw new Error('CODEX_PROXY_RELAY_TEST_BINARY must be the absolute path of the Bazel-built codex-proxy-relay');
  return binary;
}

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'proxy-relay-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const frontEnd = (): string => path.join(dir, 'codex');
function copy(): string {
  const file = path.join(dir, 'codex-resources', 'codex-proxy-relay');
  fs.mkdirSync(path.dirname(file));
  fs.copyFileSync(relayTestBinary(), file);
  return file;
}
const digest = (file: string): string => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

describe('loadProxyRelay', () => {
  it('release: the relay next to the front end, verified, its descriptor kept open on the checked bytes', () => {
    const file = copy();
    const loaded = loadProxyRelay({ frontEndPath: frontEnd(), env: {}, digest: digest(file) });
    try {
      expect(loaded).toMatchObject({ path: file, verification: 'verified' });
      expect(fs.readFileSync(`/proc/self/fd/${loaded.fd}`).equals(fs.readFileSync(file))).toBe(true);
    } finally {
      fs.closeSync(loaded.fd);
    }
  });

  it('release: bytes that do not match the embedded digest refuse', () => {
    const file = copy();
    const expected = digest(file);
    fs.appendFileSync(file, 'x');
    expect(() => loadProxyRelay({ frontEndPath: frontEnd(), env: {}, digest: expected })).toThrow(ProxyRelayError);
    expect(() => loadProxyRelay({ frontEndPath: frontEnd(), env: {}, digest: expected })).toThrow(/the proxy tunnel relay .* does not match this build/);
  });

  it('release: a missing relay refuses, and the test binary variable is not consulted', () => {
    expect(() => loadProxyRelay({ frontEndPath: frontEnd(), env: { CODEX_PROXY_RELAY_TEST_BINARY: relayTestBinary() }, digest: '0'.repeat(63) + '1' })).toThrow(
      /the managed network proxy needs codex-resources\/codex-proxy-relay next to the front end; looked in .*codex-resources\/codex-proxy-relay \(ENOENT\)$/,
    );
  });

  it('development: the Bazel-built binary from $CODEX_PROXY_RELAY_TEST_BINARY, unverified', () => {
    const loaded = loadProxyRelay({ frontEndPath: frontEnd(), env: { CODEX_PROXY_RELAY_TEST_BINARY: relayTestBinary() }, digest: undefined });
    fs.closeSync(loaded.fd);
    expect(loaded).toMatchObject({ path: relayTestBinary(), verification: 'development' });
  });
});

describe('codex-proxy-relay refuses bad arguments', () => {
  it.each([
    [[], 'codex sandbox: proxy relay: --channel-fd and --parent-pid are required; usage: codex-proxy-relay --channel-fd N --parent-pid P\n'],
    [['--channel-fd', 'x', '--parent-pid', '1'], 'codex sandbox: proxy relay: --channel-fd x is not a descriptor number\n'],
    [['--bogus'], 'codex sandbox: proxy relay: unknown argument --bogus; usage: codex-proxy-relay --channel-fd N --parent-pid P\n'],
  ])('%j', (args, message) => {
    const result = spawnSync(relayTestBinary(), args, { encoding: 'utf8', env: {} });
    expect(result).toMatchObject({ status: 1, stdout: '', stderr: message });
  });

  it('exits at once when its parent is not the one named (the proxy is gone)', () => {
    const result = spawnSync(relayTestBinary(), ['--channel-fd', '0', '--parent-pid', '1'], { encoding: 'utf8', env: {}, timeout: 10_000 });
    expect(result).toMatchObject({ status: 0, stdout: '', stderr: '' });
  });
});
