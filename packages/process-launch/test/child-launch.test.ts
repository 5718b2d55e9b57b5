// Real processes: launchChild through Node's process handle (the default for plain descriptors)
// and through child_process (forced by asking for the ChildProcess), with the same expectations.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { launchChild, type ChildLaunch, type RunningChild } from '../src/child-launch.js';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'child-launch-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

type Route = 'process handle' | 'child_process';

function launch(route: Route, spec: Partial<ChildLaunch> & Pick<ChildLaunch, 'file' | 'args'>): RunningChild {
  return launchChild({
    argv0: spec.file,
    cwd: dir,
    env: { PATH: '/usr/bin:/bin' },
    stdio: ['ignore', 'ignore', 'ignore'],
    detached: false,
    ...spec,
    onSpawn: route === 'child_process' ? () => {} : undefined,
  });
}

/** The output of `script` run by sh with its stdout on a file descriptor (not a pipe). */
async function shOutput(route: Route, script: string, extra: Partial<ChildLaunch> = {}): Promise<string> {
  const out = path.join(dir, `out-${Math.random().toString(36).slice(2)}`);
  const fd = fs.openSync(out, 'w');
  try {
    const child = launch(route, { file: '/bin/sh', args: ['-c', script], stdio: ['ignore', fd, 'ignore'], ...extra });
    expect(await child.ended).toEqual({ kind: 'exited', code: 0, signal: null });
  } finally {
    fs.closeSync(fd);
  }
  return fs.readFileSync(out, 'utf8');
}

describe.each<Route>(['process handle', 'child_process'])('through the %s', (route) => {
  it.each([
    ['exit status 0', ['-c', 'exit 0'], { kind: 'exited', code: 0, signal: null }],
    ['exit status 3', ['-c', 'exit 3'], { kind: 'exited', code: 3, signal: null }],
    ['killed by SIGTERM', ['-c', 'kill -TERM $$'], { kind: 'exited', code: null, signal: 'SIGTERM' }],
    ['killed by SIGKILL', ['-c', 'kill -KILL $$'], { kind: 'exited', code: null, signal: 'SIGKILL' }],
  ])('reports %s', async (_name, args, expected) => {
    const child = launch(route, { file: '/bin/sh', args });
    expect(child.pid).toEqual(expect.any(Number));
    expect(await child.ended).toEqual(expected);
    expect(child.running).toBe(false);
  });

  it('reports a missing program as not started with ENOENT', async () => {
    const child = launch(route, { file: path.join(dir, 'does-not-exist'), args: [] });
    const end = await child.ended;
    expect(end).toMatchObject({ kind: 'not-started', code: 'ENOENT' });
    expect(child.running).toBe(false);
  });

  it('reports a file without execute permission as not started with EACCES', async () => {
    const file = path.join(dir, `not-executable-${route.replace(/\W/g, '')}`);
    fs.writeFileSync(file, '#!/bin/sh\nexit 0\n', { mode: 0o644 });
    const end = await launch(route, { file, args: [] }).ended;
    // execve needs an execute bit even for root.
    expect(end).toMatchObject({ kind: 'not-started', code: 'EACCES' });
  });

  it('gives the child exactly the descriptors asked for: numbers at their slots, ignore as /dev/null', async () => {
    const extraPath = path.join(dir, `fd3-${route.replace(/\W/g, '')}`);
    const fd3 = fs.openSync(extraPath, 'w');
    const out = path.join(dir, `fdout-${route.replace(/\W/g, '')}`);
    const fd1 = fs.openSync(out, 'w');
    try {
      const child = launch(route, {
        file: '/bin/sh',
        args: ['-c', 'echo to-fd-3 >&3; readlink /proc/self/fd/0; cat; echo end'],
        stdio: ['ignore', fd1, 'ignore', fd3],
      });
      expect(await child.ended).toEqual({ kind: 'exited', code: 0, signal: null });
    } finally {
      fs.closeSync(fd1);
      fs.closeSync(fd3);
    }
    expect(fs.readFileSync(extraPath, 'utf8')).toBe('to-fd-3\n');
    expect(fs.readFileSync(out, 'utf8')).toBe('/dev/null\nend\n');
  });

  it('passes argv0, the arguments, the working directory and exactly the given environment', async () => {
    const output = await shOutput(route, 'cat /proc/$$/cmdline | tr "\\0" " "; echo; pwd; env | sort', {
      argv0: 'custom-argv0',
      env: { PATH: '/usr/bin:/bin', ONLY_THIS: 'value with spaces' },
    });
    const [cmdline, cwd, ...env] = output.trimEnd().split('\n');
    expect(cmdline).toBe('custom-argv0 -c cat /proc/$$/cmdline | tr "\\0" " "; echo; pwd; env | sort ');
    expect(cwd).toBe(fs.realpathSync(dir));
    expect(env.filter((line) => !/^(PWD|SHLVL|_)=/.test(line))).toEqual(['ONLY_THIS=value with spaces', 'PATH=/usr/bin:/bin']);
  });

  it.each([
    [true, 'leads its own session and process group'],
    [false, 'stays in the parent\'s process group'],
  ])('detached %s: the child %s', async (detached) => {
    // Fields 5 and 6 of /proc/PID/stat (after the parenthesised name): process group and session.
    const output = await shOutput(route, 'echo $$; sed "s/.*) //" /proc/$$/stat | cut -d" " -f3,4', { detached });
    const [pid, groups] = output.trim().split('\n');
    const [pgid, sid] = (groups ?? '').split(' ');
    if (detached) {
      expect([pgid, sid]).toEqual([pid, pid]);
    } else {
      const ours = fs.readFileSync('/proc/self/stat', 'utf8').replace(/.*\) /s, '').split(' ');
      expect([pgid, sid]).toEqual([ours[2], ours[3]]);
    }
  });

  it('kill() delivers the signal while the child runs and does nothing after it ended', async () => {
    const child = launch(route, { file: '/bin/sleep', args: ['30'] });
    expect(child.running).toBe(true);
    child.kill('SIGTERM');
    expect(await child.ended).toEqual({ kind: 'exited', code: null, signal: 'SIGTERM' });
    expect(child.running).toBe(false);
    expect(() => child.kill('SIGTERM')).not.toThrow();
  });
});

