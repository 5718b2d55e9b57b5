// Managed proxy benchmark (packages/proxy-bridge), loopback only, side by side in one run:
//   - throughput of one large download (default 1 GiB) from a loopback origin, direct and through
//     the proxy as an absolute-URI request, a CONNECT tunnel and a SOCKS5 (socks5h) tunnel, with
//     curl as the client; reported as MB/s and as the ratio to direct;
//   - added latency per small request, keep-alive and a new connection per request, with Node's
//     http client (direct vs. through the proxy's Unix socket);
//   - the proxy's own start + close time.
// The origin and the proxy each run in their own Node process; the client is curl or this one.
// Every loop is bounded; nothing leaves 127.0.0.1. Usage (from the repository root):
//   node bench/proxy-throughput.mjs [--size-mib 1024] [--rounds 5] [--requests 400] [--json]
import { execFile, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? Number(argv[i + 1]) : dflt;
};
const sizeMiB = opt('size-mib', Number(process.env.PROXY_BENCH_SIZE_MIB ?? 1024));
const rounds = opt('rounds', Number(process.env.PROXY_BENCH_ROUNDS ?? 5));
const requests = opt('requests', Number(process.env.PROXY_BENCH_REQUESTS ?? 400));
const startRuns = 20;
const asJson = argv.includes('--json');
const size = sizeMiB * 1024 * 1024;

const cache = join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'codex-sandbox-bench', 'proxy');
mkdirSync(cache, { recursive: true });
const require = createRequire(import.meta.url);
const esbuild = require(join(repo, 'node_modules', 'esbuild'));
const bundle = join(cache, 'proxy-bridge.cjs');
await esbuild.build({
  entryPoints: [join(repo, 'packages/proxy-bridge/src/index.ts')],
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  tsconfig: join(repo, 'tsconfig.base.json'),
  outfile: bundle,
  logLevel: 'warning',
});

// The origin: /big/N streams N bytes from one reused 1 MiB buffer, /small answers 2 bytes.
const originScript = join(cache, 'origin.cjs');
writeFileSync(
  originScript,
  `const http = require('node:http');
const chunk = Buffer.alloc(1 << 20, 0x61);
const server = http.createServer((req, res) => {
  const m = /^\\/big\\/(\\d+)$/.exec(req.url);
  if (!m) { res.writeHead(200, { 'content-length': 2 }); res.end('ok'); return; }
  let left = Number(m[1]);
  res.writeHead(200, { 'content-length': left, 'content-type': 'application/octet-stream' });
  const pump = () => {
    while (left > 0) {
      const n = Math.min(left, chunk.length);
      left -= n;
      if (!res.write(n === chunk.length ? chunk : chunk.subarray(0, n))) { res.once('drain', pump); return; }
    }
    res.end();
  };
  pump();
});
server.keepAliveTimeout = 60000;
server.listen(0, '127.0.0.1', () => process.stdout.write(JSON.stringify({ port: server.address().port }) + '\\n'));
`,
);

// The proxy: allows the origin's bench name, resolved to 127.0.0.1 by an injected resolver.
const proxyScript = join(cache, 'proxy.cjs');
writeFileSync(
  proxyScript,
  `const { compileNetworkPolicy, startManagedProxy } = require(${JSON.stringify(bundle)});
const policy = compileNetworkPolicy({ allow_local_binding: true, domains: { 'origin.bench': 'allow' } });
startManagedProxy(policy, { transport: 'both', resolve: async (h) => { if (h !== 'origin.bench') throw Object.assign(new Error('ENOTFOUND ' + h), { code: 'ENOTFOUND' }); return ['127.0.0.1']; } })
  .then((p) => {
    process.stdout.write(JSON.stringify({ http: p.httpEndpoint, socks: p.socksEndpoint }) + '\\n');
    process.on('SIGTERM', () => p.close().then(() => process.exit(0)));
  });
`,
);

function child(script) {
  const proc = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const ready = new Promise((resolve, reject) => {
    let out = '';
    proc.stdout.on('data', (c) => {
      out += c;
      if (out.includes('\n')) resolve(JSON.parse(out));
    });
    proc.once('exit', (code) => reject(new Error(`${script} exited ${code}`)));
  });
  return { proc, ready };
}

function curl(args) {
  return new Promise((resolve, reject) => {
    execFile('curl', ['--silent', '--show-error', '--fail', '--max-time', '600', '-o', '/dev/null', '-w', '%{speed_download} %{time_total}', ...args], { env: { PATH: process.env.PATH } }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`curl ${args.join(' ')}: ${stderr || err.message}`));
      const [speed, total] = stdout.trim().split(' ').map(Number);
      resolve({ bytesPerSec: speed, seconds: total });
    });
  });
}

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

