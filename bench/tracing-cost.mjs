#!/usr/bin/env node
// What tracing costs (issue 15): the SDK's load time, paid only when telemetry.otlp is configured,
// and CPU per traced call. The tracing modules are bundled with esbuild as scripts/bundle.mjs
// bundles the server (ESM, split chunks), so the figures are the shipped code's. Exports go over
// OTLP http/protobuf to a sink in a process of its own, so the receiving side is not counted.
//   node bench/tracing-cost.mjs [--calls N] [--spawns N]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({ options: { calls: { type: 'string', default: '20000' }, spawns: { type: 'string', default: '10' } } });
const CALLS = Number(values.calls);
const SPAWNS = Number(values.spawns);

// One entry, two jobs: `load` times the dynamic imports in a fresh process; `calls` times the helpers.
const ENTRY = `
import { performance } from 'node:perf_hooks';
const logger = { debugEnabled: false, debug() {}, info() {}, warn() {}, error() {}, child() { return logger; } };
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const [job, endpoint, count] = process.argv.slice(2);

if (job === 'load') {
  // The server has zod and its config schema loaded before it could start tracing.
  const { otlpSchema } = await import('./src/infrastructure/telemetry/tracing/otlp.schema.ts');
  const t0 = performance.now(); const c0 = cpu();
  const { startTracing } = await import('./src/infrastructure/telemetry/tracing/start-tracing.ts');
  const t1 = performance.now(); const c1 = cpu();
  const http = await startTracing({ otlp: otlpSchema.parse({ endpoint }), serverVersion: 'bench', clients: ['http'], logger });
  const t2 = performance.now(); const c2 = cpu();
  await http.shutdown();
  await Promise.all([import('pg'), import('ioredis')]);
  const t3 = performance.now(); const c3 = cpu();
  const all = await startTracing({ otlp: otlpSchema.parse({ endpoint }), serverVersion: 'bench', clients: ['pg', 'ioredis', 'http'], logger });
  const t4 = performance.now(); const c4 = cpu();
  await all.shutdown();
  process.stdout.write(JSON.stringify({ importMs: t1 - t0, importCpuMs: c1 - c0, startHttpMs: t2 - t1, startHttpCpuMs: c2 - c1, startPgRedisMs: t4 - t3, startPgRedisCpuMs: c4 - c3 }));
} else {
  const { NO_TRACING } = await import('./src/infrastructure/telemetry/tracing/tracer.ts');
  const { startTracing } = await import('./src/infrastructure/telemetry/tracing/start-tracing.ts');
  const { otlpSchema } = await import('./src/infrastructure/telemetry/tracing/otlp.schema.ts');
  const N = Number(count);
  const info = { method: 'tools/call', transport: 'http', toolName: 'read_file' };
  const call = (tracer) => tracer.request(info, () => tracer.handler('ExecuteToolCommand', () => tracer.toolRun('read_file', async () => tracer.current())));
  async function measure(tracer, flush) {
    for (let i = 0; i < 2_000; i += 1) await call(tracer);
    await flush();
    const c0 = process.cpuUsage();
    // A flush every 1,000 calls keeps the queue within its bound (no span dropped, so every span is
    // exported and counted) and a flush within the exporter's 30 requests in flight.
    for (let i = 1; i <= N; i += 1) {
      await call(tracer);
      if (i % 1_000 === 0) await flush();
    }
    await flush();
    const u = process.cpuUsage(c0);
    return (u.user + u.system) / N;
  }
  const result = { off: await measure(NO_TRACING, async () => undefined) };
  for (const [label, ratio] of [['sampled', 1], ['unsampled', 0]]) {
    const tracing = await startTracing({ otlp: otlpSchema.parse({ endpoint, sampling_ratio: ratio, max_queue_size: 4096 }), serverVersion: 'bench', clients: ['http'], logger });
    result[label] = await measure(tracing.tracer, () => tracing.forceFlush());
    await tracing.shutdown();
  }
  process.stdout.write(JSON.stringify(result));
}
`;

// A collector stand-in: reads each export and answers 200, nothing else.
const SINK = `
const server = require('node:http').createServer((req, res) => { let n = 0; req.on('data', (c) => (n += c.length)); req.on('end', () => { res.writeHead(200, { 'content-type': 'application/x-protobuf' }); res.end(); }); });
server.listen(0, '127.0.0.1', () => process.stdout.write(String(server.address().port) + '\\n'));
`;

function run(args) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${args.join(' ')} exited ${code}`))));
  });
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const out = mkdtempSync(join(tmpdir(), 'tfo-tracing-cost-'));
const sink = spawn(process.execPath, ['-e', SINK], { stdio: ['ignore', 'pipe', 'inherit'] });
try {
  await build({
    absWorkingDir: ROOT,
    stdin: { contents: ENTRY, resolveDir: ROOT, loader: 'ts', sourcefile: 'tracing-cost-entry.ts' },
    outdir: out,
    entryNames: 'entry',
    chunkNames: 'chunks/[name]-[hash]',
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    external: ['pg-native'],
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    logLevel: 'error',
  });
  const port = await new Promise((resolve) => sink.stdout.once('data', (chunk) => resolve(Number(String(chunk).trim()))));
  const endpoint = `http://127.0.0.1:${port}`;
  const entry = join(out, 'entry.js');

  const loads = [];
  for (let i = 0; i < SPAWNS; i += 1) loads.push(JSON.parse(await run([entry, 'load', endpoint])));
  const load = Object.fromEntries(Object.keys(loads[0]).map((key) => [key, median(loads.map((l) => l[key]))]));
  const calls = JSON.parse(await run([entry, 'calls', endpoint, String(CALLS)]));

  const f = (x) => x.toFixed(1);
  process.stdout.write(`Node ${process.version}, ${SPAWNS} fresh processes (medians), ${CALLS} calls\n`);
  process.stdout.write(`load   import start-tracing chunk            ${f(load.importMs)} ms wall, ${f(load.importCpuMs)} ms CPU\n`);
  process.stdout.write(`load   startTracing, http client only         ${f(load.startHttpMs)} ms wall, ${f(load.startHttpCpuMs)} ms CPU (exporter, instrumentation base, http)\n`);
  process.stdout.write(`load   startTracing, + pg + ioredis           ${f(load.startPgRedisMs)} ms wall, ${f(load.startPgRedisCpuMs)} ms CPU (pg, ioredis already loaded)\n`);
  process.stdout.write(`call   request→handler→tool, tracing off      ${f(calls.off)} µs CPU\n`);
  process.stdout.write(`call   same, 3 spans sampled and exported     ${f(calls.sampled)} µs CPU (${f((calls.sampled - calls.off) / 3)} µs per span)\n`);
  process.stdout.write(`call   same, 3 spans not sampled (ratio 0)    ${f(calls.unsampled)} µs CPU (${f((calls.unsampled - calls.off) / 3)} µs per span)\n`);
} finally {
  sink.kill();
  rmSync(out, { recursive: true, force: true });
}
