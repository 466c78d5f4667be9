import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { HttpMcpSession, StatelessMcpClient, createAgent } from './http-client.mjs';
import { drive, pool } from './load.mjs';
import { cpuMs, freePort, rssKb, spawnServer, stopServer, waitForPort } from './proc.mjs';
import { SERVERS } from './servers.mjs';
import { median, slope } from './stats.mjs';
import { StdioRpcClient } from './stdio-client.mjs';
import { variantsRound } from './variants.mjs';

const START_TIMEOUT_MS = 20_000;

/** Phase figures: throughput, latency and server CPU per call over the measured window only. */
async function measured(pid, load) {
  const cpu0 = cpuMs(pid);
  const result = await load();
  const cpu = cpuMs(pid) - cpu0;
  return {
    calls: result.calls,
    seconds: result.elapsedMs / 1000,
    throughput: result.throughput,
    p50: result.latency.p50,
    p90: result.latency.p90,
    p99: result.latency.p99,
    max: result.latency.max,
    cpuMs: cpu,
    cpuUsPerCall: result.calls > 0 ? (cpu * 1000) / result.calls : Number.NaN,
  };
}

/** A stdio server, spawned and initialized; `coldStartMs` is spawn → initialize answer. */
async function startStdio(key, options) {
  const t0 = performance.now();
  const handle = spawnServer(SERVERS[key].stdio(options.nodeArgs));
  const client = new StdioRpcClient(handle, { requestTimeoutMs: options.requestTimeoutMs });
  try {
    const { at } = await client.initialize();
    return { handle, client, coldStartMs: at - t0 };
  } catch (error) {
    await stopServer(handle);
    throw error;
  }
}

/**
 * A request that failed because the server died (socket hang up, EPIPE) is reported as the
 * server's exit, with its stderr: give the exit a moment to be seen before stopping it.
 */
async function explained(handle, error) {
  if (!handle.exited) await sleep(250);
  if (handle.exited && !handle.stopping) {
    return new Error(`server exited unexpectedly (code ${handle.exit.code}, signal ${handle.exit.signal}) — ${error.message}\n${handle.stderrTail.slice(-1500)}`);
  }
  return error;
}

/** Stops a server we started and fails if it had already died or failed a request. */
async function finish(handle, client) {
  const crashed = handle.exited && !handle.stopping;
  await stopServer(handle);
  if (crashed) throw new Error(`server exited unexpectedly ${JSON.stringify(handle.exit)}\n${handle.stderrTail.slice(-1500)}`);
  if (client?.failure) throw client.failure;
}

/** Spawn → initialize → kill, for extra cold-start samples. */
export async function coldStart(key, options) {
  const { handle, client, coldStartMs } = await startStdio(key, options);
  await finish(handle, client);
  return coldStartMs;
}

/**
 * stdio: cold start, RSS idle, echo with one request in flight, then with a window of `window`
 * requests in flight, RSS after load.
 */
export async function stdioSuite(key, options) {
  const { handle, client, coldStartMs } = await startStdio(key, options);
  try {
    await sleep(options.settleMs);
    const rssIdleKb = rssKb(handle.pid);
    const echo = (_lane, n) => client.echo(`m${n}`);
    await drive({ lanes: options.window, durationMs: options.warmupMs, maxCalls: options.maxCalls, call: echo });
    const serial = await measured(handle.pid, () => drive({ lanes: 1, durationMs: options.phaseMs, maxCalls: options.maxCalls, call: echo }));
    const pipelined = await measured(handle.pid, () =>
      drive({ lanes: options.window, durationMs: options.phaseMs, maxCalls: options.maxCalls, call: echo }),
    );
    await sleep(options.settleMs);
    const rssAfterKb = rssKb(handle.pid);
    return { coldStartMs, rssIdleKb, rssAfterKb, serial, pipelined };
  } catch (error) {
    throw await explained(handle, error);
  } finally {
    await finish(handle, client);
  }
}

