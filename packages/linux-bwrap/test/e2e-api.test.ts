// End to end, in process: the library API (createLinuxSandbox, one sandbox object per run or many
// runs) with real bwrap. Covers what a long-lived Node program relies on: probes are paid
// once (in memory and on disk), the bundled fallback, the /proc fallback, WSL1 refusal, and
// fail-closed refusals before anything runs.

import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { openVerifiedBwrap } from '@codex-sandbox/bundled-bwrap';
import type { ResolvedSandboxPolicy } from '@codex-sandbox/policy';

import { systemLauncher } from '../src/launcher.js';
import { isProcMountRefusal, userNamespaceProbeFailed, type ProbeRun } from '../src/preflight.js';
import { identityKey, identityOfStat, ProbeCache } from '../src/probe-cache.js';
import { defaultRegistryDir } from '../src/registry.js';
import { assignDataDescriptors } from '../src/descriptors.js';
import type { SandboxPlan } from '../src/run-plan.js';
import type { SandboxRunRequest, SandboxRunResult } from '../src/run-request.js';
import { createLinuxSandbox, type LinuxSandboxOptions } from '../src/runner.js';
import { PlaceholderRegistryError, SandboxRequestError, Wsl1UnsupportedError } from '../src/runtime-errors.js';
import { NO_SYSTEM_BWRAP_WARNING, USER_NAMESPACE_WARNING } from '../src/warnings.js';

import { readOnlyPolicy, workspacePolicy } from './support/e2e.js';
import { codexBwrapTestBinary, privateTempDir, removeTree, systemBwrapPath } from './support/env.js';

jest.setTimeout(30_000);

let work: string;
beforeEach(() => {
  work = privateTempDir('linux-bwrap-api-');
});
afterEach(() => removeTree(work));

function workspace(): string {
  const ws = path.join(work, `ws-${Math.random().toString(16).slice(2)}`);
  fs.mkdirSync(ws);
  return ws;
}

/** A wrapper around the system bwrap that logs the first argument of every invocation. */
function loggingBwrap(log: string): string {
  const file = path.join(work, 'bin', 'bwrap');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `#!/bin/sh\necho "$1" >> '${log}'\nexec '${systemBwrapPath()}' "$@"\n`, { mode: 0o755 });
  return file;
}

function logLines(log: string): string[] {
  return fs.existsSync(log) ? fs.readFileSync(log, 'utf8').trim().split('\n') : [];
}

function capture(): { onSpawn: (child: ChildProcess) => void; stdout: () => string; stderr: () => string } {
  let out = '';
  let err = '';
  return {
    onSpawn: (child) => {
      child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    },
    stdout: () => out,
    stderr: () => err,
  };
}

/** One run on a fresh sandbox object (what a one-shot front end does). */
async function runSandboxed(req: SandboxRunRequest, options: LinuxSandboxOptions): Promise<SandboxRunResult> {
  const sandbox = createLinuxSandbox(options);
  try {
    return await sandbox.run(req);
  } finally {
    sandbox.dispose();
  }
}

async function planSandboxedRun(req: SandboxRunRequest, options: LinuxSandboxOptions): Promise<SandboxPlan> {
  const sandbox = createLinuxSandbox(options);
  try {
    return await sandbox.plan(req);
  } finally {
    sandbox.dispose();
  }
}

function request(policy: ResolvedSandboxPolicy, command: string[], extra: Partial<SandboxRunRequest> = {}): SandboxRunRequest {
  return { policy, command, commandCwd: policy.cwd, env: { PATH: '/usr/bin:/bin' }, stdio: 'pipe', ...extra };
}

