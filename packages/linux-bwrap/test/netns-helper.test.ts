// codex-netns-helper's refusals, run directly (they happen before it binds or forks, so no sandbox
// is needed), and the front end's verification of the helper's bytes (netns-helper.ts).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { encodeNetnsHelperSpec } from '@codex-sandbox/policy';

import { loadNetnsHelper, NetnsHelperError } from '../src/netns-helper.js';
import { buildSeccompProgram } from '../src/seccomp.js';
import { netnsHelperTestBinary } from './support/env.js';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netns-helper-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Runs the helper with `spec` on descriptor 3. */
function helper(spec: Uint8Array | undefined, args: string[] = ['--spec-fd', '3', '--', 'sh', '-c', 'echo ran']) {
  const file = path.join(dir, 'spec.bin');
  fs.writeFileSync(file, spec ?? new Uint8Array());
  const fd = fs.openSync(file, 'r');
  try {
    return spawnSync(netnsHelperTestBinary(), args, { stdio: ['ignore', 'pipe', 'pipe', fd], encoding: 'utf8' });
  } finally {
    fs.closeSync(fd);
  }
}

const PROGRAM = buildSeccompProgram('proxy-routed', process.arch);

describe('codex-netns-helper refuses before starting the command', () => {
  it.each([
    ['no --spec-fd', undefined, ['--', 'true'], 'codex sandbox: network bridge: --spec-fd is required; usage: codex-netns-helper --spec-fd N -- COMMAND [ARG...]\n'],
    ['a descriptor below 3', undefined, ['--spec-fd', '2', '--', 'true'], 'codex sandbox: network bridge: --spec-fd 2 is not a descriptor number of 3 or more\n'],
    ['no command', undefined, ['--spec-fd', '3', '--'], 'codex sandbox: network bridge: no command after --\n'],
    ['bytes that are not a spec', new Uint8Array([0xff, 0xff, 0xff]), undefined, 'codex sandbox: network bridge: the spec on descriptor 3 is not a valid NetnsHelperSpec message\n'],
  ])('%s', (_what, spec, args, message) => {
    const result = helper(spec, args);
    expect({ status: result.status, stdout: result.stdout, stderr: result.stderr }).toEqual({ status: 1, stdout: '', stderr: message });
  });

  it('a spec without a seccomp program', () => {
    // Encoded by hand: the policy package refuses to encode such a spec at all.
    const route = Buffer.concat([Buffer.from([0x08, 0xbc, 0x18, 0x12, 0x02]), Buffer.from('/s')]);
    const spec = Buffer.concat([Buffer.from([0x0a, route.length]), route]);
    expect(helper(spec).stderr).toBe('codex sandbox: network bridge: the spec\'s seccomp program has 0 bytes (required: 1-4096 instructions of 8 bytes)\n');
  });

  it('a route whose proxy socket is not there', () => {
    const missing = path.join(dir, 'missing.sock');
    const result = helper(encodeNetnsHelperSpec({ routes: [{ listenPort: 3128, socketPath: missing }], seccompProgram: PROGRAM }));
    expect(result.stdout).toBe('');
    expect(result.status).toBe(1);
    expect(result.stderr).toBe(`codex sandbox: network bridge: cannot reach the proxy socket ${missing}: No such file or directory\n`);
  });

  it('a route held open by the front end is not probed: the same missing socket does not stop the command', () => {
    // In a network namespace of its own (as bwrap runs it), so that port 3128 is free.
    const missing = path.join(dir, 'missing.sock');
    const spec = encodeNetnsHelperSpec({ routes: [{ listenPort: 3128, socketPath: missing, heldOpen: true }], seccompProgram: PROGRAM });
    const file = path.join(dir, 'spec.bin');
    fs.writeFileSync(file, spec);
    const fd = fs.openSync(file, 'r');
    try {
      const result = spawnSync('unshare', ['--user', '--map-root-user', '--net', '--', netnsHelperTestBinary(), '--spec-fd', '3', '--', 'sh', '-c', 'echo ran'], { stdio: ['ignore', 'pipe', 'pipe', fd], encoding: 'utf8' });
      expect({ status: result.status, stdout: result.stdout, stderr: result.stderr }).toEqual({ status: 0, stdout: 'ran\n', stderr: '' });
    } finally {
      fs.closeSync(fd);
    }
  });
});

describe('loadNetnsHelper', () => {
  function copy(): string {
    const file = path.join(dir, 'codex-resources', 'codex-netns-helper');
    fs.mkdirSync(path.dirname(file));
    fs.copyFileSync(netnsHelperTestBinary(), file);
    return file;
  }
  const frontEnd = (): string => path.join(dir, 'codex');
  const digest = (file: string): string => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

  it('release: the helper next to the front end, verified, its exact bytes', () => {
    const file = copy();
    const loaded = loadNetnsHelper({ frontEndPath: frontEnd(), env: {}, digest: digest(file) });
    expect(loaded.path).toBe(file);
    expect(loaded.verification).toBe('verified');
    expect(loaded.bytes.equals(fs.readFileSync(file))).toBe(true);
  });

  it('release: a front end reached through a symlink (the codex-linux-sandbox arg0 link) finds the helper beside the real program', () => {
    const file = copy();
    fs.writeFileSync(frontEnd(), '');
    const elsewhere = fs.mkdtempSync(path.join(dir, 'links-'));
    const link = path.join(elsewhere, 'codex-linux-sandbox');
    fs.symlinkSync(frontEnd(), link);
    const loaded = loadNetnsHelper({ frontEndPath: link, env: {}, digest: digest(file) });
    expect(loaded.path).toBe(fs.realpathSync(file));
  });

  it('release: bytes that do not match the embedded digest refuse', () => {
    const file = copy();
    const expected = digest(file);
    fs.appendFileSync(file, 'x');
    expect(() => loadNetnsHelper({ frontEndPath: frontEnd(), env: {}, digest: expected })).toThrow(NetnsHelperError);
    expect(() => loadNetnsHelper({ frontEndPath: frontEnd(), env: {}, digest: expected })).toThrow(/does not match this build/);
  });

  it('release: the test binary variable is not consulted', () => {
    expect(() => loadNetnsHelper({ frontEndPath: frontEnd(), env: { CODEX_NETNS_HELPER_TEST_BINARY: netnsHelperTestBinary() }, digest: '0'.repeat(63) + '1' })).toThrow(
      /needs codex-resources\/codex-netns-helper next to the front end; looked in .*codex-resources\/codex-netns-helper \(ENOENT\)$/,
    );
  });

  it('development: the Bazel-built binary from $CODEX_NETNS_HELPER_TEST_BINARY, unverified', () => {
    const loaded = loadNetnsHelper({ frontEndPath: frontEnd(), env: { CODEX_NETNS_HELPER_TEST_BINARY: netnsHelperTestBinary() }, digest: undefined });
    expect(loaded).toMatchObject({ path: netnsHelperTestBinary(), verification: 'development' });
  });
});
