// Managed proxy benchmark (packages/proxy-bridge), loopback only, side by side in one run:
//   - throughput of one large download (default 1 GiB) from a loopback origin, direct and through
//     the proxy as an absolute-URI request, a CONNECT tunnel and a SOCKS5 (socks5h) tunnel, with
//     curl as the client, each tunnel relayed in the proxy's Node process and by codex-proxy-relay;
//     and the whole product path: curl inside `codex sandbox` (proxy-only network: the netns
//     bridge, the proxy, the relay); reported as MB/s and as the ratio to direct;
//   - added latency per small request, keep-alive and a new connection per request: Node's http
//     client against the proxy's Unix socket, and Python inside `codex sandbox` through the bridge;
//   - 200 concurrent tunnels through the bridge (inside `codex sandbox`): errors, time, peak RSS
//     of the front end, the relay and the bridge;
//   - the proxy's own start + close time.
// The origin and the proxies each run in their own Node process; the client is curl, Python or
// this one. Every loop is bounded; nothing leaves 127.0.0.1. Usage (from the repository root,
// after `bazel build //packages/cli:codex_release`, which builds the executable, the netns helper
// and the relay):
//   node bench/proxy-throughput.mjs [--size-mib 1024] [--rounds 5] [--requests 400] [--concurrent 200] [--json]
//        [--codex bazel-bin/packages/cli/codex] [--baseline-codex PATH]
// --baseline-codex: another build of the executable (e.g. of an earlier commit) timed in the same
// rounds, for before/after ratios.
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { createRequire } from 'node:module';
import { homedir, tmpdir } from 'node:os';
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
const concurrent = opt('concurrent', 200);
const startRuns = 20;
const argPath = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : dflt;
};
const codex = argPath('codex', join(repo, 'bazel-bin', 'packages', 'cli', 'codex'));
const relayBinary = join(dirname(codex), 'codex-resources', 'codex-proxy-relay');
const baselineCodex = argPath('baseline-codex', undefined);
if (!existsSync(codex) || !existsSync(relayBinary)) {
  console.error(`bench: ${codex} (with codex-resources/codex-proxy-relay) is missing; run \`bazel build //packages/cli:codex_release\` first`);
  process.exit(2);
}
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
const relay = process.argv[2];
startManagedProxy(policy, { transport: 'both', ...(relay ? { tunnelRelay: { file: relay } } : {}), resolve: async (h) => { if (h !== 'origin.bench') throw Object.assign(new Error('ENOTFOUND ' + h), { code: 'ENOTFOUND' }); return ['127.0.0.1']; } })
  .then((p) => {
    process.stdout.write(JSON.stringify({ http: p.httpEndpoint, socks: p.socksEndpoint }) + '\\n');
    process.on('SIGTERM', () => p.close().then(() => process.exit(0)));
  });
`,
);

function child(script, ...args) {
  const proc = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
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

// Inside `codex sandbox`: latency (sequential small requests) and many concurrent tunnels, in
// Python through the in-namespace listeners (HTTP proxy 127.0.0.1:3128). On the host the same
// script measures the direct baseline.
const latencyPy = join(cache, 'latency.py');
writeFileSync(
  latencyPy,
  `import http.client, json, statistics, sys, time
mode, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def once(conn, path):
    conn.request('GET', path)
    r = conn.getresponse()
    r.read()
    if r.status != 200:
        raise SystemExit('status %d' % r.status)
def sample(make, path, keep):
    out = []
    conn = make()
    for i in range(20 + n):
        if not keep:
            conn = make()
        t0 = time.perf_counter()
        once(conn, path)
        dt = (time.perf_counter() - t0) * 1000
        if not keep:
            conn.close()
        if i >= 20:
            out.append(dt)
    return {'median': statistics.median(out), 'mean': statistics.fmean(out)}