function get(opts) {
  return new Promise((resolve, reject) => {
    const req = request(opts, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`status ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end();
  });
}

async function latency(makeOpts) {
  for (let i = 0; i < 20; i++) await get(makeOpts());
  const samples = [];
  for (let i = 0; i < requests; i++) {
    const t0 = performance.now();
    await get(makeOpts());
    samples.push(performance.now() - t0);
  }
  return { median: median(samples), mean: samples.reduce((a, b) => a + b, 0) / samples.length };
}

const origin = child(originScript);
const proxy = child(proxyScript);
try {
  const { port } = await origin.ready;
  const { http, socks } = await proxy.ready;
  const direct = `http://127.0.0.1:${port}/big/${size}`;
  const named = `http://origin.bench:${port}/big/${size}`;
  const modes = {
    direct: () => curl([direct]),
    'HTTP proxy (absolute URI, TCP + credential)': () => curl(['--proxy', http.url, named]),
    'CONNECT tunnel (TCP + credential)': () => curl(['--proxytunnel', '--proxy', http.url, named]),
    'SOCKS5h tunnel (TCP + credential)': () => curl(['--proxy', socks.url, named]),
    'SOCKS5h tunnel (Unix socket)': () => curl(['--proxy', `socks5h://localhost${socks.unixSocketPath}`, named]),
  };
  const names = Object.keys(modes);
  const speeds = Object.fromEntries(names.map((n) => [n, []]));
  for (let r = 0; r < rounds; r++) {
    // Alternate the order so that drift in machine load hits every mode alike.
    const order = r % 2 === 0 ? names : [...names].reverse();
    for (const n of order) speeds[n].push((await modes[n]()).bytesPerSec);
  }
  const directMBs = median(speeds.direct) / 1e6;
  const throughput = names.map((n) => ({ mode: n, mbPerSec: median(speeds[n]) / 1e6, ratio: median(speeds[n]) / 1e6 / directMBs }));

  const keep = new Agent({ keepAlive: true, maxSockets: 1 });
  const keepProxy = new Agent({ keepAlive: true, maxSockets: 1 });
  const small = '/small';
  const lat = {
    'direct, keep-alive': await latency(() => ({ host: '127.0.0.1', port, path: small, agent: keep })),
    'proxy, keep-alive': await latency(() => ({ socketPath: http.unixSocketPath, path: `http://origin.bench:${port}${small}`, agent: keepProxy })),
    'direct, new connection': await latency(() => ({ host: '127.0.0.1', port, path: small, agent: false })),
    'proxy, new connection': await latency(() => ({ socketPath: http.unixSocketPath, path: `http://origin.bench:${port}${small}`, agent: false })),
  };
  keep.destroy();
  keepProxy.destroy();

  const lib = require(bundle);
  const policy = lib.compileNetworkPolicy({ domains: { 'origin.bench': 'allow' } });
  const startSamples = { unix: [], both: [] };
  for (const transport of ['unix', 'both']) {
    for (let i = 0; i < startRuns; i++) {
      const t0 = performance.now();
      const p = await lib.startManagedProxy(policy, { transport });
      const t1 = performance.now();
      await p.close();
      startSamples[transport].push({ start: t1 - t0, total: performance.now() - t0 });
    }
  }
  const startup = Object.fromEntries(
    Object.entries(startSamples).map(([k, v]) => [k, { start: median(v.map((x) => x.start)), startAndClose: median(v.map((x) => x.total)) }]),
  );

  const result = { sizeMiB, rounds, requests, throughput, latency: lat, startup };
  if (asJson) {
    console.log(JSON.stringify(result, null, 2));
  } else {
    console.log(`Throughput, ${sizeMiB} MiB download, curl, median of ${rounds}:`);
    console.log('| mode | MB/s | / direct |');
    console.log('|---|---:|---:|');
    for (const t of throughput) console.log(`| ${t.mode} | ${t.mbPerSec.toFixed(0)} | ${t.ratio.toFixed(2)}x |`);
    console.log(`\nLatency per request (GET, 2-byte body), Node http client, ${requests} sequential requests:`);
    console.log('| | direct median (ms) | proxy median (ms) | added median (ms) | added mean (ms) |');
    console.log('|---|---:|---:|---:|---:|');
    for (const kind of ['keep-alive', 'new connection']) {
      const d = lat[`direct, ${kind}`];
      const p = lat[`proxy, ${kind}`];
      console.log(`| ${kind} | ${d.median.toFixed(3)} | ${p.median.toFixed(3)} | ${(p.median - d.median).toFixed(3)} | ${(p.mean - d.mean).toFixed(3)} |`);
    }
    console.log(`\nstartManagedProxy() in process, median of ${startRuns}:`);
    console.log('| transport | start (ms) | start + close (ms) |');
    console.log('|---|---:|---:|');
    for (const [k, v] of Object.entries(startup)) console.log(`| ${k} | ${v.start.toFixed(2)} | ${v.startAndClose.toFixed(2)} |`);
  }
} finally {
  proxy.proc.kill('SIGTERM');
  origin.proc.kill('SIGTERM');
}