describe('probes are paid once', () => {
  it('a sandbox object probes on its first run only; a new process reuses the on-disk cache', async () => {
    const log = path.join(work, 'bwrap.log');
    const wrapper = loggingBwrap(log);
    const cacheDir = path.join(work, 'cache');
    const env = { PATH: `${path.dirname(wrapper)}:/usr/bin:/bin` };
    const ws = workspace();
    const sandbox = createLinuxSandbox({ env, cacheDir, tmpDir: work });
    try {
      expect((await sandbox.run(request(workspacePolicy(ws), ['true']))).exitCode).toBe(0);
      // --help, the /proc preflight (which also proves user namespaces), the run.
      expect(logLines(log)).toEqual(['--help', '--new-session', '--json-status-fd']);
      expect((await sandbox.run(request(workspacePolicy(ws), ['true']))).exitCode).toBe(0);
      expect(logLines(log)).toHaveLength(4);
    } finally {
      sandbox.dispose();
    }
    fs.writeFileSync(log, '');
    const second = await runSandboxed(request(workspacePolicy(ws), ['sh', '-c', 'exit 5']), { env, cacheDir, tmpDir: work });
    expect(second).toEqual({ exitCode: 5, warnings: [] });
    expect(logLines(log)).toEqual(['--json-status-fd']);
    // Without a cache every run pays again.
    fs.writeFileSync(log, '');
    await runSandboxed(request(workspacePolicy(ws), ['true']), { env, cacheDir: null, tmpDir: work });
    expect(logLines(log)).toEqual(['--help', '--new-session', '--json-status-fd']);
  });

  it('a full-network policy runs the user-namespace probe separately and caches its success', async () => {
    const log = path.join(work, 'bwrap.log');
    const wrapper = loggingBwrap(log);
    const cacheDir = path.join(work, 'cache');
    const ws = workspace();
    const policy = workspacePolicy(ws, { network: 'enabled' });
    const options = { env: { PATH: `${path.dirname(wrapper)}:/usr/bin:/bin` }, cacheDir, tmpDir: work };
    expect((await runSandboxed(request(policy, ['true']), options)).exitCode).toBe(0);
    expect(logLines(log)).toEqual(['--help', '--new-session', '--unshare-user', '--json-status-fd']);
    fs.writeFileSync(log, '');
    expect((await runSandboxed(request(policy, ['true']), options)).exitCode).toBe(0);
    expect(logLines(log)).toEqual(['--json-status-fd']);
  });
});

