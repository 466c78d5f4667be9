#!/usr/bin/env node
// Profiles one server under the benchmark's echo load with `node --cpu-prof`, then summarizes the
// self time of the samples taken inside the measured window: top functions and time per package,
// both per call. `--cold` profiles start-up instead (spawn → initialize answer).
//   node bench/profile.mjs --server tfo --transport stdio --seconds 8
//   node bench/profile.mjs --server sdk --transport http --lanes 16
//   node bench/profile.mjs --server tfo --cold
//   node bench/profile.mjs --server tfo --transport http --auth jwt   (every request with a JWT; or apikey)
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { startAuthFixture } from './lib/auth-fixture.mjs';
import { HttpMcpSession, createAgent } from './lib/http-client.mjs';
import { drive, pool } from './lib/load.mjs';
import { cpuMs, freePort, killAllStarted, spawnServer, stopServer, waitForPort } from './lib/proc.mjs';
import { BENCH_DIR, REPO_DIR, SERVERS } from './lib/servers.mjs';
import { StdioRpcClient } from './lib/stdio-client.mjs';

const { values: args } = parseArgs({
  options: {
    server: { type: 'string', default: 'tfo' },
    transport: { type: 'string', default: 'stdio' },
    seconds: { type: 'string', default: '8' },
    lanes: { type: 'string' },
    top: { type: 'string', default: '30' },
    cold: { type: 'boolean', default: false },
    // tfo-mcp over HTTP with auth configured and every request authenticated (the bench's auth suite).
    auth: { type: 'string', default: 'none' },
    // tfo-mcp with telemetry.metrics.enabled (the features suite's `metrics` variant).
    metrics: { type: 'boolean', default: false },
    // tfo-mcp's entry: `modules` (tsc's per-module build, so time is attributed per file) or
    // `bundle` (dist/main.js, what ships). Default: modules under load, bundle for --cold.
    entry: { type: 'string' },
    out: { type: 'string', default: join(BENCH_DIR, 'results', 'profiles') },
  },
  strict: true,
});
// sdk2 (the bare SDK v2 handler) serves only the stateless 2026-07-28 path, which this profiler does not drive.
if (!SERVERS[args.server]?.stdio || !['stdio', 'http'].includes(args.transport) || !['none', 'apikey', 'jwt'].includes(args.auth) || ((args.auth !== 'none' || args.metrics) && (args.server !== 'tfo' || args.transport !== 'http'))) {
  process.stderr.write('usage: node bench/profile.mjs [--server tfo|sdk|fastmcp] [--transport stdio|http] [--auth none|apikey|jwt (tfo over http)] [--metrics (tfo over http)] [--seconds N] [--lanes N] [--top N] [--cold]\n');
  process.exit(2);
}
process.env.TFO_BENCH_ENTRY = args.entry ?? (args.cold ? 'bundle' : 'modules');
if (!['bundle', 'modules'].includes(process.env.TFO_BENCH_ENTRY)) {
  process.stderr.write('--entry is bundle or modules\n');
  process.exit(2);
}
const seconds = Math.min(120, Math.max(1, Number(args.seconds)));
const lanes = Number(args.lanes ?? (args.transport === 'stdio' ? 64 : 16));
const top = Number(args.top);
const stamp = `${args.server}-${args.cold ? 'cold' : args.transport}-${Date.now()}`;
const dir = join(args.out, stamp);
mkdirSync(dir, { recursive: true });
const nodeArgs = ['--cpu-prof', `--cpu-prof-dir=${dir}`, '--cpu-prof-interval=100'];
const watchdog = setTimeout(() => {
  process.stderr.write('profile: watchdog fired; stopping the server\n');
  killAllStarted();
  process.exit(3);
}, (seconds + 60) * 1000);
watchdog.unref();

/** CLOCK_MONOTONIC in µs: the clock V8's profile timestamps use, shared by every process here. */
const nowUs = () => Number(process.hrtime.bigint() / 1000n);

