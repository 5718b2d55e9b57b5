// End to end: process lifecycle of a sandboxed run. Signals sent to the front end reach the
// command's traps; SIGKILL of the front end leaves no sandboxed process and the next run removes
// its placeholders; concurrent runs on one workspace keep each other's protection; a sandbox object
// keeps its placeholders across its runs and releases them at dispose or at process exit (L32.1).

import * as fs from 'node:fs';
import * as path from 'node:path';

import {
  createFixture,
  killLeftoverDrivers,
  makeWorkspace,
  pidsWithCmdline,
  runDriver,
  startDriver,
  VARIANT_NAMES,
  variantNamed,
  waitUntil,
  workspacePolicy,
  type Fixture,
  type Variant,
} from './support/e2e.js';

jest.setTimeout(60_000);

let fixture: Fixture;
beforeAll(() => {
  fixture = createFixture();
});
afterEach(() => killLeftoverDrivers());
afterAll(() => fixture.dispose());


let uniqueCounter = 0;
/** A `sleep` argument no other process on the machine uses, so the test can find it in /proc. */
function uniqueSleep(): string {
  uniqueCounter += 1;
  return `1000.${process.pid}${uniqueCounter}`;
}

describe.each(VARIANT_NAMES)('%s', (variantName) => {
  let variant: Variant;
  beforeAll(() => {
    variant = variantNamed(fixture, variantName);
  });

  it.each(['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT'] as const)('%s sent to the front end runs the command\'s trap', async (signal) => {
    const ws = makeWorkspace(variant);
    const trapName = signal.slice(3);
    const run = startDriver(fixture, variant, {
      policy: workspacePolicy(ws),
      command: ['sh', '-c', `trap 'echo trapped-${trapName}; exit 7' ${trapName}; echo ready; while :; do sleep 0.05; done`],
      commandCwd: ws,
    });
    await run.waitFor('ready');
    run.child.kill(signal);
    expect(await run.exited).toBe(7);
    expect(run.stdout()).toBe(`ready\ntrapped-${trapName}\n`);
  });

  it('Ctrl-C on a terminal interrupts the command once (bwrap is outside the terminal\'s process group)', async () => {
    const ws = makeWorkspace(variant);
    const run = startDriver(
      fixture,
      variant,
      {
        policy: workspacePolicy(ws),
        command: ['sh', '-c', `trap 'echo trapped-INT; exit 7' INT; echo ready; while :; do sleep 0.05; done`],
        commandCwd: ws,
      },
      { tty: true },
    );
    await run.waitFor('ready');
    // ETX typed on the terminal: the line discipline sends SIGINT to its foreground process group.
    run.child.stdin?.write('\x03');
    expect(await run.exited).toBe(7);
    expect(run.stdout().match(/trapped-INT/g)).toEqual(['trapped-INT']);
  });

  it('SIGKILL of the front end leaves no sandboxed process; the next run removes its placeholders', async () => {
    const ws = makeWorkspace(variant, { 'file.txt': 'x' });
    const marker = uniqueSleep();
    const run = startDriver(fixture, variant, {
      policy: workspacePolicy(ws),
      command: ['sh', '-c', `echo ready; sleep ${marker}; echo not-killed`],
      commandCwd: ws,
    });
    await run.waitFor('ready');
    await waitUntil(() => pidsWithCmdline(marker).length > 0, 'the sandboxed sleep to start');
    // The placeholders for the missing metadata directories exist on the host while it runs.
    expect(fs.existsSync(path.join(ws, '.codex'))).toBe(true);
    run.child.kill('SIGKILL');
    expect(await run.exited).toBe(137);
    await waitUntil(() => pidsWithCmdline(marker).length === 0, 'every sandboxed process to be gone');
    expect(run.stdout()).toBe('ready\n');
    // Nobody cleaned up: the killed run's placeholders are still there...
    expect(fs.readdirSync(ws).sort()).toEqual(['.agents', '.aws', '.codex', '.git', 'file.txt']);
    // ...until the next run (any workspace) sweeps the registry.
    const other = makeWorkspace(variant);
    const next = await runDriver(fixture, variant, { policy: workspacePolicy(other), command: ['true'], commandCwd: other });
    expect(next.code).toBe(0);
    expect(fs.readdirSync(ws)).toEqual(['file.txt']);
    expect(fs.readdirSync(other)).toEqual([]);
  });

  it('a run finishing early does not remove the protection of a concurrent run on the same workspace', async () => {
    const ws = makeWorkspace(variant);
    const go = path.join(variant.home, `go-${process.pid}-${uniqueSleep()}`);
    const slow = startDriver(fixture, variant, {
      policy: workspacePolicy(ws),
      command: [
        'sh',
        '-c',
        `echo ready; while [ ! -e ${go} ]; do sleep 0.02; done; ` +
          `if mkdir .codex 2>/dev/null || touch .codex/x 2>/dev/null || mkdir .git 2>/dev/null; then echo CREATED; else echo BLOCKED; fi; ` +
          `echo ok > plain.txt && echo wrote-plain`,
      ],
      commandCwd: ws,
    });
    await slow.waitFor('ready');
    const fast = await runDriver(fixture, variant, { policy: workspacePolicy(ws), command: ['true'], commandCwd: ws });
    expect(fast.code).toBe(0);
    // The slow run still owns the placeholders, so the fast one left them in place.
    expect(fs.existsSync(path.join(ws, '.codex'))).toBe(true);
    fs.writeFileSync(go, '');
    expect(await slow.exited).toBe(0);
    expect(slow.stdout()).toBe('ready\nBLOCKED\nwrote-plain\n');
    expect(fs.readdirSync(ws)).toEqual(['plain.txt']);
  });

  it('two runs started together on one workspace both succeed and leave nothing behind', async () => {
    const ws = makeWorkspace(variant);
    const results = await Promise.all(
      [1, 2].map((n) =>
        runDriver(fixture, variant, {
          policy: workspacePolicy(ws),
          command: ['sh', '-c', `echo run-${n} > out-${n}.txt; touch .codex/x 2>/dev/null && echo CREATED || echo BLOCKED`],
          commandCwd: ws,
        }),
      ),
    );
    // A failed run's stderr is part of what is compared, so a failure says why.
    expect(results.map((r) => [r.code, r.stdout, r.code === 0 ? '' : r.stderr])).toEqual([
      [0, 'BLOCKED\n', ''],
      [0, 'BLOCKED\n', ''],
    ]);
    expect(fs.readdirSync(ws).sort()).toEqual(['out-1.txt', 'out-2.txt']);
  });

  it('one sandbox object claims its placeholders once and keeps them across runs; dispose removes them', async () => {
    const ws = makeWorkspace(variant);
    const run = await runDriver(fixture, variant, {
      policy: workspacePolicy(ws),
      command: ['sh', '-c', 'touch .codex/x 2>/dev/null && echo CREATED || echo BLOCKED'],
      commandCwd: ws,
      cacheDir: null,
      runs: 3,
      listBetweenRuns: ws,
    });
    expect([run.code, run.code === 0 ? '' : run.stderr]).toEqual([0, '']);
    // The host keeps the empty mount points between runs, under one registration (one run file),
    // and every run is still blocked from creating metadata.
    expect(run.stdout).toBe(['BLOCKED', ...Array.from({ length: 2 }, () => ['between: .agents,.aws,.codex,.git', 'run files: 1', 'BLOCKED']).flat(), ''].join('\n'));
    expect(fs.readdirSync(ws)).toEqual([]);
  });

  it('a process that exits without dispose still removes the placeholders its sandbox object claimed', async () => {
    const ws = makeWorkspace(variant);
    const run = await runDriver(fixture, variant, {
      policy: workspacePolicy(ws),
      command: ['sh', '-c', 'test -d .codex && echo mounted'],
      commandCwd: ws,
      cacheDir: null,
      dispose: false,
    });
    expect([run.code, run.stdout]).toEqual([0, 'mounted\n']);
    expect(fs.readdirSync(ws)).toEqual([]);
  });
});
