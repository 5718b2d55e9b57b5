// macOS only: Bazel runs this file in //packages/seatbelt:e2e_macos, which is incompatible with
// every other OS (reported "not run" there); :test leaves it out. It runs the real
// /usr/bin/sandbox-exec with the generated policies: reads, writes, carve-outs, protected names,
// deny globs, network off, proxy-only network, Unix sockets and --log-denials. It has never run on
// the Linux machines this package was written on (README: what awaits a macOS run).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { resolveSandboxPolicy, type FileSystemSandboxEntry, type NetworkSandboxPolicy } from '@codex-sandbox/policy';
import { planSeatbelt, runSeatbelt, SANDBOX_EXEC_PATH, type SeatbeltHostOptions } from '@codex-sandbox/seatbelt';

const onMac = process.platform === 'darwin';
const root: FileSystemSandboxEntry = { path: { type: 'special', value: { kind: 'root' } }, access: 'read' };
const at = (p: string, access: FileSystemSandboxEntry['access']): FileSystemSandboxEntry => ({ path: { type: 'path', path: p }, access });

let dir: string;
beforeEach(() => {
  dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'seatbelt-e2e-')));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

async function run(entries: FileSystemSandboxEntry[], script: string, options: SeatbeltHostOptions & { network?: NetworkSandboxPolicy; logDenials?: boolean } = {}) {
  const resolved = resolveSandboxPolicy(
    { type: 'managed', network: options.network ?? 'restricted', fileSystem: { type: 'restricted', entries } },
    { cwd: dir, workspaceRoots: [], env: {} },
  );
  const plan = planSeatbelt(resolved, ['/bin/sh', '-c', script], options);
  return runSeatbelt({ plan, cwd: dir, env: { PATH: '/usr/bin:/bin:/usr/sbin:/sbin' }, stdio: 'ignore', ...(options.logDenials === true ? { logDenials: true } : {}) });
}