async function loadStdio() {
  const spawnedUs = nowUs();
  const handle = spawnServer(SERVERS[args.server].stdio(nodeArgs));
  const client = new StdioRpcClient(handle);
  await client.initialize();
  const initializedUs = nowUs();
  if (args.cold) {
    await stopServer(handle);
    return { window: [0, initializedUs], calls: 1, coldMs: (initializedUs - spawnedUs) / 1000 };
  }
  const echo = (_lane, n) => client.echo(`m${n}`);
  await drive({ lanes, durationMs: 2000, maxCalls: 1e6, call: echo });
  const cpu0 = cpuMs(handle.pid);
  const t0 = nowUs();
  const result = await drive({ lanes, durationMs: seconds * 1000, maxCalls: 5e6, call: echo });
  const t1 = nowUs();
  const cpu = cpuMs(handle.pid) - cpu0;
  await stopServer(handle);
  if (client.failure) throw client.failure;
  return { window: [t0, t1], calls: result.calls, throughput: result.throughput, cpuUsPerCall: (cpu * 1000) / result.calls };
}

async function loadHttp() {
  const port = await freePort();
  const auth = args.auth === 'none' ? undefined : await startAuthFixture();
  const spec = SERVERS[args.server].http(port, nodeArgs);
  const metricsEnv = args.metrics ? { TELEMETRYFLOW_MCP_TELEMETRY__METRICS__ENABLED: 'true' } : {};
  const handle = spawnServer({ ...spec, env: { ...spec.env, ...auth?.env(port), ...metricsEnv }, stdin: 'ignore', stdout: 'ignore' });
  await waitForPort(port, 20_000, handle.alive);
  const credential = args.auth === 'apikey' ? auth.apiKey : args.auth === 'jwt' ? await auth.jwt(port) : undefined;
  const credentials = credential === undefined ? {} : { Authorization: `Bearer ${credential}` };
  const agent = createAgent();
  const sessions = Array.from({ length: lanes }, () => new HttpMcpSession({ agent, port, credentials }));
  await pool(lanes, 16, (i) => sessions[i].open());
  const echo = (lane, n) => sessions[lane].echo(`m${n}`);
  await drive({ lanes, durationMs: 2000, maxCalls: 1e6, call: echo });
  const cpu0 = cpuMs(handle.pid);
  const t0 = nowUs();
  const result = await drive({ lanes, durationMs: seconds * 1000, maxCalls: 5e6, call: echo });
  const t1 = nowUs();
  const cpu = cpuMs(handle.pid) - cpu0;
  agent.destroy();
  await stopServer(handle, { graceMs: 10_000 });
  await auth?.stop();
  return { window: [t0, t1], calls: result.calls, throughput: result.throughput, cpuUsPerCall: (cpu * 1000) / result.calls };
}

/** Where a function's code comes from, coarse enough to compare servers. */
function packageOf(url, name) {
  if (!url) return name.startsWith('(') ? name : '(native/V8)';
  const path = url.replace(/^file:\/\//, '');
  if (path.startsWith('node:')) return `node:${path.slice(5).split('/')[0] === 'internal' ? path.slice(5).split('/').slice(0, 2).join('/') : path.slice(5)}`;
  const nm = path.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = path.slice(nm + 14).split('/');
    const pkg = rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
    if (pkg === '@modelcontextprotocol/sdk') return `sdk ${rest.slice(3, 5).join('/')}`;
    return pkg;
  }
  if (path.startsWith(join(REPO_DIR, 'dist'))) return `tfo ${path.slice(join(REPO_DIR, 'dist').length + 1).replace(/^modules\//, '').split('/').slice(0, 2).join('/')}`;
  if (path.startsWith(BENCH_DIR)) return `bench ${path.slice(BENCH_DIR.length)}`;
  return path;
}

/** Whether a profile URL is tfo-mcp's own code under `area` (per-module build: dist/modules/...). */
function inTfo(url, area) {
  return url.includes(`/dist/modules/${area}`) || url.includes(`/dist/${area}`);
}

