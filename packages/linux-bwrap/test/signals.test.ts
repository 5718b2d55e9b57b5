// Signal delivery to a sandbox's process group, with real processes standing in for bwrap and its
// init (a detached `sleep` leads its own process group, as bwrap's init does under --new-session),
// and the status text parsing as bwrap writes it.

import { spawn, type ChildProcess } from 'node:child_process';

import { exitStatusOf, initPidFromStatus, parseStatusLines, SandboxSignalTarget } from '../src/signals.js';

function startGroupLeader(): ChildProcess {
  return spawn('/bin/sleep', ['30'], { detached: true, stdio: 'ignore' });
}

function exited(child: ChildProcess): Promise<NodeJS.Signals | null> {
  return new Promise((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
}

/**
 * A stand-in for bwrap: records what it was sent, running until told otherwise. Its pid is this
 * process's, the parent of the group leaders the tests start (as bwrap is the parent of its init).
 */
function fakeBwrap(pid = process.pid): { kill: (signal: NodeJS.Signals) => void; running: boolean; pid: number; received: NodeJS.Signals[] } {
  const received: NodeJS.Signals[] = [];
  return { received, running: true, pid, kill: (signal) => received.push(signal) };
}

describe('SandboxSignalTarget', () => {
  it('signals the process group as soon as the status names the init', async () => {
    const init = startGroupLeader();
    const bwrap = fakeBwrap();
    const target = new SandboxSignalTarget(bwrap, () => init.pid);
    const end = exited(init);
    target.send('SIGTERM');
    expect(await end).toBe('SIGTERM');
    expect(bwrap.received).toEqual([]);
  });

  it('retries a signal that arrives before bwrap reported the pid, then delivers it to the group', async () => {
    const init = startGroupLeader();
    const bwrap = fakeBwrap();
    let reads = 0;
    // The first reads find no status yet (bwrap has not written it).
    const target = new SandboxSignalTarget(bwrap, () => (++reads < 4 ? undefined : init.pid));
    const end = exited(init);
    target.send('SIGINT');
    expect(await end).toBe('SIGINT');
    expect(reads).toBeGreaterThanOrEqual(4);
    expect(bwrap.received).toEqual([]);
  });

  it('gives the signal to bwrap itself when bwrap ends without ever reporting a pid', async () => {
    const bwrap = fakeBwrap();
    const target = new SandboxSignalTarget(bwrap, () => undefined);
    target.send('SIGHUP');
    bwrap.running = false;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(bwrap.received).toEqual(['SIGHUP']);
  });

  it('never signals a reported pid that is not a child of the bwrap it started (a forged status)', async () => {
    const victim = startGroupLeader();
    try {
      // The victim is this process's child, not the (pretend) bwrap's.
      const bwrap = fakeBwrap(victim.pid === 1 ? 2 : 1);
      const target = new SandboxSignalTarget(bwrap, () => victim.pid);
      target.send('SIGTERM');
      bwrap.running = false;
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(victim.exitCode).toBeNull();
      expect(victim.signalCode).toBeNull();
      expect(bwrap.received).toEqual(['SIGTERM']);
    } finally {
      victim.kill('SIGKILL');
    }
  });

  it('drops signals once the run finished', async () => {
    const bwrap = fakeBwrap();
    let reads = 0;
    const target = new SandboxSignalTarget(bwrap, () => {
      reads += 1;
      return undefined;
    });
    target.finish();
    target.send('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(reads).toBe(0);
    expect(bwrap.received).toEqual([]);
  });
});

describe('status parsing', () => {
  it.each([
    ['a child-pid line', '{ "child-pid": 4242 }\n', 4242],
    ['the first child-pid of several lines', '{ "child-pid": 17 }\n{ "exit-code": 0 }\n', 17],
    ['nothing yet', '', undefined],
    ['a line not finished yet', '{ "child-pid": 42', undefined],
    ['a pid that cannot be an init on the host', '{ "child-pid": 1 }\n', undefined],
    ['garbage', 'not json\n{"child-pid":"5"}\n', undefined],
  ])('%s', (_name, text, pid) => {
    expect(initPidFromStatus(text)).toBe(pid);
  });

  it('parseStatusLines returns the unfinished tail for the next chunk', () => {
    const pids: number[] = [];
    expect(parseStatusLines('{"child-pid": 9}\n{"chi', (pid) => pids.push(pid))).toBe('{"chi');
    expect(pids).toEqual([9]);
  });

  it.each([
    [0, null, 0],
    [3, null, 3],
    [255, null, 255],
    [null, 'SIGTERM', 143],
    [null, 'SIGKILL', 137],
    [null, 'SIGPIPE', 141],
    [null, 'SIGINT', 130],
    [null, null, 1],
  ] as const)('exit %p / signal %p -> status %p', (code, signal, status) => {
    expect(exitStatusOf(code, signal)).toBe(status);
  });
});
