// One real check of the generated filter: bwrap loads it with `--seccomp FD` and socket() calls
// inside get EPERM exactly where the mode says. (Full end-to-end probes live in the e2e tests.)
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildSeccompProgram, type SeccompMode } from '../src/seccomp.js';

const PROBE = `
const net = require('node:net');
const dgram = require('node:dgram');
const os = require('node:os');
const path = require('node:path');
function attempt(make) {
  return new Promise((resolve) => {
    let s;
    try { s = make(); } catch (e) { resolve(e.code || String(e)); return; }
    s.once('error', (e) => { resolve(e.code || String(e)); try { s.close(); } catch {} });
    s.once('listening', () => { resolve('ok'); s.close(); });
  });
}
(async () => {
  const out = {};
  out.inet = await attempt(() => dgram.createSocket('udp4').bind(0, '127.0.0.1'));
  out.inet6 = await attempt(() => dgram.createSocket('udp6').bind(0, '::1'));
  out.unixListen = await attempt(() => net.createServer().listen(path.join(process.env.PROBE_DIR, 's.sock')));
  // libuv makes stdio pipes for a child with socketpair(AF_UNIX), and node inspects socket stdio
  // (getsockname, getsockopt) and shuts down input pipes: that must work in every mode.
  const child = require('node:child_process').spawnSync(process.execPath, ['-e', 'process.stdout.write("child ok")'], {
    stdio: ['pipe', 'pipe', 'pipe'],
    encoding: 'utf8',
  });
  out.socketpair = child.error ? child.error.code : child.status === 0 ? child.stdout : 'status ' + child.status;
  require('node:fs').writeFileSync(path.join(process.env.PROBE_DIR, 'out.json'), JSON.stringify(out));
})();
`;

function bwrapBinaries(): string[] {
  const bundled = process.env.CODEX_BWRAP_TEST_BINARY;
  if (!bundled) throw new Error('CODEX_BWRAP_TEST_BINARY must name the codex-bwrap binary for this test');
  return fs.existsSync('/usr/bin/bwrap') ? [bundled, '/usr/bin/bwrap'] : [bundled];
}

const EXPECTED: Record<SeccompMode, Record<string, string>> = {
  base: { inet: 'ok', inet6: 'ok', unixListen: 'ok', socketpair: 'child ok' },
  // bind() is denied in restricted mode whatever the family; socketpair(AF_UNIX) stays allowed.
  restricted: { inet: 'EPERM', inet6: 'EPERM', unixListen: 'EPERM', socketpair: 'child ok' },
  'proxy-routed': { inet: 'ok', inet6: 'ok', unixListen: 'EPERM', socketpair: 'child ok' },
};

describe.each(bwrapBinaries())('bwrap %s applies the filter', (bwrap) => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seccomp-bwrap-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it.each(Object.keys(EXPECTED) as SeccompMode[])('%s', (mode) => {
    const programFile = path.join(dir, `${mode}.bpf`);
    fs.writeFileSync(programFile, buildSeccompProgram(mode, process.arch));
    const probeDir = fs.mkdtempSync(path.join(dir, 'probe-'));
    const fd = fs.openSync(programFile, 'r');
    try {
      const result = spawnSync(
        bwrap,
        [
          '--ro-bind', '/', '/', '--dev', '/dev', '--bind', probeDir, probeDir,
          '--unshare-user', '--unshare-net', '--die-with-parent', '--seccomp', '3',
          '--', process.execPath, '-e', PROBE,
        ],
        { stdio: ['ignore', 'pipe', 'pipe', fd], env: { PATH: process.env.PATH ?? '/usr/bin:/bin', PROBE_DIR: probeDir }, encoding: 'utf8' },
      );
      expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
      expect(JSON.parse(fs.readFileSync(path.join(probeDir, 'out.json'), 'utf8'))).toEqual(EXPECTED[mode]);
    } finally {
      fs.closeSync(fd);
    }
  });
});