direct = lambda: http.client.HTTPConnection('127.0.0.1', port)
proxy = lambda: http.client.HTTPConnection('127.0.0.1', 3128)
def tunnel():
    c = http.client.HTTPConnection('127.0.0.1', 3128)
    c.set_tunnel('localhost', port)
    return c
url = 'http://localhost:%d/small' % port
res = {}
if mode == 'direct':
    res['keep-alive'] = sample(direct, '/small', True)
    res['new connection'] = sample(direct, '/small', False)
else:
    res['keep-alive'] = sample(proxy, url, True)
    res['new connection'] = sample(proxy, url, False)
    res['new CONNECT tunnel'] = sample(tunnel, '/small', False)
print(json.dumps(res))
`,
);
const concurrentPy = join(cache, 'concurrent.py');
writeFileSync(
  concurrentPy,
  `import http.client, json, sys, threading, time
port, count, size = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
errors, done = [], []
start = threading.Barrier(count)
def one(i):
    try:
        c = http.client.HTTPConnection('127.0.0.1', 3128, timeout=120)
        c.set_tunnel('localhost', port)
        start.wait()
        c.request('GET', '/big/%d' % size)
        r = c.getresponse()
        got = 0
        while True:
            b = r.read(1 << 16)
            if not b:
                break
            got += len(b)
        if r.status != 200 or got != size:
            raise Exception('status %d, %d bytes' % (r.status, got))
        done.append(got)
        c.close()
    except Exception as e:
        errors.append(repr(e))