/** Coarse areas that line up across servers, so two profiles can be compared per call. */
function areaOf(callFrame) {
  const { url, functionName: f } = callFrame;
  if (f === '(garbage collector)') return 'garbage collection';
  if (f === '(idle)') return '(idle)';
  if (f === 'writeUtf8String' || f === 'writev' || f === 'writeBuffer') return 'write syscalls (stdout pipe / socket)';
  if (url.includes('abort_controller') || url.includes('event_target')) return 'AbortController / EventTarget';
  if (
    inTfo(url, 'presentation/transports') || url.includes('esm/shared/stdio') || url.includes('esm/server/stdio') ||
    url.includes('esm/server/streamableHttp') || url.includes('esm/server/webStandard') || url.includes('@hono/') ||
    url.includes('bench/servers/sdk-http') || url.includes('mcp-proxy') || f === 'parse' || f === 'stringify'
  ) return 'transport framing (JSON, routing, answer writing)';
  if (url.startsWith('node:_http') || url.includes('internal/streams') || url.includes('stream_base') || url === 'node:net' ||
    url === 'node:events' || url.includes('webstreams') || url.includes('deps/undici') || url.includes('js_transferable') ||
    url.includes('internal/encoding') || url.includes('buffer')) return 'node http / streams / events';
  if (inTfo(url, 'domain') || inTfo(url, 'application') || inTfo(url, 'infrastructure') ||
    inTfo(url, 'container') || url.includes('internal/crypto')) return 'tfo use case + domain + events (bus, ToolExecution, outbox, relay, publisher, ids, clock)';
  if (inTfo(url, 'presentation/mcp')) return 'tfo MCP routing (route, gate, tool context, tool)';
  if (url.includes('/zod/')) return 'zod';
  if (url.includes('@modelcontextprotocol/sdk') || url.includes('/fastmcp/')) return 'SDK / framework protocol + server';
  if (url.includes('timers')) return 'timers';
  return 'other (microtasks, native glue, program)';
}

function summarize(profile, [from, to], calls) {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  let t = profile.startTime;
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i];
    if (t < from || t > to) continue;
    const delta = profile.timeDeltas[i + 1] ?? 0;
    const id = profile.samples[i];
    self.set(id, (self.get(id) ?? 0) + delta);
    total += delta;
  }
  const byFunction = new Map();
  const byPackage = new Map();
  const byArea = new Map();
  for (const [id, us] of self) {
    const { functionName, url, lineNumber } = nodes.get(id).callFrame;
    const area = areaOf(nodes.get(id).callFrame);
    byArea.set(area, (byArea.get(area) ?? 0) + us);
    const name = functionName || '(anonymous)';
    const short = url ? `${url.replace(/^file:\/\//, '').replace(REPO_DIR, '').replace(/.*\/node_modules\//, '')}:${lineNumber + 1}` : '';
    const key = `${name} ${short}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + us);
    const pkg = packageOf(url, name);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + us);
  }
  const busy = total - (byPackage.get('(idle)') ?? 0);
  const lines = [];
  const row = (us, label) => `${(us / calls).toFixed(2).padStart(9)} µs/call  ${((us / busy) * 100).toFixed(1).padStart(5)} %  ${label}`;
  lines.push(`sampled ${(total / 1e6).toFixed(2)} s in the window, busy (not idle) ${(busy / 1e6).toFixed(2)} s = ${(busy / calls).toFixed(2)} µs/call over ${calls} calls`);
  lines.push('', 'self time by area (percent of busy):');
  for (const [area, us] of [...byArea].sort((a, b) => b[1] - a[1])) if (area !== '(idle)') lines.push(row(us, area));
  lines.push('', 'self time by package / area (percent of busy):');
  for (const [pkg, us] of [...byPackage].sort((a, b) => b[1] - a[1]).slice(0, 25)) if (pkg !== '(idle)') lines.push(row(us, pkg));
  lines.push('', `top ${top} functions by self time:`);
  for (const [fn, us] of [...byFunction].sort((a, b) => b[1] - a[1]).filter(([k]) => !k.startsWith('(idle)')).slice(0, top)) lines.push(row(us, fn));
  return lines.join('\n');
}

try {
  const run = args.transport === 'http' && !args.cold ? await loadHttp() : await loadStdio();
  await sleep(200);
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error(`no .cpuprofile in ${dir}: the server did not exit cleanly`);
  const profile = JSON.parse(readFileSync(join(dir, file), 'utf8'));
  process.stdout.write(
    `${SERVERS[args.server].label} ${args.cold ? `start-up (cold start ${run.coldMs.toFixed(0)} ms)` : `${args.transport}, ${lanes} ${args.transport === 'http' ? 'sessions' : 'in flight'}: ${run.throughput.toFixed(0)} calls/s, ${run.cpuUsPerCall.toFixed(1)} µs CPU/call (/proc, profiler on)`}\n` +
      `profile: ${join(dir, file)}\n${summarize(profile, run.window, run.calls)}\n`,
  );
} catch (error) {
  process.stderr.write(`profile: ${error instanceof Error ? error.stack : String(error)}\n`);
  killAllStarted();
  process.exitCode = 1;
}