(onMac ? describe : describe.skip)('sandbox-exec on this Mac', () => {
  test('a profile without file-write* refuses writes', () => {
    const target = path.join(dir, 'denied');
    const profile = '(version 1)(allow default)(deny file-write*)';
    const r = spawnSync(SANDBOX_EXEC_PATH, ['-p', profile, '/bin/sh', '-c', `echo x > '${target}'`]);
    expect(r.status).not.toBe(0);
    expect(fs.existsSync(target)).toBe(false);
  });

  test('reads: :root read lets the command read; nothing is writable', async () => {
    fs.writeFileSync(path.join(dir, 'f'), 'x');
    expect((await run([root], `cat '${dir}/f'`)).exitCode).toBe(0);
    expect((await run([root], `echo x > '${dir}/new'`)).exitCode).not.toBe(0);
    expect(fs.existsSync(path.join(dir, 'new'))).toBe(false);
  });

  test('writes: inside a writable root only', async () => {
    const w = path.join(dir, 'w');
    fs.mkdirSync(w);
    expect((await run([root, at(w, 'write')], `echo x > '${w}/ok'`)).exitCode).toBe(0);
    expect(fs.readFileSync(path.join(w, 'ok'), 'utf8')).toBe('x\n');
    expect((await run([root, at(w, 'write')], `echo x > '${dir}/outside'`)).exitCode).not.toBe(0);
  });

  test('carve-outs: a read-only and a denied directory inside a writable root', async () => {
    const w = path.join(dir, 'w');
    fs.mkdirSync(path.join(w, 'ro'), { recursive: true });
    fs.mkdirSync(path.join(w, 'secret'));
    fs.writeFileSync(path.join(w, 'ro', 'f'), 'r');
    fs.writeFileSync(path.join(w, 'secret', 'f'), 's');
    const entries = [root, at(w, 'write'), at(path.join(w, 'ro'), 'read'), at(path.join(w, 'secret'), 'deny')];
    expect((await run(entries, `cat '${w}/ro/f'`)).exitCode).toBe(0);
    expect((await run(entries, `echo x > '${w}/ro/new'`)).exitCode).not.toBe(0);
    expect((await run(entries, `cat '${w}/secret/f'`)).exitCode).not.toBe(0);
    // Renaming the read-only directory's parent away is refused too.
    fs.mkdirSync(path.join(w, 'a', 'ro2'), { recursive: true });
    const nested = [root, at(w, 'write'), at(path.join(w, 'a', 'ro2'), 'read')];
    expect((await run(nested, `mv '${w}/a' '${w}/moved'`)).exitCode).not.toBe(0);
  });

  test('protected names: .git, .codex, .agents and .aws stay read-only, even when missing', async () => {
    const w = path.join(dir, 'w');
    fs.mkdirSync(path.join(w, '.git'), { recursive: true });
    const entries = [root, at(w, 'write')];
    expect((await run(entries, `echo x > '${w}/.git/config'`)).exitCode).not.toBe(0);
    for (const name of ['.codex', '.agents', '.aws']) expect((await run(entries, `mkdir '${w}/${name}'`)).exitCode).not.toBe(0);
    expect((await run(entries, `mv '${w}/.git' '${w}/git2'`)).exitCode).not.toBe(0);
    expect((await run(entries, `echo x > '${w}/fine'`)).exitCode).toBe(0);
  });

  test('deny globs: matching files are unreadable and unwritable, others are not', async () => {
    const w = path.join(dir, 'w');
    fs.mkdirSync(path.join(w, 'a'), { recursive: true });
    fs.writeFileSync(path.join(w, 'a', '.env'), 'secret');
    fs.writeFileSync(path.join(w, 'a', 'ok.txt'), 'fine');
    const entries = [root, at(w, 'write'), { path: { type: 'glob_pattern' as const, pattern: `${w}/**/*.env` }, access: 'deny' as const }];
    expect((await run(entries, `cat '${w}/a/.env'`)).exitCode).not.toBe(0);
    expect((await run(entries, `echo x > '${w}/a/new.env'`)).exitCode).not.toBe(0);
    expect((await run(entries, `cat '${w}/a/ok.txt'`)).exitCode).toBe(0);
    expect((await run(entries, `mv '${w}/a' '${w}/b'`)).exitCode).not.toBe(0);
  });

  async function listen(): Promise<{ port: number; close: () => void }> {
    const server = net.createServer((socket) => socket.end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return { port: (server.address() as net.AddressInfo).port, close: () => server.close() };
  }

  test('network off: no TCP connection, not even to loopback; network on: connects', async () => {
    const server = await listen();
    try {
      expect((await run([root], `/usr/bin/nc -z -w 2 127.0.0.1 ${server.port}`)).exitCode).not.toBe(0);
      expect((await run([root], `/usr/bin/nc -z -w 2 127.0.0.1 ${server.port}`, { network: 'enabled' })).exitCode).toBe(0);
    } finally {
      server.close();
    }
  });

  test('proxy-only: the proxy port is reachable, another loopback port is not, even with network enabled', async () => {
    const proxy = await listen();
    const other = await listen();
    try {
      const options = { network: 'enabled' as const, proxy: { ports: [proxy.port], allowLocalBinding: false } };
      expect((await run([root], `/usr/bin/nc -z -w 2 localhost ${proxy.port}`, options)).exitCode).toBe(0);
      expect((await run([root], `/usr/bin/nc -z -w 2 localhost ${other.port}`, options)).exitCode).not.toBe(0);
    } finally {
      proxy.close();
      other.close();
    }
  });

  test('unix sockets: only an allowed path can be connected to', async () => {
    const socketPath = path.join(dir, 's.sock');
    const server = net.createServer((socket) => socket.end());
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
    try {
      expect((await run([root], `/usr/bin/nc -U -z '${socketPath}'`)).exitCode).not.toBe(0);
      expect((await run([root], `/usr/bin/nc -U -z '${socketPath}'`, { unixSocketPaths: [socketPath] })).exitCode).toBe(0);
    } finally {
      server.close();
    }
  });

  test('--log-denials reports the denied read of the command tree', async () => {
    fs.mkdirSync(path.join(dir, 'secret'));
    fs.writeFileSync(path.join(dir, 'secret', 'f'), 's');
    const result = await run([root, at(path.join(dir, 'secret'), 'deny')], `cat '${dir}/secret/f'`, { logDenials: true });
    expect(result.exitCode).not.toBe(0);
    expect(result.denials?.some((d) => d.capability.startsWith('file-read') && d.capability.includes('secret'))).toBe(true);
  });
});
