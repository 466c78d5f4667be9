import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { PrometheusMetrics } from '../../../src/infrastructure/telemetry/metrics/prometheus-metrics.js';
import { RecordingLogger } from '../../support/builders.js';
import { exerciseEveryFamily } from '../../support/metrics-workload.js';
import { familiesOf, parseExposition } from '../../support/prometheus-text.js';

/**
 * The dashboard and the alert rules query metric names as strings: these tests hold them to what
 * the server exports, so renaming a family without updating them fails here. (PromQL syntax is
 * checked with promtool in test/integration/telemetry/metrics/prometheus-tools.test.ts.)
 */
const root = new URL('../../../', import.meta.url);
const dashboard = JSON.parse(readFileSync(new URL('deploy/grafana/tfo-mcp-dashboard.json', root), 'utf8')) as Dashboard;
const rules = parse(readFileSync(new URL('deploy/prometheus/alerts.yml', root), 'utf8')) as { groups: { rules: { alert: string; expr: string }[] }[] };

interface Panel {
  readonly id: number;
  readonly type: string;
  readonly title: string;
  readonly datasource?: { readonly uid: string };
  readonly targets?: readonly { readonly expr: string }[];
}
interface Dashboard {
  readonly uid: string;
  readonly panels: readonly Panel[];
  readonly templating: { readonly list: readonly { readonly name: string }[] };
}

/** Every sample name a fully exercised server exports, plus what Prometheus adds itself. */
async function exportedNames(): Promise<Set<string>> {
  const metrics = new PrometheusMetrics({ version: 'test' }, new RecordingLogger());
  exerciseEveryFamily(metrics);
  return new Set([...parseExposition(await metrics.render()).map((s) => s.name), 'up']);
}

const METRIC_NAME = /\b(tfo_mcp_[a-z0-9_]+|process_[a-z0-9_]+|nodejs_[a-z0-9_]+|up)\b(?=\s*[{[)]|\s*$|\s*[/*+\-><=]|\s+(?:and|or|unless|by|without)\b)/g;
const namesIn = (expr: string): string[] => [...expr.matchAll(METRIC_NAME)].map((m) => m[1]);

const queries = dashboard.panels.flatMap((panel) => (panel.targets ?? []).map((target) => ({ panel: panel.title, expr: target.expr })));

describe('Grafana dashboard (deploy/grafana/tfo-mcp-dashboard.json)', () => {
  it('has the panels the issue asks for: request rate, error ratio, p95 per tool, outbox lag, executor saturation', () => {
    const titles = dashboard.panels.map((p) => p.title);
    for (const title of ['Request rate by method', 'Error ratio', 'Tool latency p95 by tool', 'Outbox lag and backlog', 'Executor saturation by replica']) expect(titles).toContain(title);
    const p95 = queries.find((q) => q.panel === 'Tool latency p95 by tool')!.expr;
    expect(p95).toMatch(/^histogram_quantile\(0\.95, sum by \(tool, le\) \(rate\(tfo_mcp_tool_call_duration_seconds_bucket\{/);
  });

  it.each(queries.map((q) => [q.panel, q.expr]))('%s - queries only metrics the server exports (%s)', async (_, expr) => {
    const exported = await exportedNames();
    const names = namesIn(expr);
    expect(names.length).toBeGreaterThan(0);
    expect(names.filter((name) => !exported.has(name))).toEqual([]);
  });

  it('panel ids are unique and every query panel uses the dashboard’s data source variable', () => {
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const panel of dashboard.panels.filter((p) => p.type !== 'row')) expect(panel.datasource?.uid).toBe('${datasource}');
    expect(dashboard.templating.list.map((v) => v.name)).toEqual(['datasource', 'job', 'instance']);
  });
});

describe('alert rules (deploy/prometheus/alerts.yml)', () => {
  const alerts = rules.groups.flatMap((group) => group.rules);

  it('cover outbox lag, the error ratio and a replica down', () => {
    expect(alerts.map((a) => a.alert)).toEqual(expect.arrayContaining(['TfoMcpOutboxLag', 'TfoMcpHighErrorRatio', 'TfoMcpReplicaDown']));
  });

  it.each(alerts.map((a) => [a.alert, a.expr]))('%s - queries only metrics the server exports', async (_, expr) => {
    const exported = await exportedNames();
    const names = namesIn(expr);
    expect(names.length).toBeGreaterThan(0);
    expect(names.filter((name) => !exported.has(name))).toEqual([]);
  });
});

describe('the exercised workload', () => {
  it('gives every tfo_mcp_ family samples, so the dashboard and promtool checks see them all', async () => {
    const metrics = new PrometheusMetrics({ version: 'test' }, new RecordingLogger());
    exerciseEveryFamily(metrics);
    const text = await metrics.render();
    const sampled = new Set(parseExposition(text).map((s) => s.name.replace(/_(bucket|sum|count)$/, '')));
    const families = [...familiesOf(text).keys()].filter((name) => name.startsWith('tfo_mcp_'));
    expect(families.length).toBeGreaterThanOrEqual(25);
    expect(families.filter((family) => !sampled.has(family))).toEqual([]);
  });
});
