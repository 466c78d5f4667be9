#!/usr/bin/env node
// What Prometheus metrics cost, straight from the built modules (`npm run build && node bench/metrics-cost.mjs`):
// - import: a fresh `node` importing the lazily loaded entry (prom-client included), as the server ships it
//   (bundled with esbuild like scripts/bundle.mjs does) and module by module, against importing an empty
//   module; CPU and wall, medians of N spawns;
// - set-up: createMetrics() (registry, families, process and event-loop collectors);
// - per call: the reports one tools/call makes (request and tool start/end, a cache lookup), with metrics
//   off (NO_METRICS) and on (PrometheusMetrics), CPU per call over 1,000,000 calls, 3 rounds;
// - scrape: rendering the exposition text with every family populated.
// `--modules DIR` reads another build (default dist/modules).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';

const { values } = parseArgs({ options: { modules: { type: 'string', default: 'dist/modules' }, spawns: { type: 'string', default: '15' } } });
const modules = pathToFileURL(`${resolve(values.modules)}/`).href;
const entry = new URL('infrastructure/telemetry/metrics/create-metrics.js', modules).href;
const port = new URL('application/ports/metrics.js', modules).href;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function importCost(url, spawns) {
  const script = `const c=process.cpuUsage(),t=performance.now();await import(${JSON.stringify(url)});const u=process.cpuUsage(c);process.stdout.write(JSON.stringify({wall:performance.now()-t,cpu:(u.user+u.system)/1000}))`;
  const runs = [];
  for (let i = 0; i < spawns; i += 1) runs.push(JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' })));
  return { wall: median(runs.map((r) => r.wall)), cpu: median(runs.map((r) => r.cpu)) };
}

/** The entry bundled as scripts/bundle.mjs bundles the server (one ESM file, CommonJS inlined). */
async function bundled() {
  const dir = mkdtempSync(join(tmpdir(), 'tfo-metrics-bench-'));
  writeFileSync(join(dir, 'empty.mjs'), 'export const nothing = 0;\n');
  await build({
    absWorkingDir: fileURLToPath(new URL('..', import.meta.url)),
    entryPoints: { metrics: fileURLToPath(entry), empty: join(dir, 'empty.mjs') },
    outdir: dir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    banner: { js: "import { createRequire as __tfoCreateRequire } from 'node:module'; const require = __tfoCreateRequire(import.meta.url);" },
    logLevel: 'warning',
  });
  return { dir, metrics: pathToFileURL(join(dir, 'metrics.js')).href, empty: pathToFileURL(join(dir, 'empty.js')).href };
}

const logger = { debugEnabled: false, debug() {}, info() {}, warn() {}, error() {}, child() { return logger; } };
const TOOLS = ['read_file', 'write_file', 'list_directory', 'search_files', 'execute_command', 'system_info', 'get_system_status', 'check_command_exists', 'claude_conversation', 'echo'];

/** One tools/call's reports, rotating over ten tools so label lookups are not a single hot entry. */
function toolsCall(metrics, i) {
  const request = metrics.requestStarted();
  const tool = metrics.toolCallStarted();
  metrics.cacheLookup((i & 3) === 0);
  metrics.toolCallEnded(tool, TOOLS[i % 10], 'none', 'ok');
  metrics.requestEnded(request, 'tools/call', (i & 1) === 0 ? 'legacy' : 'modern', 'ok');
}

function perCall(metrics, n) {
  for (let i = 0; i < 200_000; i += 1) toolsCall(metrics, i);
  const start = process.cpuUsage();
  for (let i = 0; i < n; i += 1) toolsCall(metrics, i);
  const used = process.cpuUsage(start);
  return ((used.user + used.system) * 1000) / n;
}

const spawns = Number(values.spawns);
const bundle = await bundled();
const baseline = importCost(bundle.empty, spawns);
const imported = importCost(bundle.metrics, spawns);
const unbundled = importCost(entry, spawns);
rmSync(bundle.dir, { recursive: true, force: true });
const { NO_METRICS } = await import(port);
const { createMetrics } = await import(entry);
const setupStart = process.cpuUsage();
const setup = createMetrics({ enabled: true, host: '127.0.0.1', path: '/metrics' }, 'bench', logger);
const setupUsed = process.cpuUsage(setupStart);
const N = 1_000_000;
const off = [];
const on = [];
for (let round = 0; round < 3; round += 1) {
  off.push(perCall(NO_METRICS, N));
  on.push(perCall(setup.metrics, N));
}
setup.metrics.observeSessions(() => ({ READY: 100 }));
setup.metrics.observeOutbox(async () => ({ pending: 3, oldestAgeSeconds: 0.2, parked: 0 }));
setup.metrics.observeExecutor(() => ({ running: 1, capacity: 8 }));
const renders = [];
for (let i = 0; i < 60; i += 1) {
  const start = process.cpuUsage();
  await setup.metrics.render();
  const used = process.cpuUsage(start);
  if (i >= 10) renders.push((used.user + used.system) / 1000);
}
const bytes = (await setup.metrics.render()).length;

process.stdout.write(
  [
    `import of the metrics entry, bundled (prom-client included), median of ${spawns} spawns: ${imported.cpu.toFixed(1)} ms CPU, ${imported.wall.toFixed(1)} ms wall; an empty module: ${baseline.cpu.toFixed(1)} ms CPU, ${baseline.wall.toFixed(1)} ms wall`,
    `import of the metrics entry, module by module (dist/modules): ${unbundled.cpu.toFixed(1)} ms CPU, ${unbundled.wall.toFixed(1)} ms wall`,
    `createMetrics(): ${(setupUsed.user + setupUsed.system) / 1000} ms CPU`,
    `one tools/call's reports, metrics off (NO_METRICS): ${median(off).toFixed(0)} ns CPU (rounds: ${off.map((x) => x.toFixed(0)).join(', ')})`,
    `one tools/call's reports, metrics on: ${median(on).toFixed(0)} ns CPU (rounds: ${on.map((x) => x.toFixed(0)).join(', ')})`,
    `a scrape (render, ${Math.round(bytes / 1024)} KB): ${median(renders).toFixed(2)} ms CPU`,
  ].join('\n') + '\n',
);