/** An HTTP server on a free loopback port, waited for until it accepts connections. `extra.env(port)`: more environment. */
async function startHttp(key, options, extra = {}) {
  const port = await freePort();
  const spec = SERVERS[key].http(port, options.nodeArgs, options);
  const handle = spawnServer({ ...spec, env: { ...spec.env, ...extra.env?.(port) }, stdin: 'ignore', stdout: 'ignore' });
  let died;
  handle.onUnexpectedExit = (code, signal) => {
    died = new Error(`server exited unexpectedly (code ${code}, signal ${signal})\n${handle.stderrTail.slice(-1500)}`);
  };
  try {
    await waitForPort(port, START_TIMEOUT_MS, handle.alive);
  } catch (error) {
    await stopServer(handle);
    throw new Error(`${error.message}\n${handle.stderrTail.slice(-1500)}`);
  }
  const agent = createAgent();
  const session = (credentials = {}) => new HttpMcpSession({ agent, port, requestTimeoutMs: options.requestTimeoutMs, credentials });
  const stateless = () => new StatelessMcpClient({ agent, port, requestTimeoutMs: options.requestTimeoutMs });
  const stop = async () => {
    agent.destroy();
    await finish(handle);
    if (died) throw died;
  };
  return { handle, agent, port, session, stateless, stop };
}

async function openSessions(server, count, concurrency, credentials = {}) {
  const sessions = Array.from({ length: count }, () => server.session(credentials));
  await pool(count, concurrency, (i) => sessions[i].open());
  return sessions;
}

/** Streamable HTTP: for each concurrency level, that many sessions each with one call in flight. */
export async function httpSuite(key, options) {
  const server = await startHttp(key, options);
  try {
    await sleep(options.settleMs);
    const rssIdleKb = rssKb(server.handle.pid);
    const levels = {};
    let sse = false;
    for (const level of options.levels) {
      const sessions = await openSessions(server, level, 16);
      const echo = (lane, n) => sessions[lane].echo(`m${n}`);
      await drive({ lanes: level, durationMs: options.httpWarmupMs, maxCalls: options.maxCalls, call: echo });
      levels[level] = await measured(server.handle.pid, () =>
        drive({ lanes: level, durationMs: options.phaseMs, maxCalls: options.maxCalls, call: echo }),
      );
      sse ||= sessions.some((s) => s.sawSse);
      await pool(sessions.length, 16, (i) => sessions[i].close());
    }
    await sleep(options.settleMs);
    const rssAfterKb = rssKb(server.handle.pid);
    return { rssIdleKb, rssAfterKb, answers: sse ? 'sse' : 'json', levels };
  } catch (error) {
    throw await explained(server.handle, error);
  } finally {
    await server.stop();
  }
}

/**
 * The 2026-07-28 stateless path: for each level, that many clients each with one `tools/call` in
 * flight, every call a self-contained POST (no initialize, no session). The first call tells whether
 * the server serves the revision at all: a server marked `statelessOptional` that answers like a
 * 2025-only server yields `{ served: false, firstAnswer }` and no figures; any other wrong answer fails.
 */
export async function statelessSuite(key, options) {
  const server = await startHttp(key, options);
  try {
    await sleep(options.settleMs);
    const rssIdleKb = rssKb(server.handle.pid);
    const client = server.stateless();
    const first = await client.probe('p0');
    if (!first.served) {
      if (SERVERS[key].statelessOptional) return { served: false, firstAnswer: first.firstAnswer };
      throw new Error(`2026-07-28 not served: ${first.firstAnswer}`);
    }
    const levels = {};
    const echo = (_lane, n) => client.echo(`m${n}`);
    for (const level of options.statelessLevels) {
      await drive({ lanes: level, durationMs: options.httpWarmupMs, maxCalls: options.maxCalls, call: echo });
      levels[level] = await measured(server.handle.pid, () =>
        drive({ lanes: level, durationMs: options.phaseMs, maxCalls: options.maxCalls, call: echo }),
      );
    }
    await sleep(options.settleMs);
    const rssAfterKb = rssKb(server.handle.pid);
    return { served: true, rssIdleKb, rssAfterKb, answers: client.sawSse ? 'sse' : 'json', levels };
  } catch (error) {
    throw await explained(server.handle, error);
  } finally {
    await server.stop();
  }
}

