import { createServer, request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { drive, pool } from './load.mjs';
import { cpuTimes } from './proc.mjs';
import { summarizeLatencies } from './stats.mjs';

/**
 * tfo-mcp over Streamable HTTP in several configurations, measured side by side: what a feature
 * costs per call on the hot path. One server per variant, all started and warmed up first, then
 * short measured windows in turn (none, apikey, jwt, metrics, none, …) so the machine's drift (a
 * shared 2-core VM whose speed moves by ±30 % within a minute) lands on every variant alike.
 *
 * - `none`: no `auth`, no telemetry: the unchanged hot path.
 * - `apikey`, `jwt`: auth.api_keys and auth.oauth configured, every request carrying
 *   `Authorization: Bearer` with an API key or a JWT from a real OpenID Connect provider. Each
 *   credential is verified on its first request, in the warm-up; the windows show what a long-lived
 *   client pays per call (the verdict cache).
 * - `metrics`: telemetry.metrics.enabled (GET /metrics on the same port); one scrape in the middle of
 *   every window, far more often than Prometheus's 15 s, so the scrape's cost is not understated.
 * - `traces`: telemetry.otlp at 100 % sampling, exporting OTLP http/protobuf to a sink in this
 *   process (the receiving side is not the server's CPU); the round fails if no spans arrived.
 *
 * Per variant: calls and server CPU (user + system, every thread: JIT and GC included) summed over
 * its windows, latency percentiles over every call of its windows.
 */
export const VARIANTS = ['none', 'apikey', 'jwt', 'metrics', 'traces'];

const METRICS_ENV = { TELEMETRYFLOW_MCP_TELEMETRY__METRICS__ENABLED: 'true' };

/**
 * How a variant's server is configured and what its clients send: `env(port)` (more environment),
 * `credential(port)` (a bearer value or undefined) and whether /metrics is scraped. `fixture` is the
 * auth fixture (apikey, jwt), `sink` the OTLP sink (traces). Also used by bench/instructions.mjs.
 */
export function configOf(variant, fixture, sink) {
  switch (variant) {
    case 'none':
      return { env: undefined, credential: async () => undefined };
    case 'apikey':
      return { env: fixture.env, credential: async () => fixture.apiKey };
    case 'jwt':
      return { env: fixture.env, credential: (port) => fixture.jwt(port) };
    case 'metrics':
      return { env: () => METRICS_ENV, credential: async () => undefined, scrape: true };
    case 'traces':
      return { env: () => ({ TELEMETRYFLOW_MCP_TELEMETRY__OTLP__ENDPOINT: `http://127.0.0.1:${sink.port}`, TELEMETRYFLOW_MCP_TELEMETRY__OTLP__SAMPLING_RATIO: '1' }), credential: async () => undefined };
    default:
      throw new Error(`unknown variant ${variant}`);
  }
}

/** GET /metrics; rejects unless it answers 200 with tfo-mcp's own families (metrics really on). */
function scrape(port) {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/metrics', headers: { Host: `127.0.0.1:${port}` }, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => (res.statusCode === 200 && body.includes('tfo_mcp_') ? resolve(body.length) : reject(new Error(`GET /metrics answered ${res.statusCode} without tfo_mcp_ families`))));
    });
    req.on('timeout', () => req.destroy(new Error('GET /metrics timed out')));
    req.on('error', reject);
    req.end();
  });
}

/**
 * One round: `variants` (in this order for the first pass, rotated by one each pass) with
 * `options.variantLevel` sessions each. `startHttp(key, options, extra)` and `openSessions` come
 * from suites.mjs (passed in to keep one definition of how a server is started).
 */
export async function variantsRound(variants, options, fixture, { startHttp, openSessions, log }) {
  const started = [];
  const sink = variants.includes('traces') ? await otlpSink() : undefined;
  let figures;
  try {
    figures = await measureAll(variants, options, fixture, { startHttp, openSessions, log, sink }, started);
  } finally {
    await sink?.close();
    // Every server is stopped; one that died during the round fails it (stop rethrows its exit).
    const stopped = await Promise.allSettled(started.map((server) => server.stop()));
    const died = stopped.find((s) => s.status === 'rejected');
    if (died && figures !== undefined) throw died.reason;
  }
  return figures;
}

