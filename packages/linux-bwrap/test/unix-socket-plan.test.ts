// Table tests of the Unix-socket plan of proxy-only runs (N15-N17) over real sockets, files,
// directories and symlinks in a temp dir.
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

import { SandboxRequestError } from '../src/runtime-errors.js';
import { describeUnixSocketPlan, planUnixSockets, unixSocketFilter, unixSocketHiddenPaths, unixSocketMounts } from '../src/unix-socket-plan.js';

let dir: string;
let socketPath: string;
let server: net.Server;

beforeAll(async () => {
  dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'unix-plan-')));
  socketPath = path.join(dir, 'a.sock');
  server = net.createServer();
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  fs.symlinkSync(socketPath, path.join(dir, 'link.sock'));
  fs.writeFileSync(path.join(dir, 'file'), '');
  fs.mkdirSync(path.join(dir, 'subdir'));
});
afterAll(() => {
  server.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const D = '/dev/.codex-netns';

describe('planUnixSockets', () => {
  it('nothing asked, or an empty allowlist: none (no AF_UNIX socket at all)', () => {
    expect(planUnixSockets(undefined, D)).toEqual({ kind: 'none' });
    expect(planUnixSockets({ allowAll: false, allow: [] }, D)).toEqual({ kind: 'none' });
    expect(unixSocketFilter({ kind: 'none' })).toBeUndefined();
  });

  it('a socket and a symlink to it: one bind, both names, the canonical path bound', () => {
    const link = path.join(dir, 'link.sock');
    const plan = planUnixSockets({ allowAll: false, allow: [link, socketPath] }, D);
    expect(plan).toEqual({ kind: 'allowlist', sockets: [{ names: [link, socketPath], hostPath: socketPath, socketInSandbox: `${D}/unix-0.sock` }] });
    expect(unixSocketFilter(plan)).toBe('supervised');
    expect(unixSocketMounts(plan)).toEqual(['--ro-bind', socketPath, `${D}/unix-0.sock`]);
    expect(unixSocketHiddenPaths(plan)).toEqual([]);
    expect(describeUnixSocketPlan(plan)[1]).toBe(`allowed: ${link} = ${socketPath}`);
  });

  it('a deny entry for the same socket, by either name, wins', () => {
    const link = path.join(dir, 'link.sock');
    expect(planUnixSockets({ allowAll: false, allow: [link], deny: [socketPath] }, D)).toEqual({ kind: 'none' });
    expect(planUnixSockets({ allowAll: false, allow: [socketPath], deny: [link] }, D)).toEqual({ kind: 'none' });
    expect(planUnixSockets({ allowAll: false, allow: [socketPath], deny: [`${dir}/missing.sock`] }, D).kind).toBe('allowlist');
  });

  it('allow-all: the hidden directories are masked, nothing is bound', () => {
    const plan = planUnixSockets({ allowAll: true, hiddenDirectories: ['/state/proxy', '/state/proxy'] }, D);
    expect(plan).toEqual({ kind: 'all', hiddenDirectories: ['/state/proxy'] });
    expect(unixSocketFilter(plan)).toBe('all');
    expect(unixSocketMounts(plan)).toEqual([]);
    expect(unixSocketHiddenPaths(plan)).toEqual(['/state/proxy']);
    expect(() => planUnixSockets({ allowAll: true, hiddenDirectories: ['rel'] }, D)).toThrow('must be an absolute, normalised path');
  });

  it.each([
    ['a relative path', () => 'a.sock', 'the path must be absolute and normalised'],
    ['a path with ..', () => `${dir}/subdir/../a.sock`, 'the path must be absolute and normalised'],
    ['a missing socket', () => `${dir}/missing.sock`, 'it does not exist (the socket must exist when the run starts'],
    ['a regular file', () => `${dir}/file`, 'it is not a socket'],
    ['a directory', () => `${dir}/subdir`, 'it is not a socket (a directory or file cannot be allowed: name each socket)'],
    ['a path too long for sun_path', () => `/${'x'.repeat(110)}`, 'longer than 107 bytes'],
  ])('refuses %s', (_what, entry, message) => {
    expect(() => planUnixSockets({ allowAll: false, allow: [entry()] }, D)).toThrow(SandboxRequestError);
    expect(() => planUnixSockets({ allowAll: false, allow: [entry()] }, D)).toThrow(message);
  });
});