describe('host facts from the cache', () => {
  it('a cached /proc refusal runs with the host /proc hidden instead of a fresh one', async () => {
    const cacheDir = path.join(work, 'cache');
    const bwrap = systemBwrapPath();
    const cache = new ProbeCache(cacheDir);
    const identity = identityOfStat(bwrap, fs.statSync(bwrap));
    const hostId = `${fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim()}:${process.geteuid?.() ?? 0}`;
    cache.updateHost(identity, hostId, (facts) => {
      facts.procMount = { isolated: 'no-proc' };
      facts.userNamespacesOk = true;
    });
    expect(cache.hostFacts(identity, hostId)?.procMount?.['isolated']).toBe('no-proc');
    expect(identityKey(identity)).toContain(bwrap);
    const ws = workspace();
    const out = capture();
    const result = await runSandboxed(
      request(workspacePolicy(ws), ['sh', '-c', 'if test -e /proc/1; then echo proc-visible; else echo proc-hidden; fi'], { onSpawn: out.onSpawn }),
      { bwrap: systemLauncher(bwrap, cache), cacheDir, tmpDir: work },
    );
    expect(result.exitCode).toBe(0);
    expect(out.stdout()).toBe('proc-hidden\n');
    const plan = await planSandboxedRun(request(workspacePolicy(ws), ['true']), { bwrap: systemLauncher(bwrap, cache), cacheDir, tmpDir: work });
    expect(plan.mountProc).toBe(false);
    expect(plan.argv).toEqual(expect.arrayContaining(['--tmpfs', '/proc']));
  });

  it('mountProc: false never mounts a fresh /proc and runs no /proc preflight', async () => {
    const log = path.join(work, 'bwrap.log');
    const wrapper = loggingBwrap(log);
    const options = { env: { PATH: `${path.dirname(wrapper)}:/usr/bin:/bin` }, cacheDir: path.join(work, 'cache'), tmpDir: work };
    const ws = workspace();
    const probe = ['sh', '-c', 'if test -e /proc/self/status; then echo proc; else echo no-proc; fi'];
    const out = capture();
    const result = await runSandboxed(request(workspacePolicy(ws), probe, { onSpawn: out.onSpawn, mountProc: false }), options);
    expect(result.exitCode).toBe(0);
    expect(out.stdout()).toBe('no-proc\n');
    // --help, the user-namespace probe (no /proc preflight proved it), the run.
    expect(logLines(log)).toEqual(['--help', '--unshare-user', '--json-status-fd']);
    const plan = await planSandboxedRun(request(workspacePolicy(ws), ['true'], { mountProc: false }), options);
    expect(plan.mountProc).toBe(false);
    expect(plan.argv).toEqual(expect.arrayContaining(['--tmpfs', '/proc']));
    expect(plan.argv).not.toContain('--proc');
    // Without the option the same sandbox setup mounts a fresh /proc.
    const again = capture();
    await runSandboxed(request(workspacePolicy(ws), probe, { onSpawn: again.onSpawn }), options);
    expect(again.stdout()).toBe('proc\n');
  });

  it.each([
    ["bwrap: Can't mount proc on /newroot/proc: Operation not permitted", true],
    ["bwrap: Can't mount proc on /newroot/proc: Invalid argument", true],
    ["bwrap: Can't mount proc on /newroot/proc: Permission denied", true],
    ["bwrap: Can't mount proc on /proc: Operation not permitted", true],
    ["bwrap: Can't mount proc on /newroot/proc: No such device", false],
    ["bwrap: Can't mount proc on /newroot/procfoo: Operation not permitted", false],
    ['bwrap: execvp true: No such file or directory', false],
  ])('isProcMountRefusal(%j) = %s', (stderr, expected) => {
    expect(isProcMountRefusal(stderr)).toBe(expected);
  });

  const run = (over: Partial<ProbeRun>): ProbeRun => ({ exitCode: 1, signal: null, timedOut: false, spawnFailed: false, stderr: '', ...over });
  it.each([
    [run({ stderr: 'bwrap: loopback: Failed RTM_NEWADDR: Operation not permitted' }), true],
    [run({ stderr: 'bwrap: loopback: Failed RTM_NEWLINK: Operation not permitted' }), true],
    [run({ stderr: 'bwrap: setting up uid map: Permission denied' }), true],
    [run({ stderr: 'bwrap: No permissions to create a new namespace, likely because the kernel does not allow non-privileged user namespaces.' }), true],
    [run({ stderr: 'bwrap: No permissions to create new namespace, likely because the kernel does not allow non-privileged user namespaces. See <https://deb.li/bubblewrap>' }), true],
    // LL5: what bwrap says inside a sandbox that forbids more user namespaces (or max_user_namespaces = 0).
    [run({ stderr: 'bwrap: Creating new namespace failed: nesting depth or /proc/sys/user/max_*_namespaces exceeded (ENOSPC)' }), true],
    [run({ stderr: 'bwrap: Unknown option --argv0' }), false],
    [run({ exitCode: 0, stderr: 'bwrap: setting up uid map: Permission denied' }), false],
    [run({ exitCode: null, timedOut: true, stderr: 'bwrap: setting up uid map: Permission denied' }), false],
    [run({ exitCode: null, spawnFailed: true }), false],
  ])('userNamespaceProbeFailed #%#', (probe, expected) => {
    expect(userNamespaceProbeFailed(probe)).toBe(expected);
  });

  it('the user-namespace warning text names the product', () => {
    expect(USER_NAMESPACE_WARNING).toMatch(/^codex sandbox uses bubblewrap and needs access to create user namespaces\./);
  });

  it('the user-namespace warning names the Landlock backend as the way to run without namespaces (LL5)', () => {
    expect(USER_NAMESPACE_WARNING).toContain('features.use_legacy_landlock = true');
    expect(USER_NAMESPACE_WARNING).toContain('-c features.use_legacy_landlock=true');
  });
});

