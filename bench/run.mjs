#!/usr/bin/env node
// tfo-mcp benchmark: tfo-mcp against a bare @modelcontextprotocol/sdk server and fastmcp, over stdio
// and Streamable HTTP, with raw JSON-RPC clients. Rounds interleave the servers (A/B/C, then B/C/A…)
// so machine drift hits all of them; figures are medians of rounds, ratios medians of within-round
// ratios. Loopback only; every phase is bounded in time and count, and a watchdog ends the run.
import { readFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem, release } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { CLK_TCK, killAllStarted } from './lib/proc.mjs';
import { differenceOf, fmt, medianOf, metricsFor, notBetter, ratioOf, table } from './lib/report.mjs';
import { BENCH_DIR, REPO_DIR, SERVERS } from './lib/servers.mjs';
import { median } from './lib/stats.mjs';
import { coldStart, heldSuite, httpSuite, soakSuite, stdioSuite } from './lib/suites.mjs';

const USAGE = `usage: node bench/run.mjs [options]
  --quick            one round, short windows, 100 held sessions (smoke run, ~15 s per server)
  --only LIST        comma list of servers: tfo,sdk,fastmcp (default: all three)
  --rounds N         rounds (default 3; medians need at least 3)
  --soak SECONDS     also run a soak (16 HTTP sessions under load, RSS sampled) for each server; default off
  --held N           sessions opened in the sessions-held test (default 1000)
  --sdk-json         run the bare-SDK HTTP baseline with enableJsonResponse (default: the SDK default, SSE answers)
  --out DIR          where the JSON results go (default bench/results)
  --help`;

const ALL = ['tfo', 'sdk', 'fastmcp'];
const LEVELS = [1, 16, 64];

function options() {
  let parsed;
  try {
    parsed = parseArgs({
      options: {
        quick: { type: 'boolean', default: false },
        only: { type: 'string' },
        rounds: { type: 'string' },
        soak: { type: 'string' },
        held: { type: 'string' },
        'sdk-json': { type: 'boolean', default: false },
        out: { type: 'string' },
        help: { type: 'boolean', default: false },
      },
      strict: true,
    }).values;
  } catch (error) {
    usage(error.message);
  }
  if (parsed.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const servers = parsed.only ? parsed.only.split(',').map((s) => s.trim()).filter(Boolean) : ALL;
  const unknown = servers.filter((s) => !ALL.includes(s));
  if (unknown.length > 0 || servers.length === 0) usage(`--only: unknown server(s) ${unknown.join(', ')}; use ${ALL.join(',')}`);
  const int = (value, name, fallback, min, max) => {
    if (value === undefined) return fallback;
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) usage(`${name} must be an integer from ${min} to ${max}`);
    return n;
  };
  const quick = parsed.quick;
  return {
    quick,
    servers: ALL.filter((s) => servers.includes(s)),
    rounds: int(parsed.rounds, '--rounds', quick ? 1 : 3, 1, 20),
    soakSeconds: int(parsed.soak, '--soak', 0, 0, 3600),
    held: int(parsed.held, '--held', quick ? 100 : 1000, 10, 10_000),
    sdkJson: parsed['sdk-json'],
    out: parsed.out ?? join(BENCH_DIR, 'results'),
    // Phase lengths (ms). Every phase also stops at maxCalls.
    warmupMs: quick ? 200 : 1000,
    phaseMs: quick ? 500 : 2000,
    httpWarmupMs: quick ? 150 : 500,
    settleMs: quick ? 100 : 300,
    extraColdStarts: quick ? 0 : 2,
    window: 64,
    levels: LEVELS,
    maxCalls: 500_000,
    requestTimeoutMs: 10_000,
    heldConcurrency: 64,
    soakSampleMs: 5000,
    nodeArgs: [],
  };
}

function usage(message) {
  process.stderr.write(`bench: ${message}\n${USAGE}\n`);
  process.exit(2);
}

const log = (line) => process.stderr.write(`${line}\n`);

