// End-to-end attacks on the front end itself (issue 10: inspector, inherited descriptors, helpers
// from PATH, input Node would alter), against the built executable, real bubblewrap and real files,
// as root and as uid 65534.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { STASHED_VARIABLES } from '../src/launcher-env.js';
import { launcherCommand, makeWorkspace, prepareExecutable, run, type PreparedExecutable } from './helpers/executable.js';

if (process.platform !== 'linux') throw new Error('these end-to-end tests run on Linux only');

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

const USERS = [
  { user: 'root', unprivileged: false },
  { user: 'uid 65534', unprivileged: true },
];

const SYSTEM_PATH = process.env['PATH'] ?? '/usr/local/bin:/usr/bin:/bin';

function baseEnv(extra: Record<string, string | undefined> = {}): Record<string, string> {
  const env: Record<string, string> = { PATH: SYSTEM_PATH, HOME: ws.root, CODEX_HOME: ws.codexHome };
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) env[k] = v;
  return env;
}

function writeConfig(text: string): void {
  fs.writeFileSync(path.join(ws.codexHome, 'config.toml'), text, { mode: 0o644 });
}

/** A world-writable directory for files the test wants to find (or not) afterwards. */
function sharedDir(name: string): string {
  const dir = path.join(ws.root, name);
  fs.mkdirSync(dir, { mode: 0o777 });
  fs.chmodSync(dir, 0o777);
  return dir;
}

function withUser(unprivileged: boolean, file: string, args: readonly string[]): [string, string[]] {
  return unprivileged ? ['setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', '--', file, ...args]] : [file, [...args]];
}

/** Listening TCP sockets on this host (network namespace): inode -> local port. */
function listeningTcpSockets(): Map<string, number> {
  const result = new Map<string, number>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = fs.readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      const [, local, , state, , , , , , inode] = fields;
      if (state !== '0A' || local === undefined || inode === undefined) continue;
      result.set(inode, parseInt(local.split(':').pop() ?? '0', 16));
    }
  }
  return result;
}

/** Socket inodes a process holds. */
function socketInodes(pid: number): string[] {
  const inodes: string[] = [];
  for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (match?.[1] !== undefined) inodes.push(match[1]);
    } catch {
      // closed meanwhile
    }
  }
  return inodes;
}

/** Resolves once `predicate(output)` holds; rejects (a hang guard, not a timing assertion) if the process exits first or after 30 s. */
function waitForOutput(child: ReturnType<typeof spawn>, read: () => string, predicate: (out: string) => boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    const guard = setTimeout(() => reject(new Error(`output never matched; got ${JSON.stringify(read())}`)), 30_000);
    const check = (): void => {
      if (predicate(read())) {
        clearTimeout(guard);
        resolve();
      }
    };
    child.stdout?.on('data', check);
    child.on('exit', () => {
      clearTimeout(guard);
      if (!predicate(read())) reject(new Error(`exited before the output matched; got ${JSON.stringify(read())}`));
    });
    check();
  });
}

