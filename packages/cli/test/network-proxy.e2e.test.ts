// End to end: a profile with `domains` runs behind the managed proxy in proxy-only mode. The built
// executable (root and uid 65534) runs real curl and python inside real bwrap against real
// loopback servers this test starts (HTTP, HTTPS with a throwaway certificate); the names are
// `localhost` (resolved from /etc/hosts: these machines have no DNS) and `127.0.0.1`.
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

import { PROXY_ENV_KEYS } from '@codex-sandbox/proxy-bridge';

import { listenLoopback, namedAnswer, namedOrigin } from './helpers/origins.js';
import { launcherCommand, makeWorkspace, prepareExecutable, type PreparedExecutable } from './helpers/executable.js';

jest.setTimeout(120_000);

let exe: PreparedExecutable;
let allowedPort = 0;
let deniedPort = 0;
let tlsPort = 0;
let bulkPort = 0;
const closers: Array<() => void> = [];

beforeAll(async () => {
  exe = prepareExecutable();
  const allowed = namedOrigin('allowed');
  const denied = namedOrigin('denied');
  allowedPort = await listenLoopback(allowed);
  deniedPort = await listenLoopback(denied);
  const certDir = fs.mkdtempSync(path.join(os.tmpdir(), 'codex-tls-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost',
    '-keyout', path.join(certDir, 'key.pem'), '-out', path.join(certDir, 'cert.pem')], { stdio: 'ignore' });
  const tls = https.createServer({ key: fs.readFileSync(path.join(certDir, 'key.pem')), cert: fs.readFileSync(path.join(certDir, 'cert.pem')) }, namedAnswer('tls'));
  fs.rmSync(certDir, { recursive: true, force: true });
  tlsPort = await listenLoopback(tls);
  // Streams until the client goes away (a download that outlasts the relay in the test below).
  const chunk = Buffer.alloc(1 << 16, 0x62);
  const bulk = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    const pump = (): void => {
      while (!res.destroyed && res.write(chunk));
      if (!res.destroyed) res.once('drain', pump);
    };
    pump();
  });
  bulkPort = await listenLoopback(bulk);
  closers.push(() => allowed.close(), () => denied.close(), () => tls.close(), () => bulk.close());
});
afterAll(() => {
  closers.forEach((close) => close());
  exe.cleanup();
});

let ws: ReturnType<typeof makeWorkspace>;
beforeEach(() => {
  ws = makeWorkspace();
});
afterEach(() => ws.cleanup());

function profile(extra = ''): string {
  return `default_permissions = "web"
[permissions.web]
extends = ":workspace"
[permissions.web.network]
enabled = true
${extra}
[permissions.web.network.domains]
"localhost" = "allow"
"localhost:${deniedPort}" = "deny"
`;
}