async function measureAll(variants, options, fixture, { startHttp, openSessions, log, sink }, started) {
  const servers = {};
  for (const variant of variants) {
    const config = configOf(variant, fixture, sink);
    const server = await startHttp('tfo', options, config.env ? { env: config.env } : {});
    started.push(server);
    const credential = await config.credential(server.port);
    const sessions = await openSessions(server, options.variantLevel, 16, credential === undefined ? {} : { Authorization: `Bearer ${credential}` });
    servers[variant] = { server, sessions, scrape: config.scrape === true, windows: [], latencies: [] };
  }
  await sleep(options.settleMs);
  // Warm-up per server, long enough for V8's tier-up: its compiler threads are process CPU, and the
  // variant with more code on the path would otherwise pay its compilation inside the windows.
  for (const variant of variants) {
    const { sessions, scrape: scraping, server } = servers[variant];
    if (scraping) await scrape(server.port);
    await drive({ lanes: sessions.length, durationMs: options.variantWarmupMs, maxCalls: options.maxCalls, call: (lane, n) => sessions[lane].echo(`w${n}`) });
  }
  for (let pass = 0; pass < options.variantPasses; pass += 1) {
    for (let i = 0; i < variants.length; i += 1) {
      const variant = variants[(i + pass) % variants.length];
      const entry = servers[variant];
      const pid = entry.server.handle.pid;
      const cpu0 = cpuTimes(pid);
      const scraped = entry.scrape ? sleep(options.variantWindowMs / 2).then(() => scrape(entry.server.port)) : undefined;
      const result = await drive({ lanes: entry.sessions.length, durationMs: options.variantWindowMs, maxCalls: options.maxCalls, call: (lane, n) => entry.sessions[lane].echo(`m${n}`), keepLatencies: true });
      await scraped;
      const cpu1 = cpuTimes(pid);
      const userMs = cpu1.userMs - cpu0.userMs;
      const systemMs = cpu1.systemMs - cpu0.systemMs;
      entry.windows.push({ calls: result.calls, seconds: result.elapsedMs / 1000, cpuMs: userMs + systemMs, userMs, systemMs });
      for (const ms of result.latencies) entry.latencies.push(ms);
    }
  }
  const figures = {};
  for (const variant of variants) {
    const { windows, latencies, sessions } = servers[variant];
    const calls = windows.reduce((sum, w) => sum + w.calls, 0);
    const seconds = windows.reduce((sum, w) => sum + w.seconds, 0);
    const cpu = windows.reduce((sum, w) => sum + w.cpuMs, 0);
    const user = windows.reduce((sum, w) => sum + w.userMs, 0);
    const latency = summarizeLatencies(latencies);
    figures[variant] = {
      variant,
      level: sessions.length,
      windows: windows.length,
      calls,
      seconds,
      throughput: calls / seconds,
      p50: latency.p50,
      p90: latency.p90,
      p99: latency.p99,
      max: latency.max,
      cpuMs: cpu,
      cpuUsPerCall: calls > 0 ? (cpu * 1000) / calls : Number.NaN,
      userUsPerCall: calls > 0 ? (user * 1000) / calls : Number.NaN,
      systemUsPerCall: calls > 0 ? ((cpu - user) * 1000) / calls : Number.NaN,
      windowCpuUsPerCall: windows.map((w) => (w.calls > 0 ? (w.cpuMs * 1000) / w.calls : Number.NaN)),
    };
    const f = figures[variant];
    log?.(`  ${variant.padEnd(7)} ${f.cpuUsPerCall.toFixed(1)} µs CPU/call (user ${f.userUsPerCall.toFixed(1)}, system ${f.systemUsPerCall.toFixed(1)}), ${f.throughput.toFixed(0)} calls/s (windows: ${f.windowCpuUsPerCall.map((x) => x.toFixed(0)).join(' ')} µs)`);
  }
  for (const variant of variants) await pool(servers[variant].sessions.length, 16, (i) => servers[variant].sessions[i].close());
  if (sink) {
    // The exporter sends every 5 s or every 512 spans: by now, many batches.
    if (sink.requests === 0) throw new Error('traces: the OTLP sink received no export; tracing did not run');
    figures.traces.exports = sink.requests;
    figures.traces.exportedBytes = sink.bytes;
  }
  return figures;
}

/** An OTLP/HTTP receiver that keeps nothing: it counts exports and bytes and answers 200. */
export async function otlpSink() {
  const sink = { requests: 0, bytes: 0, port: 0 };
  const server = createServer((req, res) => {
    req.on('data', (chunk) => (sink.bytes += chunk.length));
    req.on('end', () => {
      sink.requests += 1;
      res.writeHead(200, { 'content-type': 'application/x-protobuf' });
      res.end();
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  sink.port = server.address().port;
  sink.close = () =>
    new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return sink;
}
