import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createMetrics, type MetricsSetup } from '../../../../src/infrastructure/telemetry/metrics/create-metrics.js';
import { PrometheusMetrics } from '../../../../src/infrastructure/telemetry/metrics/prometheus-metrics.js';
import { RecordingLogger } from '../../../support/builders.js';
import { exerciseEveryFamily } from '../../../support/metrics-workload.js';
import { startPrometheus, type PrometheusServer } from '../../../support/prometheus-server.js';
import { waitFor } from '../../../support/test-app.js';
import { describeWithServices } from '../../../support/with-services.js';

/**
 * The exposition, the alert rules and the dashboard's queries checked by Prometheus' own tools
 * (promtool and a real server, from the Debian `prometheus` package that scripts/services.sh
 * installs with the other services).
 */
const root = fileURLToPath(new URL('../../../../', import.meta.url));
const alerts = path.join(root, 'deploy/prometheus/alerts.yml');

function promtool(args: readonly string[], input?: string) {
  const run = spawnSync('promtool', args, { input, encoding: 'utf8', timeout: 30_000 });
  if (run.error) throw run.error;
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

describeWithServices('promtool on the metrics, the alert rules and the dashboard', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'tfo-promtool-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('check metrics - passes on a scrape taken after a mixed workload through every family, process metrics included', async () => {
    const metrics = new PrometheusMetrics({ version: '1.0.0' }, new RecordingLogger());
    exerciseEveryFamily(metrics, 3);
    const scrape = await metrics.render();
    expect(scrape).toContain('tfo_mcp_tool_call_duration_seconds_bucket');
    expect(scrape).toContain('nodejs_eventloop_lag_p99_seconds');
    expect(promtool(['check', 'metrics'], scrape)).toEqual({ status: 0, output: '' });
  });

  it('check metrics - the check is real: a gauge named like a counter is refused', () => {
    const bad = '# HELP tfo_mcp_bad_total x\n# TYPE tfo_mcp_bad_total gauge\ntfo_mcp_bad_total 1\n';
    const result = promtool(['check', 'metrics'], bad);
    expect(result.status).not.toBe(0);
    expect(result.output).toContain('non-counter metrics should not have "_total" suffix');
  });

  it('check rules - deploy/prometheus/alerts.yml is valid', () => {
    const result = promtool(['check', 'rules', alerts]);
    expect(result.output).toContain('SUCCESS: 7 rules found');
    expect(result.status).toBe(0);
  });

  it('check config - deploy/prometheus/prometheus.yml (the replicas’ scrape config) is valid and loads the alert rules', () => {
    const result = promtool(['check', 'config', path.join(root, 'deploy/prometheus/prometheus.yml')]);
    expect(result.output).toContain('SUCCESS: 1 rule files found');
    expect(result.status).toBe(0);
  });

  it('test rules - the alerts fire when they should and stay quiet when they should not (alerts.test.yml)', () => {
    const result = promtool(['test', 'rules', path.join(root, 'deploy/prometheus/alerts.test.yml')]);
    expect(result.output).toContain('SUCCESS');
    expect(result.status).toBe(0);
  });

  it('every dashboard query is valid PromQL (checked as recording rules, Grafana variables filled in)', () => {
    const dashboard = JSON.parse(readFileSync(path.join(root, 'deploy/grafana/tfo-mcp-dashboard.json'), 'utf8')) as { panels: { targets?: { expr: string }[] }[] };
    const exprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
    const fill = (expr: string) => expr.replaceAll('$__rate_interval', '2m').replaceAll('$job', 'tfo-mcp').replaceAll('$instance', '.*');
    const asRules = (list: readonly string[]) => JSON.stringify({ groups: [{ name: 'dashboard', rules: list.map((expr, i) => ({ record: `dashboard:query_${i}`, expr: fill(expr) })) }] });
    const file = path.join(dir, 'dashboard-rules.yml');
    writeFileSync(file, asRules(exprs));
    expect(exprs.length).toBeGreaterThanOrEqual(20);
    expect(promtool(['check', 'rules', file])).toMatchObject({ status: 0 });

    writeFileSync(file, asRules([...exprs, 'sum(rate(tfo_mcp_requests_total[5m])']));
    expect(promtool(['check', 'rules', file]).status).not.toBe(0);
  });
});

describeWithServices('a real Prometheus scraping two replicas on their metrics ports', () => {
  const replicas: MetricsSetup[] = [];
  let prometheus: PrometheusServer | undefined;

  afterAll(async () => {
    await prometheus?.close();
    await Promise.all(replicas.map((replica) => replica.close()));
  });

  /** Polls a query until `check` holds; the failure message carries the last answer and Prometheus' log. */
  async function eventually(expr: string, check: (result: Awaited<ReturnType<PrometheusServer['query']>>) => boolean, what: string): Promise<void> {
    let last: unknown;
    try {
      await waitFor(
        async () => {
          const result = await prometheus!.query(expr);
          last = result;
          return check(result);
        },
        what,
        20_000,
      );
    } catch (error) {
      throw new Error(`${what}: last answer to ${expr}: ${JSON.stringify(last)}\n${prometheus!.log().slice(-2000)}`, { cause: error });
    }
  }

  it('counts each replica’s tool calls, sees both up, then one down with its alert pending', async () => {
    for (let i = 0; i < 2; i += 1) {
      const replica = createMetrics({ enabled: true, port: 0, host: '127.0.0.1', path: '/metrics' }, '1.0.0', new RecordingLogger());
      await replica.start();
      replicas.push(replica);
    }
    const [a, b] = replicas;
    const workA = exerciseEveryFamily(a.metrics, 3);
    const workB = exerciseEveryFamily(b.metrics, 5);
    prometheus = await startPrometheus({ targets: replicas.map((r) => `127.0.0.1:${r.listener!.port}`), ruleFiles: [alerts] });
    const instanceB = `127.0.0.1:${b.listener!.port}`;

    await eventually('sum(tfo_mcp_tool_calls_total{job="tfo-mcp"})', (r) => r[0]?.value === workA.toolCalls + workB.toolCalls, 'tool calls of both replicas summed');
    const byReplica = await prometheus.query('sum by (instance) (tfo_mcp_requests_total{job="tfo-mcp"})');
    expect(Object.fromEntries(byReplica.map((r) => [r.metric.instance, r.value]))).toEqual({
      [`127.0.0.1:${a.listener!.port}`]: workA.requests,
      [instanceB]: workB.requests,
    });
    const ups = await prometheus.query('up{job="tfo-mcp"}');
    expect(ups.map((r) => r.value)).toEqual([1, 1]);
    const p95 = await prometheus.query('histogram_quantile(0.95, sum by (tool, le) (tfo_mcp_tool_call_duration_seconds_bucket{job="tfo-mcp"}))');
    expect(p95.map((r) => r.metric.tool).sort()).toEqual(['execute_command', 'read_file', 'search_files']);

    await b.close();
    await eventually(`up{instance="${instanceB}"}`, (r) => r[0]?.value === 0, 'the stopped replica scraped as down');
    await eventually('ALERTS{alertname="TfoMcpReplicaDown"}', (r) => r.some((x) => x.metric.instance === instanceB && x.metric.alertstate === 'pending'), 'TfoMcpReplicaDown pending for the stopped replica');
    const stillUp = await prometheus.query('sum(up{job="tfo-mcp"})');
    expect(stillUp[0].value).toBe(1);
  }, 60_000);
});
