import { median } from './stats.mjs';

const MB = 1024;

/**
 * Every figure the table shows: how to read it from one round's results of one server, its unit,
 * and which way is better. `get` returns undefined when that suite did not run or failed.
 */
export function metricsFor(levels) {
  const m = [];
  const add = (section, key, label, unit, better, get, digits = 1) => m.push({ section, key, label, unit, better, get, digits });
  add('stdio', 'stdio.coldStart', 'cold start (spawn → initialize answer)', 'ms', 'lower', (r) => r.coldStartMs, 0);
  add('stdio', 'stdio.rssIdle', 'RSS idle', 'MB', 'lower', (r) => r.stdio && r.stdio.rssIdleKb / MB);
  add('stdio', 'stdio.rssAfter', 'RSS after load', 'MB', 'lower', (r) => r.stdio && r.stdio.rssAfterKb / MB);
  for (const [phase, name] of [['serial', '1 in flight'], ['pipelined', '64 in flight']]) {
    add('stdio', `stdio.${phase}.throughput`, `${name}: throughput`, 'calls/s', 'higher', (r) => r.stdio?.[phase].throughput, 0);
    add('stdio', `stdio.${phase}.p50`, `${name}: p50`, 'ms', 'lower', (r) => r.stdio?.[phase].p50, 3);
    add('stdio', `stdio.${phase}.p99`, `${name}: p99`, 'ms', 'lower', (r) => r.stdio?.[phase].p99, 3);
    add('stdio', `stdio.${phase}.cpu`, `${name}: server CPU per call`, 'µs', 'lower', (r) => r.stdio?.[phase].cpuUsPerCall, 1);
  }
  add('http', 'http.rssIdle', 'RSS idle', 'MB', 'lower', (r) => r.http && r.http.rssIdleKb / MB);
  add('http', 'http.rssAfter', 'RSS after load', 'MB', 'lower', (r) => r.http && r.http.rssAfterKb / MB);
  for (const level of levels) {
    const name = `${level} session${level === 1 ? '' : 's'}`;
    add('http', `http.${level}.throughput`, `${name}: throughput`, 'calls/s', 'higher', (r) => r.http?.levels[level]?.throughput, 0);
    add('http', `http.${level}.p50`, `${name}: p50`, 'ms', 'lower', (r) => r.http?.levels[level]?.p50, 3);
    add('http', `http.${level}.p99`, `${name}: p99`, 'ms', 'lower', (r) => r.http?.levels[level]?.p99, 3);
    add('http', `http.${level}.cpu`, `${name}: server CPU per call`, 'µs', 'lower', (r) => r.http?.levels[level]?.cpuUsPerCall, 1);
  }
  add('held', 'held.openMs', 'time to open the held sessions', 'ms', 'lower', (r) => r.held?.openMs, 0);
  add('held', 'held.kbPerSession', 'RSS per held session', 'KB', 'lower', (r) => r.held?.kbPerSession, 1);
  add('held', 'held.rssAfter', 'RSS with the sessions held', 'MB', 'lower', (r) => r.held && r.held.rssAfterKb / MB);
  return m;
}

/** The `http 2026-07-28 stateless` suite's figures (tfo-mcp and the bare SDK v2 handler only). */
export function statelessMetricsFor(levels) {
  const m = [];
  const add = (key, label, unit, better, get, digits = 1) => m.push({ section: 'http 2026-07-28 stateless', key, label, unit, better, get, digits });
  add('http2026.rssIdle', 'RSS idle', 'MB', 'lower', (r) => r.stateless?.served && r.stateless.rssIdleKb / MB);
  add('http2026.rssAfter', 'RSS after load', 'MB', 'lower', (r) => r.stateless?.served && r.stateless.rssAfterKb / MB);
  for (const level of levels) {
    const name = `${level} clients`;
    add(`http2026.${level}.throughput`, `${name}: throughput`, 'calls/s', 'higher', (r) => r.stateless?.levels?.[level]?.throughput, 0);
    add(`http2026.${level}.p50`, `${name}: p50`, 'ms', 'lower', (r) => r.stateless?.levels?.[level]?.p50, 3);
    add(`http2026.${level}.p99`, `${name}: p99`, 'ms', 'lower', (r) => r.stateless?.levels?.[level]?.p99, 3);
    add(`http2026.${level}.cpu`, `${name}: server CPU per call`, 'µs', 'lower', (r) => r.stateless?.levels?.[level]?.cpuUsPerCall, 1);
  }
  return m;
}

const finite = (v) => typeof v === 'number' && Number.isFinite(v);

/** Median over rounds of one metric for one server. */
export function medianOf(rounds, server, metric) {
  return median(rounds.map((round) => (round[server] ? metric.get(round[server]) : undefined)));
}

/** Median over rounds of the within-round ratio a/b (drift hits both sides of one round alike). */
export function ratioOf(rounds, a, b, metric) {
  return median(
    rounds.map((round) => {
      const x = round[a] && metric.get(round[a]);
      const y = round[b] && metric.get(round[b]);
      return finite(x) && finite(y) && y !== 0 ? x / y : undefined;
    }),
  );
}

/** Median over rounds of the within-round difference a − b. */
export function differenceOf(rounds, a, b, metric) {
  return median(
    rounds.map((round) => {
      const x = round[a] && metric.get(round[a]);
      const y = round[b] && metric.get(round[b]);
      return finite(x) && finite(y) ? x - y : undefined;
    }),
  );
}

export const fmt = (value, digits = 2) => (finite(value) ? value.toFixed(digits) : 'n/a');

/** The figures table: one row per metric, medians per server, then within-round ratios against tfo. */
export function table(rounds, servers, metrics, labels) {
  const others = servers.filter((s) => s !== 'tfo');
  const ratioCols = servers.includes('tfo') ? others.map((s) => `tfo/${s}`) : [];
  const header = ['figure (median of rounds)', 'unit', ...servers.map((s) => labels[s]), ...ratioCols];
  const rows = [header];
  let section;
  for (const metric of metrics) {
    const values = servers.map((s) => medianOf(rounds, s, metric));
    if (values.every((v) => !finite(v))) continue;
    if (metric.section !== section) {
      section = metric.section;
      rows.push([`[${section}]`]);
    }
    const ratios = ratioCols.length > 0 ? others.map((s) => fmt(ratioOf(rounds, 'tfo', s, metric), 2)) : [];
    rows.push([`  ${metric.label}`, metric.unit, ...values.map((v) => fmt(v, metric.digits)), ...ratios]);
  }
  const widths = header.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map((r) => (r.length === 1 ? r[0] : r.map((cell, i) => (i < 2 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ')))
    .join('\n');
}

/** Which figures tfo does not beat a rival on (median of within-round ratios). */
export function notBetter(rounds, rival, metrics) {
  const misses = [];
  for (const metric of metrics) {
    const ratio = ratioOf(rounds, 'tfo', rival, metric);
    if (!finite(ratio)) continue;
    const better = metric.better === 'lower' ? ratio < 1 : ratio > 1;
    if (!better) misses.push(`${metric.section} ${metric.label.trim()} (${fmt(ratio)}×)`);
  }
  return misses;
}
