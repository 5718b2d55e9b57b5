// End-to-end tests of the built `codex` executable: real processes, real bubblewrap, real files.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { launcherCommand, makeWorkspace, prepareExecutable, run, type PreparedExecutable, type RunOptions } from './helpers/executable.js';
import { CLI_VERSION } from '../src/version.js';

if (process.platform !== 'linux') {
  throw new Error('these end-to-end tests run on Linux only');
}

let exe: PreparedExecutable;
let ws: ReturnType<typeof makeWorkspace>;

beforeAll(() => {
  exe = prepareExecutable();
});
afterAll(() => exe?.cleanup());
beforeEach(() => {
  ws = makeWorkspace();
});
afterEach(() => ws.cleanup());

function baseEnv(extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return {
    PATH: process.env['PATH'] ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: ws.root,
    CODEX_HOME: ws.codexHome,
    ...extra,
  };
}

function codex(args: readonly string[], options: RunOptions = {}) {
  return run(exe.path, args, { cwd: ws.work, env: baseEnv(), ...options });
}

function writeConfig(text: string, name = 'config.toml'): void {
  fs.writeFileSync(path.join(ws.codexHome, name), text);
  fs.chmodSync(path.join(ws.codexHome, name), 0o644);
}

const writeProbe = (file: string) => ['sh', '-c', `echo hi > '${file}' && echo wrote`];

describe('the executable file', () => {
  test('is a 0755 sh/JS polyglot with a #!/bin/sh first line', () => {
    const text = fs.readFileSync(exe.path, 'utf8');
    expect(text.split('\n')[0]).toBe('#!/bin/sh');
    expect(text.split('\n')[1]).toMatch(/^":" \/\/;.*exec '\/[^']+' /);
    expect(fs.statSync(exe.path).mode & 0o777).toBe(0o755);
  });
});

describe('embedded code cache', () => {
  /** Whether V8 accepts the cache embedded in `file`: the launcher's own compile step, then a report. */
  function cacheVerdict(file: string): string {
    const launcher = launcherCommand(file);
    const compileOnly = launcher.program.replace(/ const mod = .*$/, '');
    const report = 'process.stdout.write(cachedData === undefined ? "none" : script.cachedDataRejected ? "rejected" : "accepted");';
    const result = run(process.execPath, [...launcher.flags, '-e', `${compileOnly} ${report}`, file], { cwd: ws.work, env: baseEnv() });
    expect(result.stderr).toBe('');
    return result.stdout;
  }

  test('the executable carries a V8 code cache for its program, and Node accepts it', () => {
    expect(cacheVerdict(exe.path)).toBe('accepted');
  });

  test('a damaged cache is rejected by V8 and the program still runs, compiled from source', () => {
    const damaged = path.join(ws.root, 'codex-damaged');
    const bytes = fs.readFileSync(exe.path);
    const trailer = /codex-code-cache:(\d{10}):(\d{10})\n$/.exec(bytes.toString('latin1', bytes.length - 42));
    expect(trailer).not.toBeNull();
    const cacheStart = Number(trailer?.[1]);
    // Corrupt the cache header (V8 checks its magic number, version and checksums there).
    for (let i = cacheStart; i < cacheStart + 32; i += 1) bytes[i] = (bytes[i] ?? 0) ^ 0xff;
    fs.writeFileSync(damaged, bytes, { mode: 0o755 });
    expect(cacheVerdict(damaged)).toBe('rejected');
    const result = run(damaged, ['sandbox', '--', 'sh', '-c', 'echo ran; exit 3'], { cwd: ws.work, env: baseEnv() });
    expect(result.stdout).toBe('ran\n');
    expect(result.status).toBe(3);
  });

  test('without the cache (what --code-cache no builds) the program runs the same', () => {
    const bytes = fs.readFileSync(exe.path);
    const programEnd = Number(/codex-code-cache:(\d{10}):/.exec(bytes.toString('latin1', bytes.length - 42))?.[1]);
    const plain = path.join(ws.root, 'codex-plain');
    fs.writeFileSync(plain, bytes.subarray(0, programEnd), { mode: 0o755 });
    expect(cacheVerdict(plain)).toBe('none');
    const result = run(plain, ['sandbox', '--', 'sh', '-c', 'echo ran; exit 3'], { cwd: ws.work, env: baseEnv() });
    expect(result.stdout).toBe('ran\n');
    expect(result.status).toBe(3);
  });
});

