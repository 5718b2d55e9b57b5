import * as fs from 'node:fs';
import * as path from 'node:path';

import { openVerifiedBwrap } from '@codex-sandbox/bundled-bwrap';

import { capabilitiesFromOptions, parseHelpOptions, runHelpProbe } from '../src/capabilities.js';
import { bundledLauncher, chooseLauncher, findSystemBwrapCandidates, systemLauncher } from '../src/launcher.js';
import { ProbeCache } from '../src/probe-cache.js';
import { BubblewrapUnavailableError, UnsupportedBwrapError } from '../src/runtime-errors.js';
import { NO_SYSTEM_BWRAP_WARNING } from '../src/warnings.js';

import { codexBwrapTestBinary, privateTempDir, removeTree, systemBwrapPath } from './support/env.js';

let work: string;
beforeEach(() => {
  work = privateTempDir('launcher-test-');
});
afterEach(() => removeTree(work));

/** A fake `bwrap` script whose --help lists `options` and which logs each invocation to `log`. */
function fakeBwrap(dir: string, options: string[], log: string): string {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'bwrap');
  const help = options.map((o) => `    ${o} ARG    does things`).join('\n');
  fs.writeFileSync(file, `#!/bin/sh\necho "$@" >> '${log}'\ncat <<'HELP'\nusage: bwrap [OPTIONS...] [--] COMMAND [ARGS...]\n${help}\nHELP\n`, { mode: 0o755 });
  return file;
}

function openBundledTestBinary() {
  const { path: binary, sha256 } = codexBwrapTestBinary();
  return () => openVerifiedBwrap(binary, { mode: 'release', sha256 });
}

describe('parseHelpOptions / capabilitiesFromOptions', () => {
  it('reads the options of the system bwrap (0.8.0 has everything needed but no --argv0)', () => {
    const bwrap = systemBwrapPath();
    const options = runHelpProbe({ file: bwrap, argv0: 'bwrap' });
    const caps = capabilitiesFromOptions(options);
    expect(caps.missingRequired).toEqual([]);
    expect(caps.usable).toBe(true);
    expect(options).toContain('--perms');
    expect(options).toContain('--json-status-fd');
  });

  it('reads the options of codex-bwrap 0.12.0', () => {
    const options = runHelpProbe({ file: codexBwrapTestBinary().path, argv0: 'bwrap' });
    expect(capabilitiesFromOptions(options).usable).toBe(true);
    expect(options).toContain('--argv0');
  });

  it.each([
    ['    --perms OCTAL   Set permissions', ['--perms']],
    ['--foo, --bar-baz X\n  [--qux]', ['--bar-baz', '--foo', '--qux']],
    ['no options here -- really', []],
  ])('parses %j', (text, expected) => {
    expect(parseHelpOptions(text)).toEqual(expected);
  });

  it('an old bwrap without --perms or --seccomp is unusable', () => {
    const caps = capabilitiesFromOptions(['--bind', '--ro-bind', '--unshare-user']);
    expect(caps.usable).toBe(false);
    expect(caps.missingRequired).toContain('--perms');
    expect(caps.missingRequired).toContain('--seccomp');
  });

  it('a binary that cannot be spawned has no options', () => {
    expect(runHelpProbe({ file: path.join(work, 'missing'), argv0: 'bwrap' })).toEqual([]);
  });
});

describe('findSystemBwrapCandidates', () => {
  it('skips PATH entries inside the workspace, and relative entries resolving there', () => {
    const workspace = path.join(work, 'ws');
    const log = path.join(work, 'log');
    fakeBwrap(path.join(workspace, 'bin'), [], log);
    const outside = fakeBwrap(path.join(work, 'outside'), [], log);
    const pathEnv = [path.join(workspace, 'bin'), 'bin', path.join(work, 'outside')].join(':');
    expect(findSystemBwrapCandidates(pathEnv, workspace, [workspace])).toEqual([fs.realpathSync(outside)]);
  });

  it('skips a bwrap that is a symlink into the workspace', () => {
    const workspace = path.join(work, 'ws');
    const inside = fakeBwrap(path.join(workspace, 'bin'), [], path.join(work, 'log'));
    fs.mkdirSync(path.join(work, 'links'));
    fs.symlinkSync(inside, path.join(work, 'links', 'bwrap'));
    expect(findSystemBwrapCandidates(path.join(work, 'links'), '/', [workspace])).toEqual([]);
  });

  it('skips non-executable files and does not let `/` exclude everything', () => {
    const dir = path.join(work, 'plain');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'bwrap'), 'not executable', { mode: 0o644 });
    const good = fakeBwrap(path.join(work, 'good'), [], path.join(work, 'log'));
    expect(findSystemBwrapCandidates(`${dir}:${path.join(work, 'good')}`, '/', ['/'])).toEqual([fs.realpathSync(good)]);
  });

  it('finds nothing without PATH', () => {
    expect(findSystemBwrapCandidates(undefined, '/', [])).toEqual([]);
  });
});