/**
 * Sessions held: after a few warm-up sessions (first-use code loading is not per-session cost),
 * open `held` more and keep them; KB per session = (RSS after − RSS before) / held.
 */
export async function heldSuite(key, options) {
  const server = await startHttp(key, options);
  try {
    const warm = await openSessions(server, 10, 10);
    await Promise.all(warm.map((s, i) => s.echo(`w${i}`)));
    await sleep(options.settleMs);
    const rssBeforeKb = rssKb(server.handle.pid);
    const t0 = performance.now();
    const sessions = await openSessions(server, options.held, options.heldConcurrency ?? 16);
    const openMs = performance.now() - t0;
    await sleep(options.settleMs * 2);
    const rssAfterKb = rssKb(server.handle.pid);
    // Every session must still be usable; sample them (one in a hundred, and the last).
    const sample = sessions.filter((_, i) => i % 100 === 0 || i === sessions.length - 1);
    await pool(sample.length, 16, (i) => sample[i].echo(`h${i}`).then(() => undefined));
    return {
      sessions: options.held,
      openMs,
      sessionsPerSec: (options.held * 1000) / openMs,
      rssBeforeKb,
      rssAfterKb,
      kbPerSession: (rssAfterKb - rssBeforeKb) / options.held,
    };
  } catch (error) {
    throw await explained(server.handle, error);
  } finally {
    await server.stop();
  }
}

/** Soak: 16 sessions under load for `seconds`, RSS sampled every `sampleMs`; flat = no sustained growth. */
export async function soakSuite(key, options, seconds, log) {
  const server = await startHttp(key, options);
  try {
    const sessions = await openSessions(server, 16, 16);
    const echo = (lane, n) => sessions[lane].echo(`s${n}`);
    const samples = [];
    let calls = 0;
    const t0 = performance.now();
    const cpu0 = cpuMs(server.handle.pid);
    while (performance.now() - t0 < seconds * 1000) {
      const chunk = Math.min(options.soakSampleMs, seconds * 1000 - (performance.now() - t0));
      const result = await drive({ lanes: 16, durationMs: Math.max(chunk, 1), maxCalls: options.maxCalls, call: echo });
      calls += result.calls;
      const t = (performance.now() - t0) / 1000;
      samples.push({ t, rssKb: rssKb(server.handle.pid), throughput: result.throughput, p99: result.latency.p99 });
      log?.(`  soak ${key}: ${t.toFixed(0)} s, rss ${(samples.at(-1).rssKb / 1024).toFixed(1)} MB, ${result.throughput.toFixed(0)} calls/s`);
    }
    const cpu = cpuMs(server.handle.pid) - cpu0;
    // Growth is judged after the first fifth (heap and JIT warm-up) to the end. RSS under load is a
    // sawtooth (the heap grows until a collection); a single sample at either end can sit on a peak
    // or a trough, so each end is the median of a window: the first and the last fifth of the
    // steady samples.
    const steady = samples.filter((s) => s.t >= seconds / 5);
    const usable = steady.length > 0 ? steady : samples;
    const window = Math.max(1, Math.floor(usable.length / 5));
    const start = median(usable.slice(0, window).map((s) => s.rssKb));
    const end = median(usable.slice(-window).map((s) => s.rssKb));
    return {
      seconds,
      calls,
      cpuUsPerCall: (cpu * 1000) / calls,
      rssStartKb: start,
      rssEndKb: end,
      rssFirstSampleKb: usable[0].rssKb,
      rssLastSampleKb: samples.at(-1).rssKb,
      rssMaxKb: Math.max(...samples.map((s) => s.rssKb)),
      growthPct: ((end - start) / start) * 100,
      slopeKbPerMin: slope(steady.map((s) => [s.t / 60, s.rssKb])),
      samples,
    };
  } catch (error) {
    throw await explained(server.handle, error);
  } finally {
    await server.stop();
  }
}

/**
 * tfo-mcp in several configurations side by side (no auth, API key, JWT, metrics on): one round of
 * bench/lib/variants.mjs, with this file's way of starting a server and opening sessions.
 */
export function variantsSuite(variants, options, fixture, log) {
  return variantsRound(variants, options, fixture, { startHttp, openSessions, log });
}