describe('options', () => {
  test('--version, at top level and after sandbox', () => {
    for (const args of [['--version'], ['sandbox', '--version']]) {
      const result = codex(args);
      expect(result.stdout).toBe(`${CLI_VERSION}\n`);
      expect(result.status).toBe(0);
    }
  });

  test('--help prints usage on stdout and exits 0', () => {
    const result = codex(['sandbox', '--help']);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('Usage: codex sandbox [OPTIONS] [--] COMMAND [ARGS]...');
    expect(result.stderr).toBe('');
  });

  test('default profile is read-only: the workspace is not writable, reading works', () => {
    fs.writeFileSync(path.join(ws.work, 'in.txt'), 'content\n');
    const read = codex(['sandbox', '--', 'cat', 'in.txt']);
    expect(read.stdout).toBe('content\n');
    expect(read.status).toBe(0);
    const write = codex(['sandbox', '--', ...writeProbe(path.join(ws.work, 'out.txt'))]);
    expect(write.status).not.toBe(0);
    expect(fs.existsSync(path.join(ws.work, 'out.txt'))).toBe(false);
  });

  test('-P :workspace and the hidden alias --permissions-profile allow writes in the workspace', () => {
    for (const flag of ['-P', '--permission-profile', '--permissions-profile']) {
      const target = path.join(ws.work, `out${flag}.txt`);
      const result = codex(['sandbox', flag, ':workspace', '--', ...writeProbe(target)]);
      expect(result.stderr).toBe('');
      expect(result.stdout).toBe('wrote\n');
      expect(result.status).toBe(0);
      expect(fs.readFileSync(target, 'utf8')).toBe('hi\n');
    }
  });

  test('-C DIR sets the working directory of the command and of the policy', () => {
    const other = path.join(ws.root, 'other');
    fs.mkdirSync(other, { mode: 0o777 });
    const result = codex(['sandbox', '-P', ':workspace', '-C', other, '--', 'sh', '-c', 'pwd; echo x > made']);
    expect(result.stdout).toBe(`${other}\n`);
    expect(result.status).toBe(0);
    expect(fs.existsSync(path.join(other, 'made'))).toBe(true);
  });

  test('-c is accepted before and after `sandbox`', () => {
    for (const args of [
      ['-c', 'sandbox_mode="workspace-write"', 'sandbox', '--'],
      ['sandbox', '-c', 'sandbox_mode=workspace-write', '--'],
    ]) {
      const target = path.join(ws.work, `c${args[0]}.txt`);
      const result = codex([...args, ...writeProbe(target)]);
      expect(result.stdout).toBe('wrote\n');
      expect(result.status).toBe(0);
    }
  });

  test('sandbox_mode written in config.toml is honoured', () => {
    writeConfig('sandbox_mode = "workspace-write"\n');
    const result = codex(['sandbox', '--', ...writeProbe(path.join(ws.work, 'cfg.txt'))]);
    expect(result.stdout).toBe('wrote\n');
    expect(result.status).toBe(0);
    const explained = codex(['sandbox', '--dry-run', '--', 'true']);
    expect(explained.stdout).toMatch(/^profile\s+:workspace$/m);
  });

  test('-p NAME layers $CODEX_HOME/NAME.config.toml', () => {
    writeConfig('sandbox_mode = "read-only"\n');
    writeConfig('sandbox_mode = "workspace-write"\n', 'work.config.toml');
    expect(codex(['sandbox', '--', ...writeProbe(path.join(ws.work, 'a.txt'))]).status).not.toBe(0);
    const result = codex(['sandbox', '-p', 'work', '--', ...writeProbe(path.join(ws.work, 'b.txt'))]);
    expect(result.stdout).toBe('wrote\n');
    expect(result.status).toBe(0);
  });

  test(':danger-full-access runs the command directly, and the dry run says so', () => {
    const outside = path.join(ws.root, 'outside.txt');
    const result = codex(['sandbox', '-P', ':danger-full-access', '--', 'sh', '-c', `echo x > '${outside}'; echo "\${CODEX_SANDBOX_NETWORK_DISABLED-unset}"`]);
    expect(result.stdout).toBe('unset\n');
    expect(result.status).toBe(0);
    expect(fs.readFileSync(outside, 'utf8')).toBe('x\n');
    const explained = codex(['sandbox', '-P', ':danger-full-access', '--dry-run', '--', 'true']);
    expect(explained.stdout).toMatch(/^mode\s+no sandbox \(full access\)$/m);
    expect(explained.stdout).toMatch(/command line:\n {2}true\n$/);
  });

  test('options after the command belong to the command', () => {
    const result = codex(['sandbox', 'echo', '-P', ':workspace', '--version']);
    expect(result.stdout).toBe('-P :workspace --version\n');
    expect(result.status).toBe(0);
  });

  test('network is off under the restricted profiles and the command is told so', () => {
    const result = codex(['sandbox', '--', 'sh', '-c', 'echo "$CODEX_SANDBOX_NETWORK_DISABLED"; cat /proc/net/dev | wc -l']);
    expect(result.stdout.split('\n')[0]).toBe('1');
    // Only the header lines and `lo` exist in a fresh network namespace.
    expect(Number(result.stdout.split('\n')[1])).toBe(3);
  });
});

