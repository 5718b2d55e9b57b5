// Prints the benchmark table (markdown) from bench/run.sh's results directory.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const [dir, peerVersion = 'unknown'] = process.argv.slice(2);
const ms = (seconds) => seconds * 1000;
function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
// Pools every run of a named command across all hyperfine result files (rounds).
const pooled = new Map();
for (const file of readdirSync(dir).filter((f) => f.endsWith('.json') && (f.startsWith('round') || f.startsWith('glob') && f !== 'glob-tree.json'))) {
  for (const r of JSON.parse(readFileSync(join(dir, file), 'utf8')).results) {
    pooled.set(r.command, [...(pooled.get(r.command) ?? []), ...r.times]);
  }
}
function hf(name) {
  const times = pooled.get(name);
  if (times === undefined) throw new Error(`no timing results for ${name}`);
  return { median: ms(median(times)), runs: times.length };
}
function rss(name) {
  const values = readFileSync(join(dir, `${name}.rss`), 'utf8').split('\n').filter(Boolean).map(Number);
  return median(values) / 1024;
}
const f = (x) => x.toFixed(1);
const bare = hf('bare-bwrap');
const node = hf('node-baseline');
const lines = [];
lines.push(`Peer: @openai/codex ${peerVersion}. Medians of ${bare.runs} runs per command (hyperfine -N, rounds pooled).`, '');
lines.push('| `-- true` under | this CLI (ms) | Codex CLI (ms) | ours / Codex | target | floor (ms) | ours above the floor (ms) | target |');
lines.push('|---|---:|---:|---:|---|---:|---:|---|');
// The floor: `node -e 0` (the executable's Node, the launcher's environment handling) + bare bwrap.
const floor = node.median + bare.median;
for (const [mode, overheadTarget] of [['read-only', 5], ['workspace', 7]]) {
  const ours = hf(`ours-${mode}`);
  const peer = hf(`peer-${mode}`);
  lines.push(
    `| ${mode === 'workspace' ? 'workspace-write' : mode} | ${f(ours.median)} | ${f(peer.median)} | ${(ours.median / peer.median).toFixed(2)}x | <= 1.0x | ` +
      `${f(floor)} | ${f(ours.median - floor)} | <= ${overheadTarget} ms |`,
  );
}
lines.push('', `Floor: \`node -e 0\` ${f(node.median)} ms (the executable's Node, with the launcher's environment handling) + bare bwrap ${f(bare.median)} ms.`, '');
const tree = JSON.parse(readFileSync(join(dir, 'glob-tree.json'), 'utf8'));
const oursGlob = hf('ours-glob');
const peerGlob = hf('peer-glob');
const masks = hf('bwrap-glob-masks');
lines.push(`| deny glob \`**/*.env\`, ${tree.files} files in ${tree.dirs} directories, depth 8 (${tree.matches} matches), \`-- true\` | this CLI (ms) | Codex CLI (ms) | ours / Codex | target | bare bwrap, same ${tree.matches} masks (ms) | ours / Codex above it |`);
lines.push('|---|---:|---:|---:|---|---:|---:|');
lines.push(
  `| read-only + \`glob_scan_max_depth = 8\` (${oursGlob.runs} runs) | ${f(oursGlob.median)} | ${f(peerGlob.median)} | ${(oursGlob.median / peerGlob.median).toFixed(2)}x | <= 0.8x | ` +
    `${f(masks.median)} | ${f(oursGlob.median - masks.median)} / ${f(peerGlob.median - masks.median)} ms |`,
  '',
);
const ip = JSON.parse(readFileSync(join(dir, 'inprocess.json'), 'utf8'));
lines.push(`| in-process API, ${ip.runs} sequential \`run(['true'])\` | per command (ms) | / bare bwrap spawned from Node | target | bwrap alone with the plan's arguments (ms) | / bare bwrap | the front end's share (ms) |`);
lines.push('|---|---:|---:|---|---:|---:|---:|');
lines.push(`| bare bwrap (spawned from the same process) | ${f(ip.bareBwrap.median)} | 1.00x | | | | |`);
for (const [label, key] of [['read-only', 'readOnly'], ['workspace-write', 'workspace']]) {
  const plan = ip.planBwrap?.[key];
  const planCells = plan ? `${f(plan.median)} | ${(plan.median / ip.bareBwrap.median).toFixed(2)}x | ${f(ip[key].median - plan.median)}` : 'n/a | | ';
  lines.push(`| ${label} | ${f(ip[key].median)} | ${(ip[key].median / ip.bareBwrap.median).toFixed(2)}x | <= 1.5x | ${planCells} |`);
}
const netPlain = hf('ours-netplain');
const netProxy = hf('ours-netproxy');
lines.push(
  '',
  '| network-enabled `-- true` | this CLI (ms) | added by the managed proxy (ms) | target |',
  '|---|---:|---:|---|',
  `| host network (\`enabled = true\`) | ${f(netPlain.median)} | | |`,
  `| proxy-only (one allowed domain: proxy, netns helper, bridge) | ${f(netProxy.median)} | ${f(netProxy.median - netPlain.median)} | <= 10 ms |`,
);
lines.push('', '| peak RSS (MB, median) | this CLI | Codex CLI | target |', '|---|---:|---:|---|');
for (const mode of ['read-only', 'workspace']) {
  lines.push(`| ${mode === 'workspace' ? 'workspace-write' : mode} | ${f(rss(`ours-${mode}`))} | ${f(rss(`peer-${mode}`))} | <= 45 MB |`);
}
process.stdout.write(lines.join('\n') + '\n');