interface Result {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** The executable, asynchronously (the test's servers must keep answering meanwhile). */
function start(args: string[], unprivileged: boolean, tmp: string, onStdout?: (text: string) => void) {
  const argv = unprivileged ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--', exe.path, ...args] : [exe.path, ...args];
  const [program, ...rest] = argv as [string, ...string[]];
  const child = spawn(program, rest, {
    cwd: ws.work,
    env: { PATH: '/usr/bin:/bin', HOME: ws.root, CODEX_HOME: ws.codexHome, TMPDIR: tmp, HTTP_PROXY: 'http://corp.example:8080', no_proxy: '*' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
    onStdout?.(stdout);
  });
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<Result>((resolve) => child.on('close', (status, signal) => resolve({ status, signal, stdout, stderr })));
  return { child, done };
}

function tmpFor(unprivileged: boolean): string {
  const tmp = path.join(ws.root, `tmp-${unprivileged ? 'nobody' : 'root'}`);
  fs.mkdirSync(tmp, { mode: 0o700 });
  if (unprivileged) fs.chownSync(tmp, 65534, 65534);
  return tmp;
}

/**
 * Proxy socket directories: in the state directory under HOME when it can be made there (root),
 * else in TMPDIR (nobody cannot create ws.root/.cache).
 */
function leftovers(tmp: string): string[] {
  const state = path.join(ws.root, '.cache', 'codex-sandbox', 'proxy');
  return [tmp, state].filter((dir) => fs.existsSync(dir)).flatMap((dir) => fs.readdirSync(dir).filter((name) => name.startsWith('codex-proxy-')));
}

function writeConfig(text: string): void {
  fs.writeFileSync(path.join(ws.codexHome, 'config.toml'), text, { mode: 0o644 });
}

describe.each([
  ['root', false],
  ['nobody', true],
] as const)('as %s', (_who, unprivileged) => {
  it('allowed and denied over HTTP, CONNECT (HTTPS) and SOCKS5h; deny beats allow; blocked requests reported', async () => {
    writeConfig(profile());
    const tmp = tmpFor(unprivileged);
    const script = [
      `curl -sS http://localhost:${allowedPort}/a`,
      `curl -sS -o /dev/null -w 'denied-http:%{http_code}\\n' http://localhost:${deniedPort}/b`,
      `curl -sS -o /dev/null -w 'literal-ip:%{http_code}\\n' http://127.0.0.1:${allowedPort}/c`,
      `curl -sS -k https://localhost:${tlsPort}/d`,
      `curl -sS -p -o /dev/null http://localhost:${deniedPort}/e 2>/dev/null || echo denied-connect:$?`,
      `curl -sS -x "$ALL_PROXY" http://localhost:${allowedPort}/f`,
      `curl -sS -x "$ALL_PROXY" http://localhost:${deniedPort}/g 2>/dev/null || echo denied-socks:$?`,
    ].join('; ');
    const result = await start(['sandbox', '--', 'sh', '-c', script], unprivileged, tmp).done;
    expect(result.stdout).toBe(
      [
        `allowed:GET /a`,
        'denied-http:403',
        'literal-ip:403',
        'tls:GET /d',
        // curl: 56 = the proxy refused the CONNECT; 97 = the SOCKS5 server refused the connection.
        'denied-connect:56',
        `allowed:GET /f`,
        'denied-socks:97',
        '',
      ].join('\n'),
    );
    expect(result.status).toBe(0);
    const report = result.stderr.split('\n');
    expect(report[0]).toBe('codex sandbox: the network proxy blocked 4 requests:');
    expect(report.slice(1, 5).map((line) => line.split(': ')[0])).toEqual([
      `  localhost:${deniedPort}  denylist  (HTTP GET)`,
      `  127.0.0.1:${allowedPort}  local-address  (HTTP GET)`,
      `  localhost:${deniedPort}  denylist  (CONNECT)`,
      `  localhost:${deniedPort}  denylist  (SOCKS5)`,
    ]);
    expect(leftovers(tmp)).toEqual([]);
  });

  it('the command\'s proxy variables point at the in-namespace listeners; nothing else gets out', async () => {
    writeConfig(profile());
    const tmp = tmpFor(unprivileged);
    const probe = `
import os, socket, errno
for k in sorted(os.environ):
    if 'proxy' in k.lower() or k.startswith('CODEX_NETWORK'):
        print(k + '=' + os.environ[k])
def t(label, f):
    try:
        f(); print(label + ':ok')
    except OSError as e:
        print(label + ':' + errno.errorcode.get(e.errno, str(e.errno)))
t('host-loopback', lambda: socket.create_connection(('127.0.0.1', ${allowedPort}), timeout=5).close())
t('unix', lambda: socket.socket(socket.AF_UNIX).close())
t('socketpair', lambda: [s.close() for s in socket.socketpair()])
`;
    const result = await start(['sandbox', '--', 'python3', '-c', probe], unprivileged, tmp).done;
    expect(result.stderr).toBe('');
    const lines = result.stdout.trim().split('\n');
    const env = new Map(lines.filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)] as const));
    for (const key of PROXY_ENV_KEYS) {
      const want = key === 'ALL_PROXY' || key === 'FTP_PROXY' ? 'socks5h://127.0.0.1:8081' : 'http://127.0.0.1:3128';
      expect([key, env.get(key), env.get(key.toLowerCase())]).toEqual([key, want, want]);
    }
    // The host's corporate proxy and its bypass list never reach the command (N2: NO_PROXY per local binding).
    expect(env.get('NO_PROXY')).toBe('');
    expect(env.get('no_proxy')).toBe('');
    expect(env.get('CODEX_NETWORK_PROXY_ACTIVE')).toBe('1');
    expect(env.get('CODEX_NETWORK_ALLOW_LOCAL_BINDING')).toBe('0');
    expect(lines.filter((l) => !l.includes('='))).toEqual(['host-loopback:ECONNREFUSED', 'unix:EPERM', 'socketpair:ok']);
    expect(result.status).toBe(0);
  });

  it('tunnels go through codex-proxy-relay; killing it stops the traffic, the run reports it, nothing is left running', async () => {
    writeConfig(profile());
    const tmp = tmpFor(unprivileged);
    let downloading: () => void = () => {};
    const started = new Promise<void>((resolve) => (downloading = resolve));
    // -p: CONNECT through the HTTP proxy; the download never ends on its own.
    const script = `echo start; curl -sS -p --limit-rate 4M -o /dev/null http://localhost:${bulkPort}/ 2>/dev/null; echo curl:$?; curl -sS -p -o /dev/null http://localhost:${allowedPort}/after 2>/dev/null; echo after:$?`;
    const run = start(['sandbox', '--', 'sh', '-c', script], unprivileged, tmp, (out) => {
      if (out.includes('start')) downloading();
    });
    // A failed expectation must not leave the endless download running.
    const stop = (): void => void (run.child.exitCode === null && run.child.kill('SIGKILL'));
    try {
    await started;
    const relayPids = (): number[] =>
      fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p)).map(Number).filter((pid) => {
        try {
          return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').startsWith('codex-proxy-relay\0') && fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ')[1] === String(run.child.pid);
        } catch {
          return false;
        }
      });
    for (let i = 0; i < 500 && relayPids().length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    const [relay] = relayPids();
    if (relay === undefined) throw new Error('no codex-proxy-relay child of the front end');
    // Runs as the front end's user, with nothing of its environment (only Node's channel variables).
    expect(fs.statSync(`/proc/${relay}`).uid).toBe(unprivileged ? 65534 : 0);
    expect(fs.readFileSync(`/proc/${relay}/environ`, 'utf8').split('\0').filter((v) => v !== '').sort()).toEqual(['NODE_CHANNEL_FD=3', 'NODE_CHANNEL_SERIALIZATION_MODE=json']);
    process.kill(relay, 'SIGKILL');
    const result = await run.done;
    // curl 52/18/56: the tunnel was cut before, during or after the response head; 56: the next
    // CONNECT is refused (502).
    expect(result.stdout).toMatch(/^start\ncurl:(18|52|56)\nafter:56\n$/);
    expect(result.stderr).toContain("codex sandbox: network: the managed proxy's tunnel relay (codex-proxy-relay) was killed by SIGKILL; its tunnels were cut and later ones refused\n");
    expect(result.status).toBe(0);
    expect(relayPids()).toEqual([]);
    expect(leftovers(tmp)).toEqual([]);
    } finally {
      stop();
    }
  });

  it('SIGTERM ends the run and the proxy; after SIGKILL nothing runs and the next run sweeps the sockets', async () => {
    writeConfig(profile());
    const tmp = tmpFor(unprivileged);
    const waitReady = (): { started: Promise<void>; run: ReturnType<typeof start> } => {
      let ready: () => void = () => {};
      const started = new Promise<void>((resolve) => (ready = resolve));
      const run = start(['sandbox', '--', 'sh', '-c', "echo ready; sleep 60; : codex-proxy-e2e-marker"], unprivileged, tmp, (out) => {
        if (out.includes('ready')) ready();
      });
      return { started, run };
    };
    const term = waitReady();
    await term.started;
    expect(leftovers(tmp)).toHaveLength(1);
    term.run.child.kill('SIGTERM');
    const ended = await term.run.done;
    expect(ended.status).toBe(143);
    expect(leftovers(tmp)).toEqual([]);

    const killed = waitReady();
    await killed.started;
    killed.run.child.kill('SIGKILL');
    await killed.run.done;
    const alive = (): boolean =>
      fs.readdirSync('/proc').some((p) => /^\d+$/.test(p) && (() => {
        try {
          return fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('codex-proxy-e2e-marker');
        } catch {
          return false;
        }
      })());
    for (let i = 0; i < 500 && alive(); i++) await new Promise((r) => setTimeout(r, 20));
    expect(alive()).toBe(false);
    expect(leftovers(tmp)).toHaveLength(1); // a SIGKILLed process cannot clean up
    const next = await start(['sandbox', '--', 'true'], unprivileged, tmp).done;
    expect(next.status).toBe(0);
    expect(leftovers(tmp)).toEqual([]);
  });
});