describe('exit status', () => {
  test('is the command\'s own', () => {
    expect(codex(['sandbox', '--', 'sh', '-c', 'exit 7']).status).toBe(7);
    expect(codex(['sandbox', '--', 'true']).status).toBe(0);
    expect(codex(['sandbox', '--', 'false']).status).toBe(1);
  });
  test('is 128+N when the command dies from signal N', () => {
    expect(codex(['sandbox', '--', 'sh', '-c', 'kill -TERM $$']).status).toBe(143);
    expect(codex(['sandbox', '--', 'sh', '-c', 'kill -KILL $$']).status).toBe(137);
  });
});

describe('signals', () => {
  test('SIGTERM to the front end reaches the command, whose trap runs; its status is passed on', async () => {
    const child = spawn(
      exe.path,
      ['sandbox', '--', 'sh', '-c', 'trap "echo trapped; exit 5" TERM; echo ready; while :; do sleep 0.05; done'],
      { cwd: ws.work, env: baseEnv() as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.setEncoding('utf8');
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await new Promise<void>((resolve) =>
      child.stdout.on('data', (chunk: string) => {
        out += chunk;
        if (out.includes('ready')) resolve();
      }),
    );
    child.kill('SIGTERM');
    expect(await exited).toBe(5);
    expect(out).toBe('ready\ntrapped\n');
  });
  test('SIGPIPE has its default action in the command: a writer to a closed pipe dies with 128+13', () => {
    // A real pipe (Node's 'pipe' stdio is a socketpair, which reports ECONNRESET instead).
    const result = run('bash', ['-c', `"$0" sandbox -- yes | head -n 1; echo "status \${PIPESTATUS[0]}"`, exe.path], {
      cwd: ws.work,
      env: baseEnv(),
    });
    expect(result.stdout).toBe('y\nstatus 141\n');
    expect(result.stderr).not.toContain('Broken pipe');
  });
});

describe('errors', () => {
  test('usage error: exit 2, the message and one line pointing to --help (not the whole help)', () => {
    for (const args of [['sandbox', '--bogus', 'true'], ['sandbox'], ['bogus']]) {
      const result = codex(args);
      expect(result.status).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(/^codex sandbox: [^\n]+\nTry 'codex sandbox --help' for more information\.\n$/);
    }
    expect(codex(['sandbox', '--bogus', 'true']).stderr).toBe("codex sandbox: unknown option '--bogus'\nTry 'codex sandbox --help' for more information.\n");
  });
  test('missing COMMAND and an OS subcommand are usage errors', () => {
    expect(codex(['sandbox']).status).toBe(2);
    const linux = codex(['linux', '--', 'true']);
    expect(linux.status).toBe(2);
    expect(linux.stderr).toContain("unknown command 'linux'");
  });
  test('command not found: 127', () => {
    const result = codex(['sandbox', '--', 'no-such-command-xyz', 'arg']);
    expect(result.status).toBe(127);
    expect(result.stderr).toBe('codex sandbox: command not found: no-such-command-xyz\n');
  });
  test('not executable: 126', () => {
    const file = path.join(ws.work, 'script.sh');
    fs.writeFileSync(file, '#!/bin/sh\necho nope\n', { mode: 0o644 });
    const result = codex(['sandbox', '--', './script.sh']);
    expect(result.status).toBe(126);
    expect(result.stderr).toMatch(/^codex sandbox: cannot execute \.\/script\.sh: .* is not executable/);
    expect(codex(['sandbox', '--', ws.work]).status).toBe(126);
  });
  test('invalid config: exit 1 naming the key and the reason, no stack trace', () => {
    writeConfig('sandbox_mode = "sometimes"\n');
    const result = codex(['sandbox', '--', 'true']);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^codex sandbox: .*sandbox_mode/);
    expect(result.stderr).toContain('read-only');
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });
  test('invalid -c override: exit 1 naming the key', () => {
    const result = codex(['sandbox', '-c', 'default_permissions=":nope"', '--', 'true']);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^codex sandbox: .*default_permissions/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
  test('unknown -p profile: exit 1', () => {
    const result = codex(['sandbox', '-p', 'missing', '--', 'true']);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^codex sandbox: .*missing/);
  });
  test('-C to a missing directory: exit 1', () => {
    const result = codex(['sandbox', '-C', path.join(ws.root, 'nope'), '--', 'true']);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^codex sandbox: working directory .*nope does not exist/);
  });
});

describe('--dry-run', () => {
  test('prints the policy table and the backend command line without running anything', () => {
    fs.mkdirSync(path.join(ws.work, '.git'));
    const marker = path.join(ws.work, 'marker');
    const result = codex(['sandbox', '-P', ':workspace', '--dry-run', '--', 'touch', marker]);
    expect(result.status).toBe(0);
    expect(fs.existsSync(marker)).toBe(false);
    const out = result.stdout;
    expect(out).toMatch(/^profile\s+:workspace$/m);
    expect(out).toMatch(/^network\s+restricted/m);
    expect(out).toMatch(/^readable\s+\/ \(entire filesystem\)$/m);
    expect(out).toMatch(new RegExp(`^writable\\s+${ws.work}$`, 'm'));
    expect(out).toContain(`read-only: ${path.join(ws.work, '.git')}`);
    expect(out).toMatch(/^command\s+\/.*\/touch$/m);
    expect(out).toMatch(new RegExp(`^note\\s+${marker} is writable inside the sandbox$`, 'm'));
    const commandLine = out.split('command line:\n')[1] ?? '';
    expect(commandLine).toMatch(/bwrap .*--unshare-net/);
    expect(commandLine).toContain(`-- touch ${marker}`);
  });
  test('--explain is the same, and works without a command', () => {
    const result = codex(['sandbox', '--explain']);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^profile\s+:read-only$/m);
    expect(result.stdout).toContain('command line: (no COMMAND given)');
  });
  test('reports missing commands like a real run', () => {
    expect(codex(['sandbox', '--dry-run', '--', 'no-such-command-xyz']).status).toBe(127);
  });
});

