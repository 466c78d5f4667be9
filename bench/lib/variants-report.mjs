import { fmt, medianOf, ratioOf } from './report.mjs';

/**
 * The tfo-mcp variants suite's table, targets and ratio lines (bench/lib/variants.mjs). Its rounds are
 * per variant (`{ none, apikey, jwt, metrics }` per round, from `round.tfo.variants`), so figures are
 * medians of rounds and ratios medians of within-round ratios against `none`, as everywhere else in
 * the harness.
 */
const LABELS = { none: 'off', apikey: 'API key', jwt: 'JWT', metrics: 'metrics', traces: 'traces' };
const COMPARED = ['apikey', 'jwt', 'metrics', 'traces'];

export const VARIANT_METRICS = [
  { key: 'variant.throughput', label: 'throughput', unit: 'calls/s', better: 'higher', digits: 0, get: (r) => r.throughput },
  { key: 'variant.p50', label: 'p50', unit: 'ms', better: 'lower', digits: 3, get: (r) => r.p50 },
  { key: 'variant.p99', label: 'p99', unit: 'ms', better: 'lower', digits: 3, get: (r) => r.p99 },
  { key: 'variant.cpu', label: 'server CPU per call', unit: 'µs', better: 'lower', digits: 1, get: (r) => r.cpuUsPerCall },
];

/** Issue 14's budget for the JWT path: at most +15 % CPU per call over the unauthenticated one. */
export const JWT_CPU_BUDGET = 1.15;
/** Issue 15's budget for metrics: at most +10 % CPU per call over telemetry off. */
export const METRICS_CPU_BUDGET = 1.1;

export function variantRounds(rounds) {
  return rounds.map((round) => round.tfo?.variants ?? {});
}

const metric = (key) => VARIANT_METRICS.find((m) => m.key === key);

export function variantsTable(rounds, level) {
  const per = variantRounds(rounds);
  const variants = ['none', ...COMPARED].filter((v) => per.some((r) => r[v]));
  const compared = variants.filter((v) => v !== 'none');
  const header = ['figure (median of rounds)', 'unit', ...variants.map((v) => LABELS[v]), ...compared.map((v) => `${LABELS[v]}/off`)];
  const rows = [header];
  for (const m of VARIANT_METRICS) {
    rows.push([`  ${level} sessions: ${m.label}`, m.unit, ...variants.map((v) => fmt(medianOf(per, v, m), m.digits)), ...compared.map((v) => fmt(ratioOf(per, v, 'none', m)))]);
  }
  const widths = header.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return [
    `[http features (tfo-mcp): ${level} sessions, one call in flight each, one server per variant, measured in alternating windows. off: no auth, no telemetry; API key / JWT: every request carries Authorization: Bearer, each credential verified once, then from the verdict cache; metrics: telemetry.metrics.enabled, /metrics scraped once per window; traces: telemetry.otlp, 100 % sampled, exported to a sink]`,
    ...rows.map((r) => r.map((cell, i) => (i < 2 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ')),
  ].join('\n');
}

function budgetTarget(per, variant, budget, name) {
  const ratio = ratioOf(per, variant, 'none', metric('variant.cpu'));
  return { name, value: ratio, met: Number.isFinite(ratio) ? ratio <= budget : undefined, shown: `${fmt(ratio)}× (${ratio >= 1 ? '+' : ''}${fmt((ratio - 1) * 100, 1)} %)` };
}

/** For the targets block (reported, not asserted, like the others). */
export function variantTargets(rounds, level) {
  const per = variantRounds(rounds);
  const budgets = [
    ['jwt', JWT_CPU_BUDGET, `http JWT CPU per call @${level} ≤ ${JWT_CPU_BUDGET}× unauthenticated`],
    ['metrics', METRICS_CPU_BUDGET, `http CPU per call @${level} with metrics on ≤ ${METRICS_CPU_BUDGET}× off`],
  ];
  return budgets.filter(([variant]) => per.some((r) => r.none && r[variant])).map(([variant, budget, name]) => budgetTarget(per, variant, budget, name));
}

/** The closing lines, before the tfo/fastmcp and tfo/sdk ones. */
export function variantRatioLines(rounds, level) {
  const per = variantRounds(rounds);
  const r = (variant, key) => fmt(ratioOf(per, variant, 'none', metric(key)));
  const lines = [];
  if (per.some((x) => x.none && (x.apikey || x.jwt))) {
    lines.push(`ratio auth/none http@${level}: cpu/call api-key ${r('apikey', 'variant.cpu')} jwt ${r('jwt', 'variant.cpu')}, throughput api-key ${r('apikey', 'variant.throughput')} jwt ${r('jwt', 'variant.throughput')}, p99 api-key ${r('apikey', 'variant.p99')} jwt ${r('jwt', 'variant.p99')}`);
  }
  if (per.some((x) => x.none && (x.metrics || x.traces))) {
    lines.push(
      `ratio telemetry/none http@${level}: cpu/call metrics ${r('metrics', 'variant.cpu')} traces ${r('traces', 'variant.cpu')}, throughput metrics ${r('metrics', 'variant.throughput')} traces ${r('traces', 'variant.throughput')}, p99 metrics ${r('metrics', 'variant.p99')} traces ${r('traces', 'variant.p99')}`,
    );
  }
  return lines;
}
