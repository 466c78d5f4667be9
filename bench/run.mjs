#!/usr/bin/env node
// tfo-mcp benchmark: tfo-mcp against a bare @modelcontextprotocol/sdk server and fastmcp, over stdio
// and Streamable HTTP, with raw JSON-RPC clients, and against a bare SDK v2 handler on the 2026-07-28
// stateless HTTP path. Rounds interleave the servers (A/B/C, then B/C/A…)
// so machine drift hits all of them; figures are medians of rounds, ratios medians of within-round
// ratios. Loopback only; every phase is bounded in time and count, and a watchdog ends the run.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { CLK_TCK, killAllStarted } from './lib/proc.mjs';
import { metricsFor, statelessMetricsFor, table } from './lib/report.mjs';
import { BENCH_DIR, SERVERS } from './lib/servers.mjs';
import { median } from './lib/stats.mjs';
import { ratioLines, resultsDocument, soakLines, statelessNotes, statelessRatioLines, targetLines, targetsFor } from './lib/summary.mjs';
import { coldStart, heldSuite, httpSuite, soakSuite, statelessSuite, stdioSuite, variantsSuite } from './lib/suites.mjs';
import { VARIANTS } from './lib/variants.mjs';
import { startAuthFixture } from './lib/auth-fixture.mjs';
import { variantRatioLines, variantTargets, variantsTable } from './lib/variants-report.mjs';

const USAGE = `usage: node bench/run.mjs [options]
  --quick            one round, short windows, 300 held sessions: a smoke run, figures indicative only
  --only LIST        comma list of servers: tfo,sdk,fastmcp,sdk2 (default: all four; sdk2, the bare SDK v2
                     handler, runs only the http 2026-07-28 stateless suite, which tfo also runs)
  --rounds N         rounds (default 3; medians need at least 3)
  --soak SECONDS     also run a soak (16 HTTP sessions under load, RSS sampled) for each server; default off
  --held N           sessions opened in the sessions-held test (default 1000)
  --sdk-json         run the bare-SDK HTTP baseline with enableJsonResponse (default: the SDK default, SSE answers)
  --no-features      leave out the features suite (tfo-mcp off, with an API key, with a JWT, with metrics on)
  --out DIR          where the JSON results go (default bench/results)
  --help`;

const ALL = ['tfo', 'sdk', 'fastmcp', 'sdk2'];
/** The servers of the stdio, http, held and soak suites (sdk2 serves only the 2026-07-28 path). */
const CLASSIC = ['tfo', 'sdk', 'fastmcp'];
const LEVELS = [1, 16, 64];
const STATELESS_LEVELS = [16, 64];

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
        'no-features': { type: 'boolean', default: false },
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
    held: int(parsed.held, '--held', quick ? 300 : 1000, 10, 10_000),
    sdkJson: parsed['sdk-json'],
    // The features suite runs with tfo-mcp (16 sessions, as the http suite's middle row): one server
    // per variant, warmed up, then alternating measured windows (bench/lib/variants.mjs).
    features: servers.includes('tfo') && !parsed['no-features'],
    variantLevel: 16,
    variantWarmupMs: quick ? 1000 : 3000,
    variantWindowMs: quick ? 500 : 1000,
    variantPasses: quick ? 2 : 4,
    out: parsed.out ?? join(BENCH_DIR, 'results'),
    // Phase lengths (ms). Every phase also stops at maxCalls.
    warmupMs: quick ? 200 : 1000,
    phaseMs: quick ? 500 : 2000,
    httpWarmupMs: quick ? 150 : 500,
    settleMs: quick ? 100 : 300,
    extraColdStarts: quick ? 0 : 2,
    window: 64,
    levels: LEVELS,
    statelessLevels: STATELESS_LEVELS,
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

/** Rotates the server order each round: A/B/C, B/C/A, C/A/B… */
const rotate = (list, by) => list.map((_, i) => list[(i + by) % list.length]);

const classicOf = (servers) => servers.filter((s) => CLASSIC.includes(s));
const statelessOf = (servers) => servers.filter((s) => SERVERS[s].stateless);

/**
 * Ends the run from outside: a watchdog (an estimate of the whole run, doubled) and Ctrl-C. The
 * 2026-07-28 suite takes about 3 s (quick) or 7 s per server and round; it gets 20 or 40 s.
 */
function guard(opts) {
  const classic = classicOf(opts.servers).length;
  const budgetMs =
    (opts.quick ? 90_000 : 180_000) * classic * Math.max(1, opts.rounds / 3) +
    opts.soakSeconds * 1500 * classic +
    (opts.quick ? 20_000 : 40_000) * statelessOf(opts.servers).length * opts.rounds +
    (opts.features ? (opts.quick ? 40_000 : 100_000) * opts.rounds : 0);
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
  return watchdog;
}