describe('the probe cache inside the sandbox', () => {
  it('is read-only for a command whose writable root contains it (workspace-write with cwd = HOME)', async () => {
    const home = workspace();
    const env = { PATH: '/usr/bin:/bin', HOME: home };
    const cacheFile = path.join(home, '.cache', 'codex-sandbox', 'bwrap-probes.json');
    const options = { env, tmpDir: work };
    // The first run probes and writes the cache at its default place under HOME.
    expect((await runSandboxed(request(workspacePolicy(home), ['true']), options)).exitCode).toBe(0);
    const before = fs.readFileSync(cacheFile, 'utf8');
    expect(before).toContain('"procMount"');
    const out = capture();
    const script = [
      'echo forged > "$1" && echo overwrote',
      'rm -f "$1" && echo removed',
      'touch "$2/planted" && echo planted',
      'mv "$2" "$2.moved" && echo moved',
      'true',
    ].join('; ');
    const result = await runSandboxed(
      request(workspacePolicy(home), ['sh', '-c', script, 'sh', cacheFile, path.dirname(cacheFile)], { onSpawn: out.onSpawn }),
      options,
    );
    expect(result.exitCode).toBe(0);
    expect(out.stdout()).toBe('');
    expect(out.stderr()).toMatch(/Read-only file system/);
    expect(fs.readFileSync(cacheFile, 'utf8')).toBe(before);
    expect(fs.readdirSync(path.dirname(cacheFile)).sort()).toEqual(['bwrap-probes.json', 'placeholders']);
    // The rest of HOME stays writable.
    expect((await runSandboxed(request(workspacePolicy(home), ['touch', 'ok']), options)).exitCode).toBe(0);
    expect(fs.existsSync(path.join(home, 'ok'))).toBe(true);
  });

  it('a tampered cache file is read as plain data (prototype keys, wrong types are dropped)', () => {
    const cacheDir = path.join(work, 'cache');
    fs.mkdirSync(cacheDir);
    fs.writeFileSync(
      path.join(cacheDir, 'bwrap-probes.json'),
      '{"version":1,"binaries":{"__proto__":{"options":["--x"]},"a|1|2|3|4":{"options":[1],"hosts":{"__proto__":{"userNamespacesOk":true},' +
        '"h":{"userNamespacesOk":"yes","procMount":{"isolated":"off","__proto__":"mount-proc"}}}}}}',
    );
    const cache = new ProbeCache(cacheDir);
    const identity = { path: 'a', size: 1, mtimeMs: 2, ino: 3, dev: 4 };
    expect(cache.binaryFacts(identity)?.options).toBeUndefined();
    expect(cache.hostFacts(identity, 'h')).toEqual({ procMount: {} });
    expect(cache.hostFacts(identity, 'other')).toBeUndefined();
    expect(cache.binaryFacts({ ...identity, path: 'b' })).toBeUndefined();
  });
});

describe('bundled fallback', () => {
  it('runs with codex-bwrap through its verified descriptor and warns how to install bubblewrap', async () => {
    const { path: binary, sha256 } = codexBwrapTestBinary();
    const ws = workspace();
    const out = capture();
    const events: string[] = [];
    const result = await runSandboxed(
      request(workspacePolicy(ws), ['sh', '-c', 'echo inside > f.txt; cat f.txt; ls -l /proc/self/fd/ | sed 1d'], {
        onSpawn: (child) => {
          events.push('spawned');
          out.onSpawn(child);
        },
      }),
      {
        env: { PATH: path.join(work, 'no-bwrap-here') },
        cacheDir: null,
        tmpDir: work,
        openBundled: () => openVerifiedBwrap(binary, { mode: 'release', sha256 }),
        onWarning: (message) => events.push(message),
      },
    );
    // Delivered as soon as known, before bwrap is spawned; still returned with the result.
    expect(events).toEqual([NO_SYSTEM_BWRAP_WARNING, 'spawned']);
    expect(result.warnings).toEqual([NO_SYSTEM_BWRAP_WARNING]);
    expect(result.exitCode).toBe(0);
    const [first, ...fdLines] = out.stdout().trim().split('\n');
    expect(first).toBe('inside');
    // Beyond 0-2 only `ls`'s own directory (and pipes the test harness itself leaked): the binary's
    // descriptor, /dev/null data descriptors, the seccomp file and the status socket stay outside.
    const extra = fdLines.filter((l) => !/ [012] -> /.test(l));
    expect(extra.some((l) => /-> \/proc\/\d+\/fd$/.test(l))).toBe(true);
    for (const line of extra) expect(line).not.toMatch(/bwrap|\/dev\/null|seccomp|socket:/);
  });
});

describe('many placeholders', () => {
  it('masks 60 glob matches with codex-bwrap (one data descriptor each, binary descriptor kept clear of them)', async () => {
    const { path: binary, sha256 } = codexBwrapTestBinary();
    const ws = workspace();
    for (let i = 0; i < 60; i += 1) fs.writeFileSync(path.join(ws, `s${i}.env`), `SECRET${i}`);
    fs.writeFileSync(path.join(ws, 'plain.txt'), 'plain');
    const out = capture();
    const result = await runSandboxed(
      request(workspacePolicy(ws, { unreadableGlobs: [`${ws}/*.env`] }), ['sh', '-c', 'cat *.env 2>/dev/null; echo "cat=$?"; cat plain.txt'], {
        onSpawn: out.onSpawn,
      }),
      // bubblewrap makes these masks (G11's helper is not used), one data descriptor each.
      { env: { PATH: path.join(work, 'no-bwrap-here') }, cacheDir: null, tmpDir: work, maskHelper: null, openBundled: () => openVerifiedBwrap(binary, { mode: 'release', sha256 }) },
    );
    expect(result.exitCode).toBe(0);
    expect(out.stdout()).toBe('cat=1\nplain');
    const plan = await planSandboxedRun(request(workspacePolicy(ws, { unreadableGlobs: [`${ws}/*.env`] }), ['true']), {
      bwrap: systemLauncher(systemBwrapPath(), ProbeCache.disabled()),
      cacheDir: null,
      tmpDir: work,
      maskHelper: null,
    });
    const dataFds = plan.argv.flatMap((arg, i) => (arg === '--ro-bind-data' ? [plan.argv[i + 1]] : []));
    expect(dataFds).toHaveLength(60);
    expect(new Set(dataFds).size).toBe(60);
  });
});