describe('environment', () => {
  test('the command sees exactly the user environment (launcher variables restored and removed)', () => {
    const env = baseEnv({ NODE_EXTRA_CA_CERTS: '/nonexistent/ca.pem', NODE_OPTIONS: '--no-deprecation', MY_VAR: 'a b' });
    const result = run(exe.path, ['sandbox', '--', 'env'], { cwd: ws.work, env });
    expect(result.status).toBe(0);
    const lines = result.stdout.split('\n').filter((l) => l !== '');
    expect(lines).toContain('NODE_EXTRA_CA_CERTS=/nonexistent/ca.pem');
    expect(lines).toContain('NODE_OPTIONS=--no-deprecation');
    expect(lines).toContain('MY_VAR=a b');
    expect(lines.filter((l) => l.startsWith('CODEX_SANDBOX_') && !l.startsWith('CODEX_SANDBOX_NETWORK_DISABLED='))).toEqual([]);
  });
  test('an empty NODE_EXTRA_CA_CERTS stays set and empty; an absent one stays absent', () => {
    const set = run(exe.path, ['sandbox', '--', 'sh', '-c', 'echo "${NODE_EXTRA_CA_CERTS-unset}"'], {
      cwd: ws.work,
      env: baseEnv({ NODE_EXTRA_CA_CERTS: '' }),
    });
    expect(set.stdout).toBe('\n');
    const unset = run(exe.path, ['sandbox', '--', 'sh', '-c', 'echo "${NODE_EXTRA_CA_CERTS-unset}"'], { cwd: ws.work, env: baseEnv() });
    expect(unset.stdout).toBe('unset\n');
  });
});