describe('chooseLauncher', () => {
  it('prefers a usable system bwrap and probes it once per binary identity (cached on disk)', () => {
    const cacheDir = path.join(work, 'cache', 'codex-sandbox');
    const log = path.join(work, 'calls');
    const required = capabilitiesFromOptions([]).missingRequired;
    fakeBwrap(path.join(work, 'sys'), required, log);
    const options = { env: { PATH: path.join(work, 'sys') }, cwd: '/', excludeUnder: [], openBundled: openBundledTestBinary() };
    const first = chooseLauncher({ ...options, cache: new ProbeCache(cacheDir) });
    expect(first.choice.kind).toBe('system');
    expect(first.warnings).toEqual([]);
    expect(first.choice.capabilities.usable).toBe(true);
    expect(fs.statSync(cacheDir).mode & 0o777).toBe(0o700);
    // A new process (new ProbeCache) reuses the cached capabilities.
    chooseLauncher({ ...options, cache: new ProbeCache(cacheDir) });
    expect(fs.readFileSync(log, 'utf8').trim().split('\n')).toEqual(['--help']);
    // Replacing the binary changes its identity: probed again.
    fakeBwrap(path.join(work, 'sys'), [...required, '--argv0'], log);
    fs.utimesSync(path.join(work, 'sys', 'bwrap'), new Date(), new Date(Date.now() + 5000));
    const third = chooseLauncher({ ...options, cache: new ProbeCache(cacheDir) });
    expect(third.choice.capabilities.usable).toBe(true);
    expect(fs.readFileSync(log, 'utf8').trim().split('\n')).toEqual(['--help', '--help']);
  });

  it('a corrupt or unwritable cache just means probing again', () => {
    const cacheDir = path.join(work, 'cache');
    fs.mkdirSync(cacheDir);
    fs.writeFileSync(path.join(cacheDir, 'bwrap-probes.json'), '{not json');
    const log = path.join(work, 'calls');
    fakeBwrap(path.join(work, 'sys'), capabilitiesFromOptions([]).missingRequired, log);
    const options = { env: { PATH: path.join(work, 'sys') }, cwd: '/', excludeUnder: [] };
    expect(chooseLauncher({ ...options, cache: new ProbeCache(cacheDir) }).choice.kind).toBe('system');
    const blocked = path.join(work, 'file-not-dir');
    fs.writeFileSync(blocked, '');
    expect(chooseLauncher({ ...options, cache: new ProbeCache(path.join(blocked, 'sub')) }).choice.kind).toBe('system');
    expect(chooseLauncher({ ...options, cache: new ProbeCache(path.join(blocked, 'sub')) }).choice.kind).toBe('system');
    expect(fs.readFileSync(log, 'utf8').trim().split('\n')).toEqual(['--help', '--help', '--help']);
  });

  it('falls back to the bundled codex-bwrap when the system one lacks needed options, with a warning', () => {
    const oldOptions = capabilitiesFromOptions([]).missingRequired.filter((o) => o !== '--perms' && o !== '--seccomp');
    fakeBwrap(path.join(work, 'old'), oldOptions, path.join(work, 'log'));
    const selection = chooseLauncher({
      env: { PATH: path.join(work, 'old') },
      cwd: '/',
      excludeUnder: [],
      cache: ProbeCache.disabled(),
      openBundled: openBundledTestBinary(),
    });
    try {
      expect(selection.choice.kind).toBe('bundled');
      expect(selection.choice.exec.file).toMatch(/^\/proc\/self\/fd\/\d+$/);
      expect(selection.warnings).toHaveLength(1);
      expect(selection.warnings[0]).toMatch(/cannot be used: its --help does not list --perms, --seccomp \(/);
      expect(selection.warnings[0]).toMatch(/apt install bubblewrap/);
    } finally {
      selection.choice.release();
    }
  });

  it('falls back to the bundled codex-bwrap with the install warning when PATH has no bwrap', () => {
    const selection = chooseLauncher({
      env: { PATH: work },
      cwd: '/',
      excludeUnder: [],
      cache: ProbeCache.disabled(),
      openBundled: openBundledTestBinary(),
    });
    try {
      expect(selection.choice.kind).toBe('bundled');
      expect(selection.warnings).toEqual([NO_SYSTEM_BWRAP_WARNING]);
      expect(NO_SYSTEM_BWRAP_WARNING).toMatch(/^codex sandbox could not find bubblewrap on PATH\. Install a system bubblewrap with your OS package manager: `apt install bubblewrap`/);
    } finally {
      selection.choice.release();
    }
  });

  it('fails clearly when neither a system nor a bundled bwrap exists', () => {
    expect(() => chooseLauncher({ env: { PATH: work }, cwd: '/', excludeUnder: [], cache: ProbeCache.disabled() })).toThrow(
      BubblewrapUnavailableError,
    );
  });

  it('systemLauncher and bundledLauncher refuse binaries lacking needed options', () => {
    const fake = fakeBwrap(path.join(work, 'old'), ['--bind'], path.join(work, 'log'));
    expect(() => systemLauncher(fake, ProbeCache.disabled())).toThrow(UnsupportedBwrapError);
    const opened = openVerifiedBwrap(fake, { mode: 'development', reason: 'absent' });
    expect(() => bundledLauncher(opened, ProbeCache.disabled())).toThrow(/does not list/);
    expect(opened.isOpen).toBe(false);
  });

  it('uses the real system bwrap from PATH', () => {
    const selection = chooseLauncher({
      env: { PATH: path.dirname(systemBwrapPath()) },
      cwd: '/',
      excludeUnder: [],
      cache: ProbeCache.disabled(),
    });
    expect(selection.choice).toMatchObject({ kind: 'system', path: systemBwrapPath() });
  });
});