function versionOf(path) {
  try {
    return JSON.parse(readFileSync(path, 'utf8')).version;
  } catch {
    return undefined;
  }
}

/** Rotates the server order each round: A/B/C, B/C/A, C/A/B… */
const rotate = (list, by) => list.map((_, i) => list[(i + by) % list.length]);

async function main() {
  const opts = options();
  const started = performance.now();
  // Watchdog: an estimate of the whole run, doubled; on expiry every child is killed by PID.
  const budgetMs = (opts.quick ? 90_000 : 180_000) * opts.servers.length * Math.max(1, opts.rounds / 3) + opts.soakSeconds * 1500 * opts.servers.length;
  const watchdog = setTimeout(() => {
    log(`bench: watchdog: the run exceeded ${Math.round(budgetMs / 1000)} s; stopping every server it started`);
    killAllStarted();
    process.exit(3);
  }, budgetMs);
  watchdog.unref();
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.on(signal, () => {
      killAllStarted();
      process.exit(130);
    });
  }

  for (const server of opts.servers) {
    const problem = SERVERS[server].check();
    if (problem) {
      log(`bench: ${SERVERS[server].label}: ${problem}`);
      process.exit(1);
    }
  }

  const labels = Object.fromEntries(ALL.map((s) => [s, SERVERS[s].label]));
  const failures = [];
  const rounds = [];
  const attempt = async (round, server, suite, fn) => {
    const t0 = performance.now();
    try {
      const result = await fn();
      log(`  round ${round + 1}/${opts.rounds}  ${labels[server].padEnd(8)} ${suite.padEnd(6)} ok  (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
      return result;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      failures.push({ round: round + 1, server, suite, message });
      log(`  round ${round + 1}/${opts.rounds}  ${labels[server].padEnd(8)} ${suite.padEnd(6)} FAILED: ${message}`);
      return undefined;
    }
  };

  log(`bench: ${opts.servers.map((s) => labels[s]).join(', ')}; ${opts.rounds} round(s)${opts.quick ? ' (quick)' : ''}; ${cpus().length} cores; CLK_TCK ${CLK_TCK}`);
  for (let r = 0; r < opts.rounds; r++) {
    const order = rotate(opts.servers, r);
    const round = Object.fromEntries(order.map((s) => [s, { coldStarts: [] }]));
    for (const server of order) {
      round[server].stdio = await attempt(r, server, 'stdio', () => stdioSuite(server, opts));
      if (round[server].stdio) round[server].coldStarts.push(round[server].stdio.coldStartMs);
    }
    for (let i = 0; i < opts.extraColdStarts; i++) {
      for (const server of order) {
        const ms = await attempt(r, server, 'cold', () => coldStart(server, opts));
        if (ms !== undefined) round[server].coldStarts.push(ms);
      }
    }
    for (const server of order) round[server].coldStartMs = median(round[server].coldStarts);
    for (const server of order) round[server].http = await attempt(r, server, 'http', () => httpSuite(server, opts));
    for (const server of order) round[server].held = await attempt(r, server, 'held', () => heldSuite(server, { ...opts, heldConcurrency: opts.heldConcurrency }));
    rounds.push(round);
  }
  const soak = {};
  if (opts.soakSeconds > 0) {
    for (const server of opts.servers) {
      soak[server] = await attempt(0, server, 'soak', () => soakSuite(server, opts, opts.soakSeconds, log));
    }
  }

  const metrics = metricsFor(opts.levels);
  const out = [];
  out.push('');
  out.push(`tfo-mcp benchmark — ${new Date().toISOString()} — node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? '?'}`);
  out.push(`${opts.rounds} round(s), servers interleaved per round; http answers: ${opts.servers.map((s) => `${labels[s]} ${rounds.map((r) => r[s]?.http?.answers).find(Boolean) ?? '?'}`).join(', ')}`);
  out.push('');
  out.push(table(rounds, opts.servers, metrics, labels));
  if (opts.soakSeconds > 0) {
    out.push('');
    out.push(`[soak: 16 sessions under load for ${opts.soakSeconds} s; growth from ${Math.round(opts.soakSeconds / 5)} s to the end]`);
    for (const server of opts.servers) {
      const s = soak[server];
      out.push(
        s
          ? `  ${labels[server].padEnd(8)} RSS ${fmt(s.rssStartKb / 1024, 1)} → ${fmt(s.rssEndKb / 1024, 1)} MB (max ${fmt(s.rssMaxKb / 1024, 1)}), growth ${fmt(s.growthPct, 1)} %, slope ${fmt(s.slopeKbPerMin, 0)} KB/min, ${s.calls} calls, ${fmt(s.cpuUsPerCall, 1)} µs CPU/call`
          : `  ${labels[server].padEnd(8)} failed`,
      );
    }
  }

  const byKey = Object.fromEntries(metrics.map((m) => [m.key, m]));
  const ratio = (key, rival = 'sdk') => ratioOf(rounds, 'tfo', rival, byKey[key]);
  const has = (s) => opts.servers.includes(s);
  const targets = [];
  if (has('tfo') && has('sdk')) {
    const target = (name, value, ok, shown) => targets.push({ name, value, met: Number.isFinite(value) ? ok(value) : undefined, shown });
    target('stdio CPU per call (64 in flight) ≤ 1.3× SDK', ratio('stdio.pipelined.cpu'), (v) => v <= 1.3, `${fmt(ratio('stdio.pipelined.cpu'))}×`);
    target('stdio throughput (64 in flight) ≥ 0.8× SDK', ratio('stdio.pipelined.throughput'), (v) => v >= 0.8, `${fmt(ratio('stdio.pipelined.throughput'))}×`);
    const cold = differenceOf(rounds, 'tfo', 'sdk', byKey['stdio.coldStart']);
    target('stdio cold start ≤ SDK + 150 ms', cold, (v) => v <= 150, `${cold >= 0 ? '+' : ''}${fmt(cold, 0)} ms`);
    for (const level of [16, 64]) target(`http throughput @${level} ≥ 2× SDK`, ratio(`http.${level}.throughput`), (v) => v >= 2, `${fmt(ratio(`http.${level}.throughput`))}×`);
    target('http CPU per call @16 ≤ 0.5× SDK', ratio('http.16.cpu'), (v) => v <= 0.5, `${fmt(ratio('http.16.cpu'))}×`);
    target('http p99 @16 ≤ SDK', ratio('http.16.p99'), (v) => v <= 1, `${fmt(ratio('http.16.p99'))}×`);
  }
  if (has('tfo')) {
    const kb = medianOf(rounds, 'tfo', byKey['held.kbPerSession']);
    targets.push({ name: 'http RSS per held session ≤ 100 KB', value: kb, met: Number.isFinite(kb) ? kb <= 100 : undefined, shown: `${fmt(kb, 1)} KB` });
    if (soak.tfo) {
      const s = soak.tfo;
      targets.push({ name: 'http RSS flat over the soak (growth ≤ 5 %)', value: s.growthPct, met: s.growthPct <= 5, shown: `${fmt(s.growthPct, 1)} %, ${fmt(s.slopeKbPerMin, 0)} KB/min` });
    }
  }
  const fastmcpMisses = has('tfo') && has('fastmcp') ? notBetter(rounds, 'fastmcp', metrics) : undefined;
  if (fastmcpMisses) {
    targets.push({ name: 'better than fastmcp on every figure', value: fastmcpMisses.length, met: fastmcpMisses.length === 0, shown: fastmcpMisses.length === 0 ? 'all' : `not on: ${fastmcpMisses.join('; ')}` });
  }
  if (targets.length > 0) {
    out.push('');
    out.push('[targets: reported, not asserted]');
    for (const t of targets) out.push(`  ${t.met === undefined ? 'n/a   ' : t.met ? 'met   ' : 'MISSED'}  ${t.name}: ${t.shown}`);
  }
  if (failures.length > 0) {
    out.push('');
    out.push(`[failures: ${failures.length}]`);
    for (const f of failures) out.push(`  round ${f.round} ${labels[f.server]} ${f.suite}: ${f.message.split('\n')[0]}`);
  }

  const lines = [];
  if (has('tfo') && has('fastmcp')) lines.push(...ratioLines(rounds, 'fastmcp', byKey));
  if (has('tfo') && has('sdk')) lines.push(...ratioLines(rounds, 'sdk', byKey));
  else lines.push('ratio tfo/sdk stdio: n/a (needs --only tfo,sdk)', 'ratio tfo/sdk http: n/a (needs --only tfo,sdk)');
  out.push('');
  out.push(...lines);

  mkdirSync(opts.out, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const file = join(opts.out, `${stamp}.json`);
  const medians = Object.fromEntries(opts.servers.map((s) => [s, Object.fromEntries(metrics.map((m) => [m.key, medianOf(rounds, s, m)]))]));
  const ratios = Object.fromEntries(
    opts.servers.filter((s) => s !== 'tfo' && has('tfo')).map((s) => [s, Object.fromEntries(metrics.map((m) => [m.key, ratioOf(rounds, 'tfo', s, m)]))]),
  );
  writeFileSync(
    file,
    `${JSON.stringify(
      {
        meta: {
          date: new Date().toISOString(),
          seconds: (performance.now() - started) / 1000,
          node: process.version,
          kernel: release(),
          cpus: cpus().length,
          cpuModel: cpus()[0]?.model,
          memoryBytes: totalmem(),
          loadavgAtEnd: loadavg(),
          clkTck: CLK_TCK,
          versions: {
            tfo: versionOf(join(REPO_DIR, 'package.json')),
            sdkInTfo: versionOf(join(REPO_DIR, 'node_modules/@modelcontextprotocol/sdk/package.json')),
            sdkBaseline: versionOf(join(BENCH_DIR, 'node_modules/@modelcontextprotocol/sdk/package.json')),
            fastmcp: versionOf(join(BENCH_DIR, 'node_modules/fastmcp/package.json')),
          },
        },
        options: { ...opts, nodeArgs: undefined },
        rounds,
        soak,
        medians,
        ratios,
        targets,
        failures,
        summary: lines,
      },
      (_key, value) => (typeof value === 'number' && !Number.isFinite(value) ? null : value),
      2,
    )}\n`,
  );
  log(`bench: figures of every run in ${file} (${((performance.now() - started) / 1000).toFixed(0)} s)`);
  process.stdout.write(`${out.join('\n')}\n`);
  clearTimeout(watchdog);
  process.exitCode = failures.length > 0 ? 1 : 0;
}

/** The summary lines, tfo against one rival; the tfo/sdk pair is printed last. */
function ratioLines(rounds, rival, byKey) {
  const r = (key) => fmt(ratioOf(rounds, 'tfo', rival, byKey[key]));
  const cold = differenceOf(rounds, 'tfo', rival, byKey['stdio.coldStart']);
  const kb = medianOf(rounds, 'tfo', byKey['held.kbPerSession']);
  return [
    `ratio tfo/${rival} stdio: cpu/call ${r('stdio.pipelined.cpu')}, throughput ${r('stdio.pipelined.throughput')}, p99 ${r('stdio.serial.p99')}, cold-start ${Number.isFinite(cold) ? `${cold >= 0 ? '+' : '-'}${Math.abs(Math.round(cold))}` : 'n/a'} ms, rss ${r('stdio.rssAfter')}`,
    `ratio tfo/${rival} http: cpu/call@16 ${r('http.16.cpu')}, throughput@1/16/64 ${r('http.1.throughput')}/${r('http.16.throughput')}/${r('http.64.throughput')}, p99@16 ${r('http.16.p99')}, kb/session ${Number.isFinite(kb) ? Math.round(kb) : 'n/a'}`,
  ];
}

main().catch((error) => {
  log(`bench: ${error instanceof Error ? error.stack : String(error)}`);
  killAllStarted();
  process.exit(1);
});