t0 = time.perf_counter()
threads = [threading.Thread(target=one, args=(i,)) for i in range(count)]
[t.start() for t in threads]
[t.join() for t in threads]
print(json.dumps({'seconds': time.perf_counter() - t0, 'ok': len(done), 'errors': errors[:5], 'errorCount': len(errors)}))
`,
);

// A private CODEX_HOME whose profile allows the origin by the name the front end resolves
// (localhost, from /etc/hosts: no DNS here), and a workspace beside it.
const scratch = mkdtempSync(join(tmpdir(), 'codex-proxy-bench-'));
const home = join(scratch, 'home');
const work = join(scratch, 'work');
mkdirSync(home);
mkdirSync(work);
writeFileSync(
  join(home, 'config.toml'),
  'default_permissions = "bench"\n[permissions.bench]\nextends = ":workspace"\n[permissions.bench.network]\nenabled = true\n[permissions.bench.network.domains]\n"localhost" = "allow"\n',
);

/** Peak RSS (kB) of the front end, its relay and the netns bridge while `run` runs, sampled every 20 ms. */
function watchRss() {
  const peak = { frontEnd: 0, relay: 0, bridge: 0 };
  const read = (pid, file) => {
    try {
      return readFileSync(`/proc/${pid}/${file}`, 'utf8');
    } catch {
      return '';
    }
  };
  const timer = setInterval(() => {
    for (const name of readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      const cmd = read(name, 'cmdline');
      const kind = cmd.includes(`${codex}\0sandbox`) || cmd.includes(`codex\0sandbox\0--\0python3\0${concurrentPy}`) ? 'frontEnd' : cmd.startsWith('codex-proxy-relay\0') ? 'relay' : cmd.startsWith('/dev/.codex-netns/helper\0') ? 'bridge' : undefined;
      if (kind === undefined) continue;
      const rss = Number(/VmRSS:\s+(\d+)/.exec(read(name, 'status'))?.[1] ?? 0);
      peak[kind] = Math.max(peak[kind], rss);
    }
  }, 20);
  return { stop: () => (clearInterval(timer), peak) };
}

function sandbox(args, exe = codex) {
  return new Promise((resolve, reject) => {
    execFile(exe, ['sandbox', '--', ...args], { cwd: work, env: { PATH: process.env.PATH, HOME: scratch, CODEX_HOME: home, TMPDIR: work }, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`codex sandbox -- ${args.join(' ')}: ${stderr || err.message}`));
      resolve(stdout);
    });
  });
}

async function sandboxCurl(args, exe = codex) {
  const out = await sandbox(['curl', '--silent', '--show-error', '--fail', '--max-time', '600', '-o', '/dev/null', '-w', '%{speed_download} %{time_total}', ...args], exe);
  const [speed, total] = out.trim().split(' ').map(Number);
  return { bytesPerSec: speed, seconds: total };
}

function python(args) {
  return new Promise((resolve, reject) => {
    execFile('python3', args, { env: { PATH: process.env.PATH } }, (err, stdout, stderr) => (err ? reject(new Error(stderr || err.message)) : resolve(JSON.parse(stdout))));
  });
}

const origin = child(originScript);
const proxy = child(proxyScript);
const proxyNative = child(proxyScript, relayBinary);
try {
  const { port } = await origin.ready;
  const { http, socks } = await proxy.ready;
  const native = await proxyNative.ready;
  const direct = `http://127.0.0.1:${port}/big/${size}`;
  const named = `http://origin.bench:${port}/big/${size}`;
  const local = `http://localhost:${port}/big/${size}`;
  const modes = {
    direct: () => curl([direct]),
    'HTTP proxy (absolute URI, TCP + credential)': () => curl(['--proxy', http.url, named]),
    'CONNECT tunnel (TCP + credential), Node relay': () => curl(['--proxytunnel', '--proxy', http.url, named]),
    'CONNECT tunnel (TCP + credential), codex-proxy-relay': () => curl(['--proxytunnel', '--proxy', native.http.url, named]),
    'SOCKS5h tunnel (Unix socket), Node relay': () => curl(['--proxy', `socks5h://localhost${socks.unixSocketPath}`, named]),
    'SOCKS5h tunnel (Unix socket), codex-proxy-relay': () => curl(['--proxy', `socks5h://localhost${native.socks.unixSocketPath}`, named]),
    'codex sandbox: HTTP proxy (absolute URI), bridge + proxy': () => sandboxCurl([local]),
    'codex sandbox: CONNECT tunnel, bridge + proxy + relay': () => sandboxCurl(['--proxytunnel', local]),
    'codex sandbox: SOCKS5h tunnel, bridge + proxy + relay': () => sandboxCurl(['--proxy', 'socks5h://127.0.0.1:8081', local]),
    ...(baselineCodex === undefined
      ? {}
      : {
          'baseline codex sandbox: HTTP proxy (absolute URI)': () => sandboxCurl([local], baselineCodex),
          'baseline codex sandbox: CONNECT tunnel': () => sandboxCurl(['--proxytunnel', local], baselineCodex),
          'baseline codex sandbox: SOCKS5h tunnel': () => sandboxCurl(['--proxy', 'socks5h://127.0.0.1:8081', local], baselineCodex),
        }),
  };
  const names = Object.keys(modes);
  const speeds = Object.fromEntries(names.map((n) => [n, []]));
  for (let r = 0; r < rounds; r++) {
    // Alternate the order so that drift in machine load hits every mode alike.
    const order = r % 2 === 0 ? names : [...names].reverse();
    for (const n of order) speeds[n].push((await modes[n]()).bytesPerSec);
  }
  const directMBs = median(speeds.direct) / 1e6;
  const throughput = names.map((n) => ({ mode: n, mbPerSec: median(speeds[n]) / 1e6, ratio: median(speeds[n]) / 1e6 / directMBs, runs: speeds[n].map((v) => Math.round(v / 1e6)) }));

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
  const sandboxLatency = {
    direct: await python([latencyPy, 'direct', String(port), String(requests)]),
    sandbox: JSON.parse(await sandbox(['python3', latencyPy, 'proxy', String(port), String(requests)])),
    ...(baselineCodex === undefined ? {} : { baseline: JSON.parse(await sandbox(['python3', latencyPy, 'proxy', String(port), String(requests)], baselineCodex)) }),
  };

  const concurrentSize = 4 << 20;
  const rss = watchRss();
  const concurrency = JSON.parse(await sandbox(['python3', concurrentPy, String(port), String(concurrent), String(concurrentSize)]));
  concurrency.peakRssKb = rss.stop();
  concurrency.connections = concurrent;
  concurrency.bytesEach = concurrentSize;

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

  const result = { sizeMiB, rounds, requests, throughput, latency: lat, sandboxLatency, concurrency, startup };
  if (asJson) {
    console.log(JSON.stringify(result, null, 2));
  } else {
    console.log(`Throughput, ${sizeMiB} MiB download, curl, median of ${rounds}:`);
    console.log('| mode | MB/s | / direct | runs (MB/s) |');
    console.log('|---|---:|---:|---|');
    for (const t of throughput) console.log(`| ${t.mode} | ${t.mbPerSec.toFixed(0)} | ${t.ratio.toFixed(2)}x | ${t.runs.join(', ')} |`);
    console.log(`\nLatency per request (GET, 2-byte body), Node http client, ${requests} sequential requests:`);
    console.log('| | direct median (ms) | proxy median (ms) | added median (ms) | added mean (ms) |');
    console.log('|---|---:|---:|---:|---:|');
    for (const kind of ['keep-alive', 'new connection']) {
      const d = lat[`direct, ${kind}`];
      const p = lat[`proxy, ${kind}`];
      console.log(`| ${kind} | ${d.median.toFixed(3)} | ${p.median.toFixed(3)} | ${(p.median - d.median).toFixed(3)} | ${(p.mean - d.mean).toFixed(3)} |`);
    }
    console.log(`\nLatency per request (GET, 2-byte body), Python http.client, ${requests} sequential requests: direct on the host vs inside codex sandbox (bridge + proxy):`);
    console.log('| | direct median (ms) | sandbox median (ms) | added median (ms) | added mean (ms) |');
    console.log('|---|---:|---:|---:|---:|');
    for (const kind of ['keep-alive', 'new connection', 'new CONNECT tunnel']) {
      const d = sandboxLatency.direct[kind === 'new CONNECT tunnel' ? 'new connection' : kind];
      const p = sandboxLatency.sandbox[kind];
      console.log(`| ${kind} | ${d.median.toFixed(3)} | ${p.median.toFixed(3)} | ${(p.median - d.median).toFixed(3)} | ${(p.mean - d.mean).toFixed(3)} |`);
      const b = sandboxLatency.baseline?.[kind];
      if (b !== undefined) console.log(`| ${kind}, baseline | ${d.median.toFixed(3)} | ${b.median.toFixed(3)} | ${(b.median - d.median).toFixed(3)} | ${(b.mean - d.mean).toFixed(3)} |`);
    }
    const c = concurrency;
    console.log(`\n${c.connections} concurrent CONNECT tunnels inside codex sandbox, ${c.bytesEach >> 20} MiB each: ${c.ok} complete, ${c.errorCount} errors${c.errorCount ? ` (${c.errors.join('; ')})` : ''}, ${c.seconds.toFixed(2)} s; peak RSS: front end ${(c.peakRssKb.frontEnd / 1024).toFixed(1)} MB, relay ${(c.peakRssKb.relay / 1024).toFixed(1)} MB, bridge ${(c.peakRssKb.bridge / 1024).toFixed(1)} MB`);
    console.log(`\nstartManagedProxy() in process, median of ${startRuns}:`);
    console.log('| transport | start (ms) | start + close (ms) |');
    console.log('|---|---:|---:|');
    for (const [k, v] of Object.entries(startup)) console.log(`| ${k} | ${v.start.toFixed(2)} | ${v.startAndClose.toFixed(2)} |`);
  }
} finally {
  proxy.proc.kill('SIGTERM');
  proxyNative.proc.kill('SIGTERM');
  origin.proc.kill('SIGTERM');
  rmSync(scratch, { recursive: true, force: true });
}