describe("item 2: SIGUSR1 never opens Node's inspector", () => {
  test.each(USERS)('SIGUSR1 during a run reaches the command (its trap runs) and nothing listens, as $user', async ({ unprivileged }) => {
    // Network enabled: the command shares the host's network, where an inspector would be reachable.
    const script = 'trap "echo got-usr1" USR1; trap "exit 5" TERM; echo ready; while :; do sleep 0.05; done';
    const [file, args] = withUser(unprivileged, exe.path, [
      '-c', 'sandbox_workspace_write.network_access=true', 'sandbox', '-P', ':workspace', '--', 'sh', '-c', script,
    ]);
    const child = spawn(file, args, { cwd: ws.work, env: baseEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await waitForOutput(child, () => out, (o) => o.includes('ready'));
    const pid = child.pid as number;
    const listeningBefore = listeningTcpSockets();
    child.kill('SIGUSR1');
    await waitForOutput(child, () => out, (o) => o.includes('got-usr1'));
    // The front end (sh exec'd Node in place: same pid) holds no listening socket, and nothing new listens on 9229.
    const listening = listeningTcpSockets();
    expect(socketInodes(pid).filter((inode) => listening.has(inode))).toEqual([]);
    expect([...listening].filter(([inode, port]) => port === 9229 && !listeningBefore.has(inode))).toEqual([]);
    expect(err).not.toMatch(/Debugger listening/);
    child.kill('SIGTERM');
    expect(await exited).toBe(5);
    expect(out).toBe('ready\ngot-usr1\n');
  });

  test('with the launcher\'s Node flags, a SIGUSR1 that reaches Node\'s own handler (before the loader runs) opens no listening inspector', () => {
    const launcher = launcherCommand(exe.path);
    // No JS listener here: the signal goes to Node's handler, which would open 127.0.0.1:9229.
    const program =
      'process.kill(process.pid, "SIGUSR1"); setTimeout(() => { process.stdout.write(String(require("inspector").url())); }, 1000);';
    const result = spawnSync(launcher.node, [...launcher.flags, '-e', program], { encoding: 'utf8', timeout: 60_000 });
    expect(result.stdout).toBe('undefined');
    expect(result.stderr).toMatch(/Starting inspector on 0\.0\.0\.1:9229 failed/);
  });

  test.each(USERS)('variables Node acts on at start never reach the front end, and the command gets them back, as $user', ({ unprivileged }) => {
    const coverage = sharedDir('v8-coverage');
    const values: Record<string, string> = {};
    for (const { name } of STASHED_VARIABLES) values[name] = `/nonexistent/${name.toLowerCase()}`;
    values['NODE_V8_COVERAGE'] = coverage;
    values['NODE_OPTIONS'] = '--inspect=127.0.0.1:0';
    const result = run(exe.path, ['sandbox', '--', 'env'], { cwd: ws.work, env: baseEnv(values), unprivileged });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const lines = result.stdout.split('\n');
    for (const [name, value] of Object.entries(values)) expect(lines).toContain(`${name}=${value}`);
    // NODE_V8_COVERAGE would have made the front end's Node write its coverage here.
    expect(fs.readdirSync(coverage)).toEqual([]);
  });

  test('the launcher stashes exactly the variables launcher-env.ts restores', () => {
    const line = fs.readFileSync(exe.path, 'latin1').split('\n', 2)[1] ?? '';
    const stashed = [...line.matchAll(/unset (\w+); fi;/g)].map((m) => m[1]);
    expect(stashed).toEqual(STASHED_VARIABLES.map((v) => v.name));
  });
});

describe('item 3: the command gets stdin, stdout and stderr, nothing else', () => {
  test.each(USERS)('descriptors 3..1000 on a host directory, a denied file and a host file do not reach the command, as $user', ({ unprivileged }) => {
    const outside = sharedDir('outside');
    const hostFile = path.join(outside, 'host.txt');
    fs.writeFileSync(hostFile, 'host\n', { mode: 0o666 });
    fs.chmodSync(hostFile, 0o666);
    const secret = path.join(ws.root, 'secret.txt');
    fs.writeFileSync(secret, 'TOP-SECRET\n', { mode: 0o644 });
    writeConfig(`default_permissions = "ro-deny"\n[permissions.ro-deny]\nextends = ":read-only"\n[permissions.ro-deny.filesystem]\n"${secret}" = "none"\n`);
    // The caller (a shell, as a real one would) leaves descriptors open from 3 up to 1000 without
    // close-on-exec, every 7th: 3, 24, 45, ... the directory; 10, 31, ... the secret; 17, 38, ... the host file.
    const caller = [
      'k=0; for ((fd = 3; fd <= 1000; fd += 7)); do',
      '  case $((k % 3)) in 0) o="<\'$OUTSIDE\'";; 1) o="<\'$SECRET\'";; 2) o="<>\'$HOST\'";; esac',
      '  [ $fd = 255 ] || eval "exec $fd$o"; k=$((k + 1))',
      'done',
      'exec "$@"',
    ].join('\n');
    const script = [
      'for fd in $(seq 3 1023); do [ -e /proc/self/fd/$fd ] && echo "open $fd $(readlink /proc/self/fd/$fd)"; done',
      `cat '${secret}' 2>/dev/null || echo secret-denied`,
      // (3 and 10 would be taken by bwrap's own descriptors; 24, 31 and 17 are the caller's.)
      // (Subshells: a redirection from a descriptor that is not open ends the shell.)
      '( cat /proc/self/fd/31 ) 2>/dev/null; ( cat <&31 ) 2>/dev/null',
      '( echo EVIL > /proc/self/fd/24/pwned ) 2>/dev/null; ( echo EVIL >&17 ) 2>/dev/null; ( echo EVIL > /proc/self/fd/17 ) 2>/dev/null',
      'echo done',
    ].join('\n');
    const [file, args] = withUser(unprivileged, exe.path, ['sandbox', '--', 'sh', '-c', script]);
    const result = spawnSync('/bin/bash', ['-c', caller, 'caller', file, ...args], {
      cwd: ws.work,
      env: { ...baseEnv(), OUTSIDE: outside, SECRET: secret, HOST: hostFile },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe('secret-denied\ndone\n');
    expect(result.status).toBe(0);
    expect(fs.existsSync(path.join(outside, 'pwned'))).toBe(false);
    expect(fs.readFileSync(hostFile, 'utf8')).toBe('host\n');
  });
});

describe('item 4: no node, bwrap or rg from a PATH entry the command can write', () => {
  test.each(USERS)('a node, bwrap and rg planted in the workspace (absolute, relative and empty PATH entries) never run, as $user', ({ unprivileged }) => {
    const markers = sharedDir('markers');
    const bin = path.join(ws.work, 'node_modules', '.bin');
    fs.mkdirSync(bin, { recursive: true, mode: 0o777 });
    for (const dir of [bin, ws.work]) {
      for (const tool of ['node', 'bwrap', 'rg']) {
        const planted = path.join(dir, tool);
        fs.writeFileSync(planted, `#!/bin/sh\ntouch '${markers}/${tool}-ran'\nexit 0\n`, { mode: 0o755 });
        fs.chmodSync(planted, 0o755);
      }
    }
    // A deny glob makes the front end scan the workspace (in process; a planted rg must not run either); :workspace makes the workspace writable.
    writeConfig('default_permissions = "dev"\n[permissions.dev]\nextends = ":workspace"\n[permissions.dev.filesystem]\nglob_scan_max_depth = 3\n[permissions.dev.filesystem.":workspace_roots"]\n"**/*.env" = "none"\n');
    fs.writeFileSync(path.join(ws.work, 'x.env'), 'SECRET=1\n', { mode: 0o644 });
    const pathEnv = ['node_modules/.bin', '', bin, SYSTEM_PATH].join(':');
    const result = run(exe.path, ['sandbox', '--', 'sh', '-c', 'echo ran; cat x.env 2>/dev/null || echo env-denied'], {
      cwd: ws.work,
      env: baseEnv({ PATH: pathEnv }),
      unprivileged,
    });
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe('ran\nenv-denied\n');
    expect(result.status).toBe(0);
    expect(fs.readdirSync(markers)).toEqual([]);
  });

  test('the launcher execs the absolute, canonical Node recorded at build time', () => {
    const launcher = launcherCommand(exe.path);
    expect(path.isAbsolute(launcher.node)).toBe(true);
    expect(fs.realpathSync(launcher.node)).toBe(launcher.node);
  });
});

describe('bad input is refused, never altered', () => {
  test.each(USERS)('an argument, -C and an environment value that are not UTF-8 are refused by name, and nothing runs, as $user', ({ unprivileged }) => {
    const victim = path.join(ws.work, 'keep\uFFFD');
    fs.writeFileSync(victim, 'x');
    fs.chmodSync(ws.work, 0o777);
    // Bytes, through a shell: Node's spawn only takes strings.
    const shell = (words: string): ReturnType<typeof spawnSync> => {
      const [file, args] = withUser(unprivileged, '/bin/sh', ['-c', words, 'sh', exe.path]);
      return spawnSync(file, args, { cwd: ws.work, env: baseEnv(), encoding: 'latin1', timeout: 60_000 });
    };
    const argument = shell('arg=$(printf "keep\\377"); "$1" sandbox -P :workspace -- rm -f "$arg"');
    expect(argument.stderr).toBe(
      "codex sandbox: argument 7 'keep\\xff' is not valid UTF-8; arguments, -C and environment variables must be valid UTF-8 (Node.js would replace the other bytes, so nothing was run)\n",
    );
    expect(argument.status).toBe(2);
    expect(fs.existsSync(victim)).toBe(true);
    const cd = shell('dir=$(printf "/tmp/x\\376"); "$1" sandbox -C "$dir" -- true');
    expect(cd.stderr).toMatch(/^codex sandbox: argument 3 '\/tmp\/x\\xfe' is not valid UTF-8; /);
    expect(cd.status).toBe(2);
    const env = shell('BAD=$(printf "a\\377b") "$1" sandbox -- true');
    expect(env.stderr).toMatch(/^codex sandbox: the value of environment variable BAD is not valid UTF-8; /);
    expect(env.stderr).not.toContain('a\\xffb');
    expect(env.status).toBe(1);
    // Valid UTF-8 beyond ASCII passes through unchanged.
    const fine = run(exe.path, ['sandbox', '--', 'printf', '%s', 'café ✓'], { cwd: ws.work, env: baseEnv({ X: 'é' }), unprivileged });
    expect(fine.stdout).toBe('café ✓');
    expect(fine.status).toBe(0);
  });

  test.each(USERS)('config.toml that is a FIFO or /dev/zero is refused at once with a clear message, as $user', ({ unprivileged }) => {
    const config = path.join(ws.codexHome, 'config.toml');
    expect(spawnSync('mkfifo', ['-m', '0666', config]).status).toBe(0);
    const fifo = run(exe.path, ['sandbox', '--', 'true'], { cwd: ws.work, env: baseEnv(), unprivileged });
    expect(fifo.stderr).toBe(`codex sandbox: ${config}: config file is a FIFO (named pipe); only a regular file is read\n`);
    expect(fifo.status).toBe(1);
    fs.rmSync(config);
    fs.symlinkSync('/dev/zero', config);
    const zero = run(exe.path, ['sandbox', '--', 'true'], { cwd: ws.work, env: baseEnv(), unprivileged });
    expect(zero.stderr).toBe(`codex sandbox: ${config}: config file is a character device; only a regular file is read\n`);
    expect(zero.status).toBe(1);
  });
});