it('hands the ChildProcess to onSpawn (piped streams need it)', async () => {
  let stdout = '';
  const child = launchChild({
    file: '/bin/echo',
    argv0: 'echo',
    args: ['piped'],
    cwd: dir,
    env: {},
    stdio: ['ignore', 'pipe', 'ignore'],
    detached: false,
    onSpawn: (c) => c.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString())),
  });
  expect(await child.ended).toEqual({ kind: 'exited', code: 0, signal: null });
  expect(stdout).toBe('piped\n');
});

it('still starts commands when the private process binding is not what it expects (falls back to child_process)', async () => {
  const binding = (process as unknown as { binding: (name: string) => unknown }).binding;
  class ChangedProcess {
    onexit = null;
    spawn(): number {
      throw new TypeError('options changed shape');
    }
    kill(): number {
      return 0;
    }
    close(): void {}
  }
  (process as unknown as { binding: (name: string) => unknown }).binding = (name: string) => (name === 'process_wrap' ? { Process: ChangedProcess } : binding.call(process, name));
  try {
    let fresh: typeof import('../src/child-launch.js') | undefined;
    jest.isolateModules(() => {
      fresh = jest.requireActual<typeof import('../src/child-launch.js')>('../src/child-launch.js');
    });
    const child = fresh!.launchChild({ file: '/bin/sh', argv0: 'sh', args: ['-c', 'exit 3'], cwd: dir, env: {}, stdio: ['ignore', 'ignore', 'ignore'], detached: false });
    expect(await child.ended).toEqual({ kind: 'exited', code: 3, signal: null });
  } finally {
    (process as unknown as { binding: (name: string) => unknown }).binding = binding;
  }
});
