// The files the policy package reads (config.toml, NAME.config.toml, requirements.toml, a `.git`
// pointer): only regular files, capped in size, valid UTF-8; real FIFOs, devices and files.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, firstInvalidUtf8Offset, loadConfig, resolveSandboxPolicy } from '@codex-sandbox/policy';
import { MAX_POLICY_FILE_BYTES, readPolicyTextFile } from '../src/read-file.js';
import { workspaceWriteProfile } from '../src/builtins.js';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'policy-read-file-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function mkfifo(file: string): void {
  const made = spawnSync('mkfifo', [file]);
  if (made.status !== 0) throw new Error(`mkfifo failed: ${made.stderr.toString()}`);
}

function load(extra: { profileName?: string; requirementsPath?: string } = {}) {
  return loadConfig({ codexHome: dir, overrides: [], cwd: dir, homeDir: dir, env: {}, ...extra });
}

describe('firstInvalidUtf8Offset', () => {
  test.each([
    ['ascii', [0x61, 0x62], -1],
    ['two-byte é', [0xc3, 0xa9], -1],
    ['four-byte emoji', [0xf0, 0x9f, 0x98, 0x80], -1],
    ['lone 0xff', [0x6b, 0xff], 1],
    ['truncated sequence', [0x61, 0xe2, 0x82], 1],
    ['overlong slash', [0xc0, 0xaf], 0],
    ['overlong three-byte', [0xe0, 0x80, 0xaf], 0],
    ['UTF-16 surrogate', [0xed, 0xa0, 0x80], 0],
    ['past U+10FFFF', [0xf4, 0x90, 0x80, 0x80], 0],
    ['stray continuation', [0x61, 0x80], 1],
  ])('%s', (_name, bytes, expected) => {
    expect(firstInvalidUtf8Offset(Uint8Array.from(bytes))).toBe(expected);
    // Agrees with a strict decoder on validity.
    const strict = (() => {
      try {
        new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(bytes));
        return -1;
      } catch {
        return 'invalid';
      }
    })();
    expect(strict === -1).toBe(expected === -1);
  });
});

describe('config.toml that is not a plain, reasonable text file is refused with its path', () => {
  test('a FIFO: refused at once instead of blocking forever', () => {
    mkfifo(path.join(dir, 'config.toml'));
    expect(() => load()).toThrow(ConfigError);
    expect(() => load()).toThrow(`${path.join(dir, 'config.toml')}: config file is a FIFO (named pipe); only a regular file is read`);
  });

  test('a symlink to /dev/zero: refused instead of reading without end', () => {
    fs.symlinkSync('/dev/zero', path.join(dir, 'config.toml'));
    expect(() => load()).toThrow(/config\.toml: config file is a character device; only a regular file is read$/);
  });

  test('a directory', () => {
    fs.mkdirSync(path.join(dir, 'config.toml'));
    expect(() => load()).toThrow(/config\.toml: config file is a directory; only a regular file is read$/);
  });

  test('a file over the cap names the limit; one at the cap is read', () => {
    const file = path.join(dir, 'config.toml');
    const comment = (n: number) => `#${'x'.repeat(n - 2)}\n`;
    fs.writeFileSync(file, comment(MAX_POLICY_FILE_BYTES));
    expect(load().warnings).toEqual([]);
    fs.writeFileSync(file, comment(MAX_POLICY_FILE_BYTES + 1));
    expect(() => load()).toThrow(/config\.toml: config file is larger than the limit of 1\.0 MiB/);
  });

  test('bytes that are not UTF-8 are refused (not replaced with U+FFFD)', () => {
    fs.writeFileSync(path.join(dir, 'config.toml'), Buffer.concat([Buffer.from('sandbox_mode = "read-only"\n# caf'), Buffer.from([0xe9]), Buffer.from('\n')]));
    expect(() => load()).toThrow(/config\.toml: config file is not valid UTF-8 \(byte offset 32\); save it as UTF-8$/);
  });

  test('a -p layer that is a FIFO is refused the same way', () => {
    mkfifo(path.join(dir, 'work.config.toml'));
    expect(() => load({ profileName: 'work' })).toThrow(/work\.config\.toml: config file is a FIFO/);
  });

  test('a missing config.toml is still no config, and a regular file behind a symlink is read', () => {
    expect(load().layers).toEqual([]);
    fs.writeFileSync(path.join(dir, 'real.toml'), 'sandbox_mode = "workspace-write"\n');
    fs.symlinkSync(path.join(dir, 'real.toml'), path.join(dir, 'config.toml'));
    expect(load().merged['sandbox_mode']).toBe('workspace-write');
  });
});

describe('requirements.toml', () => {
  test('a FIFO and /dev/zero are refused; a missing one means no requirements', () => {
    const file = path.join(dir, 'requirements.toml');
    expect(load({ requirementsPath: file }).requirements).toBeUndefined();
    mkfifo(file);
    expect(() => load({ requirementsPath: file })).toThrow(/requirements\.toml: requirements file is a FIFO \(named pipe\)/);
    expect(() => load({ requirementsPath: '/dev/zero' })).toThrow('/dev/zero: requirements file is a character device; only a regular file is read');
  });
});

describe('a `.git` pointer file in a writable root', () => {
  test('a FIFO `.git` does not hang policy resolution, and `.git` stays protected', () => {
    const ws = path.join(dir, 'ws');
    fs.mkdirSync(ws);
    mkfifo(path.join(ws, '.git'));
    const policy = resolveSandboxPolicy(workspaceWriteProfile(), { cwd: ws, workspaceRoots: [ws], env: {} });
    const root = policy.writableRoots.find((r) => r.root === ws);
    expect(root?.readOnlySubpaths).toContain(path.join(ws, '.git'));
  });
});

test('readPolicyTextFile returns the text of a regular file', () => {
  const file = path.join(dir, 'x.toml');
  fs.writeFileSync(file, 'a = "é"\n');
  expect(readPolicyTextFile(file, { what: 'config file' })).toBe('a = "é"\n');
  expect(readPolicyTextFile(path.join(dir, 'missing.toml'), { what: 'config file' })).toBeUndefined();
});