describe('dry run, refusals and bad input', () => {
  it('--dry-run shows the network mode, the proxy policy table and the routes', async () => {
    writeConfig(profile());
    const result = await start(['sandbox', '--dry-run', '--', 'true'], false, tmpFor(false)).done;
    expect(result.status).toBe(0);
    const lines = result.stdout.split('\n');
    const section = (title: string): string[] => {
      const start = lines.findIndex((l) => l.startsWith(title.padEnd(10)));
      const rows = [lines[start]?.slice(11) ?? ''];
      for (let i = start + 1; i < lines.length && lines[i]?.startsWith(' '.repeat(11)); i++) rows.push(lines[i]?.slice(11) ?? '');
      return rows;
    };
    expect(section('network')).toEqual(['proxy-only (managed proxy: private network namespace, the routes below are the only way out)']);
    expect(section('proxy')).toEqual([
      'mode            full',
      'allowed         localhost',
      `denied          localhost:${deniedPort}`,
      'local binding   blocked (loopback, private and link-local targets, by name or by resolved address)',
      'SOCKS5          on',
      'upstream proxy  not used',
      'unix sockets    allowed: (none); denied: (none)',
    ]);
    expect(section('routes')).toEqual([
      '127.0.0.1:3128 -> managed HTTP proxy (private Unix socket, made at run time)',
      '127.0.0.1:8081 -> managed SOCKS5 proxy (private Unix socket, made at run time)',
    ]);
    expect(result.stdout).toMatch(/--unshare-net .*--ro-bind-data 5 \/dev\/\.codex-netns\/helper .*-- \/dev\/\.codex-netns\/helper --spec-fd 6 -- true/);
    expect(result.stdout).not.toContain('--seccomp');
  });

  it.each([
    ['a Unix socket that does not exist', '"unix_sockets" = { "/run/no-such-codex-test.sock" = "allow" }', /Unix socket \/run\/no-such-codex-test\.sock cannot be allowed: it does not exist/],
    ['a relative Unix socket', '"unix_sockets" = { "x.sock" = "allow" }', /`permissions\.web\.network\.unix_sockets\."x\.sock"`: a Unix socket must be an absolute path/],
    ['mitm', 'mitm = {}', /`permissions\.web\.network\.mitm` cannot be enforced/],
    ['a non-loopback proxy_url', 'proxy_url = "http://10.0.0.1:3128"', /`permissions\.web\.network\.proxy_url`: host `10\.0\.0\.1` is not loopback/],
  ])('refuses %s: nothing runs', async (_what, line, message) => {
    writeConfig(profile(line));
    const marker = path.join(ws.work, 'ran');
    const result = await start(['sandbox', '--', 'touch', marker], false, tmpFor(false)).done;
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(fs.existsSync(marker)).toBe(false);
  });

  it('a malformed domain pattern is refused, naming the key', async () => {
    writeConfig(profile().replace('"localhost" = "allow"', '"*" = "allow"'));
    const result = await start(['sandbox', '--', 'true'], false, tmpFor(false)).done;
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/`permissions\.web\.network\.domains\."\*"` is not a valid host pattern/);
  });
});

