// The in-process API as a host program uses it, under attack (issue 10): the host's own descriptors
// must not reach the command and must be left as they were. Real bubblewrap, this (root) jest
// process as the host; the executable's tests cover uid 65534. (SIGUSR1 in a host process is
// linux-bwrap's signals-process.test.ts: jest hands tests a copy of `process` whose signal
// listeners never reach Node.)
import * as fs from 'node:fs';
import * as path from 'node:path';
import { inheritableDescriptors, loadCloseOnExecControl } from '@codex-sandbox/linux-bwrap';
import { createSandbox } from '../src/index.js';
import { makeWorkspace, testBwrap } from './helpers/executable.js';

let ws: ReturnType<typeof makeWorkspace>;
beforeAll(() => {
  testBwrap();
});
beforeEach(() => {
  ws = makeWorkspace();
});
afterEach(() => ws.cleanup());

function env(): Record<string, string | undefined> {
  return { PATH: process.env['PATH'], HOME: ws.root, CODEX_HOME: ws.codexHome };
}

test("descriptors the host holds without close-on-exec never reach the command, and the host's stay exactly as they were", async () => {
  const outside = path.join(ws.root, 'outside');
  fs.mkdirSync(outside, { mode: 0o777 });
  const hostFile = path.join(outside, 'host.txt');
  fs.writeFileSync(hostFile, 'host\n');
  const secret = path.join(ws.root, 'secret.txt');
  fs.writeFileSync(secret, 'TOP-SECRET\n');
  fs.writeFileSync(
    path.join(ws.codexHome, 'config.toml'),
    `default_permissions = "ro-deny"\n[permissions.ro-deny]\nextends = ":read-only"\n[permissions.ro-deny.filesystem]\n"${secret}" = "none"\n`,
  );
  // Inheritable descriptors, as a host started with them (or one that cleared close-on-exec) has.
  const fcntl = loadCloseOnExecControl();
  const held: number[] = [];
  for (let i = 0; i < 30; i += 1) held.push(fs.openSync(outside, 'r'), fs.openSync(secret, 'r'), fs.openSync(hostFile, 'r+'));
  const sandbox = createSandbox({ cwd: ws.work, env: env() });
  try {
    for (const fd of held) fcntl.set(fd, 0);
    expect(inheritableDescriptors()).toEqual(expect.arrayContaining(held));
    const [dirFd, secretFd, fileFd] = held.slice(-3) as [number, number, number];
    const script = [
      'n=0; for fd in $(seq 3 1023); do [ -e /proc/self/fd/$fd ] && { echo "open $fd $(readlink /proc/self/fd/$fd)"; n=$((n + 1)); }; done',
      `( cat /proc/self/fd/${secretFd} ) 2>/dev/null`,
      `( echo EVIL > /proc/self/fd/${dirFd}/pwned ) 2>/dev/null; ( echo EVIL > /proc/self/fd/${fileFd} ) 2>/dev/null`,
      'echo done; exit $n',
    ].join('\n');
    // 'pipe' starts bwrap through child_process, 'ignore' through Node's process handle: both paths.
    const piped = await sandbox.run(['sh', '-c', script], { stdio: 'pipe' });
    expect(piped.stderr?.toString()).toBe('');
    expect(piped.stdout?.toString()).toBe('done\n');
    expect(piped.exitCode).toBe(0);
    expect((await sandbox.run(['sh', '-c', script], { stdio: 'ignore' })).exitCode).toBe(0);
    expect(fs.existsSync(path.join(outside, 'pwned'))).toBe(false);
    expect(fs.readFileSync(hostFile, 'utf8')).toBe('host\n');
    // The host's descriptors: all still open, on the same files, still without close-on-exec.
    for (const fd of held) expect(fcntl.get(fd)).toBe(0);
    expect(fs.readFileSync(secretFd, 'utf8')).toBe('TOP-SECRET\n');
  } finally {
    sandbox.dispose();
    for (const fd of held) fs.closeSync(fd);
  }
});
