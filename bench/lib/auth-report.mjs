import { fmt, medianOf, ratioOf } from './report.mjs';

/**
 * The authenticated HTTP suite's table, target and ratio line. Its rounds are per variant
 * (`{ none, apikey, jwt }` per round, from `round.tfo.auth`), so figures are medians of rounds and
 * ratios medians of within-round ratios against `none`, as everywhere else in the harness.
 */
const LABELS = { none: 'no auth', apikey: 'API key', jwt: 'JWT' };

export const AUTH_METRICS = [
  { key: 'auth.throughput', label: 'throughput', unit: 'calls/s', better: 'higher', digits: 0, get: (r) => r.throughput },
  { key: 'auth.p50', label: 'p50', unit: 'ms', better: 'lower', digits: 3, get: (r) => r.p50 },
  { key: 'auth.p99', label: 'p99', unit: 'ms', better: 'lower', digits: 3, get: (r) => r.p99 },
  { key: 'auth.cpu', label: 'server CPU per call', unit: 'µs', better: 'lower', digits: 1, get: (r) => r.cpuUsPerCall },
];

/** The budget for the JWT path: at most +15 % CPU per call over the unauthenticated one. */
export const JWT_CPU_BUDGET = 1.15;

export function authRounds(rounds) {
  return rounds.map((round) => round.tfo?.auth ?? {});
}

const cpu = AUTH_METRICS.find((m) => m.key === 'auth.cpu');

export function authTable(rounds, level) {
  const per = authRounds(rounds);
  const variants = ['none', 'apikey', 'jwt'];
  const header = ['figure (median of rounds)', 'unit', ...variants.map((v) => LABELS[v]), 'API key/none', 'JWT/none'];
  const rows = [header];
  for (const metric of AUTH_METRICS) {
    rows.push([
      `  ${level} sessions: ${metric.label}`,
      metric.unit,
      ...variants.map((v) => fmt(medianOf(per, v, metric), metric.digits)),
      fmt(ratioOf(per, 'apikey', 'none', metric)),
      fmt(ratioOf(per, 'jwt', 'none', metric)),
    ]);
  }
  const widths = header.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return [
    `[http authenticated (tfo-mcp): ${level} sessions, one call in flight each; every request carries Authorization: Bearer <API key | JWT>, each credential verified once, then from the verdict cache]`,
    ...rows.map((r) => r.map((cell, i) => (i < 2 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ')),
  ].join('\n');
}

/** For the targets block (reported, not asserted, like the others). */
export function authTargets(rounds, level) {
  const ratio = ratioOf(authRounds(rounds), 'jwt', 'none', cpu);
  return [
    {
      name: `http JWT CPU per call @${level} ≤ ${JWT_CPU_BUDGET}× unauthenticated`,
      value: ratio,
      met: Number.isFinite(ratio) ? ratio <= JWT_CPU_BUDGET : undefined,
      shown: `${fmt(ratio)}× (${fmt((ratio - 1) * 100, 1)} %)`,
    },
  ];
}

/** The closing line, after the tfo/sdk ones. */
export function authRatioLines(rounds, level) {
  const per = authRounds(rounds);
  if (!per.some((r) => r.none && (r.apikey || r.jwt))) return [];
  const r = (variant, key) => fmt(ratioOf(per, variant, 'none', AUTH_METRICS.find((m) => m.key === key)));
  return [
    `ratio auth/none http@${level}: cpu/call api-key ${r('apikey', 'auth.cpu')} jwt ${r('jwt', 'auth.cpu')}, throughput api-key ${r('apikey', 'auth.throughput')} jwt ${r('jwt', 'auth.throughput')}, p99 api-key ${r('apikey', 'auth.p99')} jwt ${r('jwt', 'auth.p99')}`,
  ];
}