/** Runs one suite, logs it, and records a failure instead of throwing. */
function attempter(opts, labels, failures) {
  return async (round, server, suite, fn) => {
    const t0 = performance.now();
    const where = `  round ${round + 1}/${opts.rounds}  ${labels[server].padEnd(8)} ${suite.padEnd(6)}`;
    try {
      const result = await fn();
      log(`${where} ok  (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
      return result;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      failures.push({ round: round + 1, server, suite, message });
      log(`${where} FAILED: ${message}`);
      return undefined;
    }
  };
}

/**
 * One round: each suite runs for every server before the next suite, in this round's order. The
 * stdio/http/held suites rotate over tfo/sdk/fastmcp exactly as before sdk2 existed; the 2026-07-28
 * stateless suite comes last and rotates over its own servers (tfo, sdk2).
 */
async function runRound(opts, r, attempt, authFixture) {
  const order = rotate(classicOf(opts.servers), r);
  const round = Object.fromEntries([
    ...order.map((s) => [s, { coldStarts: [] }]),
    ...opts.servers.filter((s) => !CLASSIC.includes(s)).map((s) => [s, {}]),
  ]);
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
  for (const server of order) round[server].held = await attempt(r, server, 'held', () => heldSuite(server, opts));
  for (const server of rotate(statelessOf(opts.servers), r)) {
    round[server].stateless = await attempt(r, server, 'h2026', () => statelessSuite(server, opts));
  }
  if (authFixture && round.tfo) {
    round.tfo.variants = await attempt(r, 'tfo', 'features', () => variantsSuite(rotate(VARIANTS, r), opts, authFixture, log));
  }
  return round;
}

function render({ opts, labels, rounds, soak, metrics, statelessMetrics, notes, targets, failures, summary }) {
  const classic = classicOf(opts.servers);
  const answers = classic.map((s) => `${labels[s]} ${rounds.map((r) => r[s]?.http?.answers).find(Boolean) ?? '?'}`);
  const out = [
    '',
    `tfo-mcp benchmark — ${new Date().toISOString()} — node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? '?'}`,
    `${opts.rounds} round(s), servers interleaved per round${opts.quick ? ' (quick: short windows, figures indicative only)' : ''}${classic.length > 0 ? `; http answers: ${answers.join(', ')}` : ''}`,
    '',
  ];
  if (classic.length > 0) out.push(table(rounds, classic, metrics, labels));
  const stateless = statelessOf(opts.servers);
  if (stateless.length > 0) {
    const answered = stateless.map((s) => `${labels[s]} ${rounds.map((r) => r[s]?.stateless?.answers).find(Boolean) ?? '-'}`);
    out.push(
      '',
      `[http 2026-07-28 stateless: ${opts.statelessLevels.join('/')} concurrent clients, one call in flight each, no initialize, no session; answers: ${answered.join(', ')}]`,
      table(rounds, stateless, statelessMetrics, labels),
      ...notes,
    );
  }
  if (opts.features) out.push('', variantsTable(rounds, opts.variantLevel));
  if (opts.soakSeconds > 0 && classic.length > 0) out.push('', ...soakLines(soak, classic, labels, opts.soakSeconds));
  if (targets.length > 0) out.push('', ...targetLines(targets));
  if (failures.length > 0) {
    out.push('', `[failures: ${failures.length}]`);
    for (const f of failures) out.push(`  round ${f.round} ${labels[f.server]} ${f.suite}: ${f.message.split('\n')[0]}`);
  }
  out.push('', ...summary);
  return `${out.join('\n')}\n`;
}

async function main() {
  const opts = options();
  const started = performance.now();
  const watchdog = guard(opts);
  for (const server of opts.servers) {
    const problem = SERVERS[server].check();
    if (problem) {
      log(`bench: ${SERVERS[server].label}: ${problem}`);
      process.exit(1);
    }
  }
  const labels = Object.fromEntries(ALL.map((s) => [s, SERVERS[s].label]));
  const failures = [];
  const attempt = attempter(opts, labels, failures);
  log(`bench: ${opts.servers.map((s) => labels[s]).join(', ')}; ${opts.rounds} round(s)${opts.quick ? ' (quick)' : ''}; ${cpus().length} cores; CLK_TCK ${CLK_TCK}`);
  const rounds = [];
  const authFixture = opts.features ? await startAuthFixture() : undefined;
  try {
    for (let r = 0; r < opts.rounds; r++) rounds.push(await runRound(opts, r, attempt, authFixture));
  } finally {
    await authFixture?.stop();
  }
  const soak = {};
  for (const server of opts.soakSeconds > 0 ? classicOf(opts.servers) : []) {
    soak[server] = await attempt(0, server, 'soak', () => soakSuite(server, opts, opts.soakSeconds, log));
  }

  const metrics = metricsFor(opts.levels);
  const statelessMetrics = statelessMetricsFor(opts.statelessLevels);
  const targets = [...targetsFor({ rounds, soak, servers: opts.servers, metrics }), ...(opts.features ? variantTargets(rounds, opts.variantLevel) : [])];
  const summary = [
    ...(opts.features ? variantRatioLines(rounds, opts.variantLevel) : []),
    ...ratioLines(rounds, opts.servers, metrics),
    ...statelessRatioLines(rounds, opts.servers, statelessMetrics),
  ];
  const notes = statelessNotes(rounds, statelessOf(opts.servers));
  mkdirSync(opts.out, { recursive: true });
  const file = join(opts.out, `${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  const seconds = (performance.now() - started) / 1000;
  writeFileSync(file, resultsDocument({ opts, seconds, rounds, soak, metrics: [...metrics, ...statelessMetrics], targets, failures, summary, notes }));
  log(`bench: figures of every run in ${file} (${seconds.toFixed(0)} s)`);
  process.stdout.write(render({ opts, labels, rounds, soak, metrics, statelessMetrics, notes, targets, failures, summary }));
  clearTimeout(watchdog);
  process.exitCode = failures.length > 0 ? 1 : 0;
}

main().catch((error) => {
  log(`bench: ${error instanceof Error ? error.stack : String(error)}`);
  killAllStarted();
  process.exit(1);
});
