import { readFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { CLK_TCK } from './proc.mjs';
import { differenceOf, fmt, medianOf, notBetter, ratioOf } from './report.mjs';
import { BENCH_DIR, REPO_DIR } from './servers.mjs';

const keyed = (metrics) => Object.fromEntries(metrics.map((m) => [m.key, m]));

/** One line per server: RSS at the start of the steady part and at the end, growth and slope. */
export function soakLines(soak, servers, labels, seconds) {
  const lines = [`[soak: 16 sessions under load for ${seconds} s; growth from ${Math.round(seconds / 5)} s to the end, each end the median of a fifth of the samples]`];
  for (const server of servers) {
    const s = soak[server];
    lines.push(
      s
        ? `  ${labels[server].padEnd(8)} RSS ${fmt(s.rssStartKb / 1024, 1)} → ${fmt(s.rssEndKb / 1024, 1)} MB (max ${fmt(s.rssMaxKb / 1024, 1)}), growth ${fmt(s.growthPct, 1)} %, slope ${fmt(s.slopeKbPerMin, 0)} KB/min, ${s.calls} calls, ${fmt(s.cpuUsPerCall, 1)} µs CPU/call`
        : `  ${labels[server].padEnd(8)} failed`,
    );
  }
  return lines;
}

/** The targets, each with its value and whether it is met (undefined: not measurable). */
export function targetsFor({ rounds, soak, servers, metrics }) {
  const byKey = keyed(metrics);
  const has = (s) => servers.includes(s);
  const ratio = (key) => ratioOf(rounds, 'tfo', 'sdk', byKey[key]);
  const targets = [];
  const target = (name, value, ok, shown) => targets.push({ name, value, met: Number.isFinite(value) ? ok(value) : undefined, shown });
  const times = (key) => `${fmt(ratio(key))}×`;
  if (has('tfo') && has('sdk')) {
    target('stdio CPU per call (64 in flight) ≤ 1.3× SDK', ratio('stdio.pipelined.cpu'), (v) => v <= 1.3, times('stdio.pipelined.cpu'));
    target('stdio throughput (64 in flight) ≥ 0.8× SDK', ratio('stdio.pipelined.throughput'), (v) => v >= 0.8, times('stdio.pipelined.throughput'));
    const cold = differenceOf(rounds, 'tfo', 'sdk', byKey['stdio.coldStart']);
    target('stdio cold start ≤ SDK + 150 ms', cold, (v) => v <= 150, `${cold >= 0 ? '+' : ''}${fmt(cold, 0)} ms`);
    for (const level of [16, 64]) target(`http throughput @${level} ≥ 2× SDK`, ratio(`http.${level}.throughput`), (v) => v >= 2, times(`http.${level}.throughput`));
    target('http CPU per call @16 ≤ 0.5× SDK', ratio('http.16.cpu'), (v) => v <= 0.5, times('http.16.cpu'));
    target('http p99 @16 ≤ SDK', ratio('http.16.p99'), (v) => v <= 1, times('http.16.p99'));
  }
  if (has('tfo')) {
    const kb = medianOf(rounds, 'tfo', byKey['held.kbPerSession']);
    target('http RSS per held session ≤ 100 KB', kb, (v) => v <= 100, `${fmt(kb, 1)} KB`);
    const s = soak.tfo;
    if (s) target('http RSS flat over the soak (growth ≤ 5 %)', s.growthPct, (v) => v <= 5, `${fmt(s.growthPct, 1)} %, ${fmt(s.slopeKbPerMin, 0)} KB/min`);
  }
  if (has('tfo') && has('fastmcp')) {
    const misses = notBetter(rounds, 'fastmcp', metrics);
    target('better than fastmcp on every figure', misses.length, (v) => v === 0, misses.length === 0 ? 'all' : `not on: ${misses.join('; ')}`);
  }
  return targets;
}

export function targetLines(targets) {
  return ['[targets: reported, not asserted]', ...targets.map((t) => `  ${t.met === undefined ? 'n/a   ' : t.met ? 'met   ' : 'MISSED'}  ${t.name}: ${t.shown}`)];
}

/** The closing summary: tfo/fastmcp first when it ran, and tfo/sdk last. */
export function ratioLines(rounds, servers, metrics) {
  const has = (s) => servers.includes(s);
  const lines = [];
  if (has('tfo') && has('fastmcp')) lines.push(...ratioPair(rounds, 'fastmcp', keyed(metrics)));
  if (has('tfo') && has('sdk')) lines.push(...ratioPair(rounds, 'sdk', keyed(metrics)));
  else lines.push('ratio tfo/sdk stdio: n/a (needs --only tfo,sdk)', 'ratio tfo/sdk http: n/a (needs --only tfo,sdk)');
  return lines;
}

/**
 * The 2026-07-28 line, after the two tfo/sdk lines: only when tfo-mcp and the bare SDK v2 handler
 * both have figures (tfo-mcp may not serve the revision yet; see `statelessNotes`).
 */
export function statelessRatioLines(rounds, servers, statelessMetrics) {
  if (!servers.includes('tfo') || !servers.includes('sdk2')) return [];
  const byKey = keyed(statelessMetrics);
  const figures = (s) => Number.isFinite(medianOf(rounds, s, byKey['http2026.16.throughput']));
  if (!figures('tfo') || !figures('sdk2')) return [];
  const r = (key) => fmt(ratioOf(rounds, 'tfo', 'sdk2', byKey[key]));
  return [
    `ratio tfo/sdk2 http-2026: cpu/call@16 ${r('http2026.16.cpu')}, throughput@16/64 ${r('http2026.16.throughput')}/${r('http2026.64.throughput')}, p99@16 ${r('http2026.16.p99')}`,
  ];
}

/** One line per server whose first 2026-07-28 call was answered as "not served", instead of its figures. */
export function statelessNotes(rounds, servers) {
  const notes = [];
  for (const server of servers) {
    const misses = rounds.map((round) => round[server]?.stateless).filter((s) => s && s.served === false);
    if (misses.length === 0) continue;
    const of = rounds.length > 1 ? ` in ${misses.length} of ${rounds.length} rounds` : '';
    notes.push(`${server}: 2026-07-28 not served${of} (${misses[0].firstAnswer})`);
  }
  return notes;
}

function ratioPair(rounds, rival, byKey) {
  const r = (key) => fmt(ratioOf(rounds, 'tfo', rival, byKey[key]));
  const cold = differenceOf(rounds, 'tfo', rival, byKey['stdio.coldStart']);
  const kb = medianOf(rounds, 'tfo', byKey['held.kbPerSession']);
  const coldText = Number.isFinite(cold) ? `${cold >= 0 ? '+' : '-'}${Math.abs(Math.round(cold))}` : 'n/a';
  return [
    `ratio tfo/${rival} stdio: cpu/call ${r('stdio.pipelined.cpu')}, throughput ${r('stdio.pipelined.throughput')}, p99 ${r('stdio.serial.p99')}, cold-start ${coldText} ms, rss ${r('stdio.rssAfter')}`,
    `ratio tfo/${rival} http: cpu/call@16 ${r('http.16.cpu')}, throughput@1/16/64 ${r('http.1.throughput')}/${r('http.16.throughput')}/${r('http.64.throughput')}, p99@16 ${r('http.16.p99')}, kb/session ${Number.isFinite(kb) ? Math.round(kb) : 'n/a'}`,
  ];
}

function versionOf(path) {
  try {
    return JSON.parse(readFileSync(path, 'utf8')).version;
  } catch {
    return undefined;
  }
}

/** Everything one invocation measured, for bench/results/<timestamp>.json. */
export function resultsDocument({ opts, seconds, rounds, soak, metrics, targets, failures, summary, notes = [] }) {
  const servers = opts.servers;
  const medians = Object.fromEntries(servers.map((s) => [s, Object.fromEntries(metrics.map((m) => [m.key, medianOf(rounds, s, m)]))]));
  const rivals = servers.includes('tfo') ? servers.filter((s) => s !== 'tfo') : [];
  const ratios = Object.fromEntries(rivals.map((s) => [s, Object.fromEntries(metrics.map((m) => [m.key, ratioOf(rounds, 'tfo', s, m)]))]));
  const document = {
    meta: {
      date: new Date().toISOString(),
      seconds,
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
        sdk2InTfo: versionOf(join(REPO_DIR, 'node_modules/@modelcontextprotocol/server/package.json')),
        sdkBaseline: versionOf(join(BENCH_DIR, 'node_modules/@modelcontextprotocol/sdk/package.json')),
        fastmcp: versionOf(join(BENCH_DIR, 'node_modules/fastmcp/package.json')),
        sdk2Baseline: versionOf(join(BENCH_DIR, 'node_modules/@modelcontextprotocol/server/package.json')),
        sdk2NodeAdapter: versionOf(join(BENCH_DIR, 'node_modules/@modelcontextprotocol/node/package.json')),
      },
    },
    options: opts,
    rounds,
    soak,
    medians,
    ratios,
    targets,
    failures,
    // e.g. "tfo: 2026-07-28 not served (HTTP 400: …)": the http 2026-07-28 stateless rows without figures.
    notes,
    summary,
  };
  // NaN/Infinity (a figure that could not be measured) become null rather than invalid JSON.
  return `${JSON.stringify(document, (_key, value) => (typeof value === 'number' && !Number.isFinite(value) ? null : value), 2)}\n`;
}