describe('start-up', () => {
  /**
   * The launcher's program with a report at exit of whether Node's `net` module was loaded, run
   * by the launcher's Node directly (the environment is the test's own, with nothing to stash).
   */
  async function runReportingNet(command: string[], tmp: string): Promise<Result> {
    const launcher = launcherCommand(exe.path);
    const reporting = launcher.program.replace(
      / const mod = /,
      ' process.on("exit", () => fs.writeSync(2, "net loaded: " + process.moduleLoadList.includes("NativeModule net") + "\\n")); const mod = ',
    );
    const child = spawn(launcher.node, [...launcher.flags, '-e', reporting, exe.path, 'sandbox', '--', ...command], {
      cwd: ws.work,
      env: { PATH: '/usr/bin:/bin', HOME: ws.root, CODEX_HOME: ws.codexHome, TMPDIR: tmp },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    return new Promise<Result>((resolve) => child.on('close', (status, signal) => resolve({ status, signal, stdout, stderr })));
  }

  it('node:net is loaded only once the command connects to the proxy: a run that sends nothing does without it', async () => {
    writeConfig(profile());
    const tmp = tmpFor(false);
    // The first run in a new HOME probes bwrap through child_process (which loads net); the probe
    // cache spares every later run.
    expect((await runReportingNet(['true'], tmp)).status).toBe(0);
    const quiet = await runReportingNet(['true'], tmp);
    expect(quiet.status).toBe(0);
    expect(quiet.stderr).toBe('net loaded: false\n');
    const talking = await runReportingNet(['curl', '-sS', `http://localhost:${allowedPort}/a`], tmp);
    expect(talking.stdout).toBe('allowed:GET /a\n');
    expect(talking.status).toBe(0);
    expect(talking.stderr).toBe('net loaded: true\n');
  });
});