describe('warnings', () => {
  test('no bwrap on PATH: the bundled one runs, and the warning is printed once in the common format', () => {
    const bin = path.join(ws.root, 'bin');
    fs.mkdirSync(bin, { mode: 0o755 });
    for (const tool of ['sh', 'true', 'echo', 'node']) {
      const target = tool === 'node' ? process.execPath : `/bin/${tool}`;
      fs.symlinkSync(fs.realpathSync(target), path.join(bin, tool));
    }
    const result = run(exe.path, ['sandbox', '--', 'echo', 'ok'], { cwd: ws.work, env: baseEnv({ PATH: bin }) });
    expect(result.stdout).toBe('ok\n');
    expect(result.status).toBe(0);
    const warnings = result.stderr.split('\n').filter((l) => l.startsWith('codex sandbox: warning: '));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/could not find bubblewrap on PATH/);
    expect(result.stderr.split('\n').filter((l) => l !== '' && !l.startsWith('  '))).toEqual(warnings);
  });
  test('CODEX_SANDBOX_DEBUG=1: where the bundled bubblewrap was found and how it was checked go to stderr', () => {
    const bin = path.join(ws.root, 'bin');
    fs.mkdirSync(bin, { mode: 0o755 });
    for (const tool of ['sh', 'echo', 'node']) {
      fs.symlinkSync(fs.realpathSync(tool === 'node' ? process.execPath : `/bin/${tool}`), path.join(bin, tool));
    }
    const result = run(exe.path, ['sandbox', '--', 'echo', 'ok'], { cwd: ws.work, env: baseEnv({ PATH: bin, CODEX_SANDBOX_DEBUG: '1' }) });
    expect([result.status, result.stdout]).toEqual([0, 'ok\n']);
    expect(result.stderr).toMatch(/^bundled bubblewrap: using .*codex-resources\/bwrap/m);
    expect(result.stderr).toMatch(/^bundled bubblewrap .*(verified: sha256:[0-9a-f]{64}|verification skipped)/m);
  });
  test('a backend warning precedes the command output on a combined stdout+stderr stream', () => {
    const bin = path.join(ws.root, 'bin');
    fs.mkdirSync(bin, { mode: 0o755 });
    for (const tool of ['sh', 'echo', 'node']) {
      fs.symlinkSync(fs.realpathSync(tool === 'node' ? process.execPath : `/bin/${tool}`), path.join(bin, tool));
    }
    const combined = path.join(ws.root, 'combined.txt');
    const fd = fs.openSync(combined, 'w');
    try {
      const result = spawnSync(exe.path, ['sandbox', '--', 'sh', '-c', 'echo first-output; echo second-output >&2'], {
        cwd: ws.work,
        env: baseEnv({ PATH: bin }) as NodeJS.ProcessEnv,
        stdio: ['ignore', fd, fd],
      });
      expect(result.status).toBe(0);
    } finally {
      fs.closeSync(fd);
    }
    const lines = fs.readFileSync(combined, 'utf8').split('\n').filter((l) => l !== '' && !l.startsWith('  '));
    expect(lines).toEqual([expect.stringMatching(/^codex sandbox: warning: .*could not find bubblewrap on PATH/), 'first-output', 'second-output']);
  });
  test('config warnings use the same format', () => {
    writeConfig('totally_unknown_key = 1\n');
    const result = codex(['sandbox', '--', 'true']);
    expect(result.status).toBe(0);
    expect(result.stderr).toMatch(/^codex sandbox: warning: .*totally_unknown_key/);
  });
});