describe('refusals before anything runs', () => {
  it('WSL1 gives a clear unsupported error when bwrap would be needed', async () => {
    const ws = workspace();
    const sandbox = createLinuxSandbox({ procVersion: 'Linux version 4.4.0-19041-Microsoft (Microsoft@Microsoft.com)', cacheDir: null, tmpDir: work });
    try {
      await expect(sandbox.run(request(workspacePolicy(ws), ['touch', 'ran']))).rejects.toThrow(Wsl1UnsupportedError);
      await expect(sandbox.run(request(workspacePolicy(ws), ['true']))).rejects.toThrow(/not supported on WSL1/);
      expect(fs.readdirSync(ws)).toEqual([]);
      // Full access needs no bwrap: it still runs.
      const full = readOnlyPolicy(ws, { kind: 'unrestricted', fullDiskWrite: true, network: 'enabled', needsSandbox: false });
      expect((await sandbox.run(request(full, ['touch', 'ran']))).exitCode).toBe(0);
      expect(fs.readdirSync(ws)).toEqual(['ran']);
    } finally {
      sandbox.dispose();
    }
  });

  it('a symlinked placeholder registry is refused', async () => {
    const ws = workspace();
    const tmpDir = path.join(work, 'tmp');
    fs.mkdirSync(tmpDir);
    fs.mkdirSync(path.join(work, 'decoy'));
    fs.symlinkSync(path.join(work, 'decoy'), defaultRegistryDir(tmpDir));
    await expect(runSandboxed(request(workspacePolicy(ws), ['touch', 'ran']), { cacheDir: null, tmpDir })).rejects.toThrow(
      PlaceholderRegistryError,
    );
    expect(fs.readdirSync(ws)).toEqual([]);
    expect(fs.readdirSync(path.join(work, 'decoy'))).toEqual([]);
  });

  it('an empty command or a relative cwd is refused', async () => {
    const ws = workspace();
    await expect(runSandboxed(request(workspacePolicy(ws), []), { cacheDir: null, tmpDir: work })).rejects.toThrow(SandboxRequestError);
    await expect(runSandboxed(request(workspacePolicy(ws), ['true'], { commandCwd: 'rel' }), { cacheDir: null, tmpDir: work })).rejects.toThrow(
      /relative/,
    );
  });
});

describe('a policy that restricts nothing', () => {
  it('runs the command directly, passes exit statuses through and reports 127 for a missing command', async () => {
    const policy = readOnlyPolicy(work, { kind: 'unrestricted', needsSandbox: false, network: 'enabled', fullDiskWrite: true });
    const options = { cacheDir: null, tmpDir: work, env: { PATH: '/nonexistent' } };
    const run = (command: string[]) => runSandboxed(request(policy, command, { stdio: 'ignore' }), options);
    expect((await planSandboxedRun(request(policy, ['sh', '-c', 'exit 4']), options)).mode).toBe('direct');
    expect((await run(['sh', '-c', 'exit 4'])).exitCode).toBe(4);
    expect((await run(['sh', '-c', 'kill -TERM $$'])).exitCode).toBe(143);
    expect((await run([path.join(work, 'no-such-command')])).exitCode).toBe(127);
  });
});

describe('assignDataDescriptors', () => {
  it('gives each data option its own descriptor and leaves the command alone', () => {
    const args = ['--ro-bind-data', '5', '/a', '--perms', '000', '--ro-bind-data', '5', '/b', '--file', '5', '/c', '--seccomp', '3', '--', 'x', '--ro-bind-data', '5'];
    expect(assignDataDescriptors(args, 5, 5)).toEqual({
      args: ['--ro-bind-data', '5', '/a', '--perms', '000', '--ro-bind-data', '6', '/b', '--file', '7', '/c', '--seccomp', '3', '--', 'x', '--ro-bind-data', '5'],
      count: 3,
    });
  });
});
