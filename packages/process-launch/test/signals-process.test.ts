// SIGUSR1 in a real host process that uses signal forwarding (jest hands tests a copy of `process`
// whose signal listeners never reach Node, so this runs signals.ts, bundled by esbuild, in a child
// Node): forwarded while a target is registered, ignored afterwards, and Node's inspector never opens.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'signals-process-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

test('SIGUSR1 reaches the forwarding target during a run and is ignored after it; no inspector ever listens', () => {
  const esbuild = require('esbuild') as typeof import('esbuild');
  const bundle = path.join(dir, 'signals.cjs');
  esbuild.buildSync({ entryPoints: [path.join(__dirname, '..', 'src', 'signal-forwarding.ts')], bundle: true, platform: 'node', format: 'cjs', outfile: bundle, logLevel: 'error' });
  const host = `
    const { signalForwarding } = require(${JSON.stringify(bundle)});
    const seen = [];
    const stop = signalForwarding.add((signal) => seen.push(signal));
    process.kill(process.pid, 'SIGUSR1');
    process.kill(process.pid, 'SIGUSR2');
    process.kill(process.pid, 'SIGWINCH');
    setTimeout(() => {
      stop();
      // No run: before the fix the listener was gone, and Node's own handler would open the inspector.
      process.kill(process.pid, 'SIGUSR1');
      setTimeout(() => process.stdout.write(JSON.stringify({ seen, url: String(require('inspector').url()) })), 500);
    }, 300);
  `;
  const result = spawnSync(process.execPath, ['-e', host], { encoding: 'utf8', timeout: 60_000 });
  expect(result.stderr).toBe('');
  expect(JSON.parse(result.stdout)).toEqual({ seen: ['SIGUSR1', 'SIGUSR2', 'SIGWINCH'], url: 'undefined' });
  expect(result.status).toBe(0);
});

test('forwardingBeforeSpawn: a SIGINT before the child exists does not kill the front end and reaches the child once attached', () => {
  const esbuild = require('esbuild') as typeof import('esbuild');
  const bundle = path.join(dir, 'signals.cjs');
  esbuild.buildSync({ entryPoints: [path.join(__dirname, '..', 'src', 'signal-forwarding.ts')], bundle: true, platform: 'node', format: 'cjs', outfile: bundle, logLevel: 'error' });
  const host = `
    const { forwardingBeforeSpawn } = require(${JSON.stringify(bundle)});
    const seen = [];
    const forwarding = forwardingBeforeSpawn(true);
    // The window between spawning and attaching: without the early handlers, SIGINT's default
    // action would end this process here with status 130.
    process.kill(process.pid, 'SIGINT');
    process.kill(process.pid, 'SIGTERM');
    setTimeout(() => {
      forwarding.attach((signal) => seen.push('child:' + signal));
      process.kill(process.pid, 'SIGHUP');
      setTimeout(() => {
        forwarding.stop();
        const disabled = forwardingBeforeSpawn(false);
        const listeners = process.listenerCount('SIGINT');
        disabled.attach(() => seen.push('never'));
        disabled.stop();
        process.stdout.write(JSON.stringify({ seen, listenersAfterStop: listeners }));
      }, 300);
    }, 300);
  `;
  const result = spawnSync(process.execPath, ['-e', host], { encoding: 'utf8', timeout: 60_000 });
  expect(result.stderr).toBe('');
  expect([result.status, result.signal]).toEqual([0, null]);
  // Queued in arrival order, delivered at attach; later ones directly; nothing installed when disabled.
  expect(JSON.parse(result.stdout)).toEqual({ seen: ['child:SIGINT', 'child:SIGTERM', 'child:SIGHUP'], listenersAfterStop: 0 });
});