describe('arg0 dispatch: codex-linux-sandbox', () => {
  const profile = JSON.stringify({
    type: 'managed',
    file_system: { type: 'restricted', entries: [{ path: { type: 'special', value: { kind: 'root' } }, access: 'read' }] },
    network: 'restricted',
  });
  function helperPath(): string {
    const link = path.join(ws.root, 'codex-linux-sandbox');
    fs.symlinkSync(exe.path, link);
    return link;
  }
  test('a symlink named codex-linux-sandbox runs the helper entry', () => {
    const result = run(helperPath(), ['--sandbox-policy-cwd', ws.work, '--permission-profile', profile, '--', 'sh', '-c', 'echo in; echo x > f'], {
      cwd: ws.work,
      env: baseEnv(),
    });
    expect(result.stdout).toBe('in\n');
    expect(result.status).not.toBe(0);
    expect(fs.existsSync(path.join(ws.work, 'f'))).toBe(false);
  });
  test('--command-cwd and exit status pass through', () => {
    const sub = path.join(ws.work, 'sub');
    fs.mkdirSync(sub);
    const result = run(
      helperPath(),
      ['--sandbox-policy-cwd', ws.work, '--command-cwd', sub, '--permission-profile', profile, '--', 'sh', '-c', 'pwd; exit 3'],
      { cwd: ws.work, env: baseEnv() },
    );
    expect(result.stdout).toBe(`${sub}\n`);
    expect(result.status).toBe(3);
  });
  test('--no-proc: the command gets an empty /proc instead of a fresh one', () => {
    const probe = ['sh', '-c', 'if test -e /proc/self/status; then echo proc; else echo no-proc; fi'];
    const base = ['--sandbox-policy-cwd', ws.work, '--permission-profile', profile];
    const without = run(helperPath(), [...base, '--no-proc', '--', ...probe], { cwd: ws.work, env: baseEnv() });
    expect(without.stderr).toBe('');
    expect(without.stdout).toBe('no-proc\n');
    expect(without.status).toBe(0);
    const withProc = run(path.join(ws.root, 'codex-linux-sandbox'), [...base, '--', ...probe], { cwd: ws.work, env: baseEnv() });
    expect(withProc.stdout).toBe('proc\n');
  });
  test('a command the profile hides exits 127 with a clear message (not bwrap\'s execvp error)', () => {
    const hidden = path.join(ws.root, 'hidden-bin');
    fs.mkdirSync(hidden, { mode: 0o755 });
    fs.writeFileSync(path.join(hidden, 'mytool'), '#!/bin/sh\necho ran\n', { mode: 0o755 });
    const denying = JSON.stringify({
      type: 'managed',
      file_system: {
        type: 'restricted',
        entries: [
          { path: { type: 'special', value: { kind: 'root' } }, access: 'read' },
          { path: { type: 'path', path: hidden }, access: 'deny' },
        ],
      },
      network: 'restricted',
    });
    const result = run(helperPath(), ['--sandbox-policy-cwd', ws.work, '--permission-profile', denying, '--', 'mytool'], {
      cwd: ws.work,
      env: baseEnv({ PATH: `${hidden}:/usr/bin:/bin` }),
    });
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(`codex sandbox: command not found: mytool (hidden by the sandbox policy: ${hidden} is denied)\n`);
    expect(result.status).toBe(127);
  });
  test('flags this architecture does not need are rejected with a clear error', () => {
    const result = run(helperPath(), ['--sandbox-policy-cwd', ws.work, '--permission-profile', profile, '--apply-seccomp-then-exec', '--', 'true'], {
      cwd: ws.work,
      env: baseEnv(),
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/^codex-linux-sandbox: --apply-seccomp-then-exec is not supported/);
  });
  test('bad profile JSON: exit 1 with the reason', () => {
    const result = run(helperPath(), ['--sandbox-policy-cwd', ws.work, '--permission-profile', '{nope', '--', 'true'], {
      cwd: ws.work,
      env: baseEnv(),
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^codex-linux-sandbox: .*permission profile/i);
  });
});

describe('as an unprivileged user', () => {
  test('runs read-only, enforces it, and reports 127', () => {
    fs.writeFileSync(path.join(ws.work, 'in.txt'), 'content\n', { mode: 0o644 });
    const read = codex(['sandbox', '--', 'sh', '-c', 'id -u; cat in.txt'], { unprivileged: true });
    expect(read.stdout).toBe('65534\ncontent\n');
    expect(read.status).toBe(0);
    const write = codex(['sandbox', '--', ...writeProbe(path.join(ws.work, 'o.txt'))], { unprivileged: true });
    expect(write.status).not.toBe(0);
    expect(codex(['sandbox', '--', 'no-such-command-xyz'], { unprivileged: true }).status).toBe(127);
  });
  test('workspace-write lets the user write the workspace only', () => {
    // World-writable outside the sandbox, so only the sandbox can stop the write.
    const outside = path.join(ws.root, 'outside');
    fs.mkdirSync(outside, { mode: 0o777 });
    fs.chmodSync(outside, 0o777);
    const inside = codex(['sandbox', '-P', ':workspace', '--', 'sh', '-c', 'echo a > ok.txt'], { unprivileged: true });
    expect(inside.status).toBe(0);
    expect(fs.existsSync(path.join(ws.work, 'ok.txt'))).toBe(true);
    // The temp dirs of these tests live under /tmp, which workspace-write makes writable: leave it out.
    const escape = codex(
      ['-c', 'sandbox_mode=workspace-write', '-c', 'sandbox_workspace_write.exclude_slash_tmp=true', 'sandbox', '--', 'sh', '-c', `echo b > '${outside}/x'`],
      { unprivileged: true },
    );
    expect(escape.status).not.toBe(0);
    expect(fs.existsSync(path.join(outside, 'x'))).toBe(false);
  });
});
