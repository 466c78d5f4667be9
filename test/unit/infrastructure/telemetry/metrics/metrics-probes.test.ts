import type { OutboxBacklog } from '../../../../../src/application/ports/metrics.js';
import { natsConnectionState, postgresPoolUsage } from '../../../../../src/infrastructure/telemetry/metrics/connection-probes.js';
import { PrometheusMetrics } from '../../../../../src/infrastructure/telemetry/metrics/prometheus-metrics.js';
import { RecordingLogger } from '../../../../support/builders.js';
import { parseExposition, samplesOf, valueOf, type Sample } from '../../../../support/prometheus-text.js';

function setup(probeTimeoutMs = 2_000) {
  const logger = new RecordingLogger();
  const metrics = new PrometheusMetrics({ version: 't', processMetrics: false, probeTimeoutMs }, logger);
  const scrape = async (): Promise<Sample[]> => parseExposition(await metrics.render());
  return { logger, metrics, scrape };
}

describe('metrics probes: values read at scrape time', () => {
  it('reports sessions by every lifecycle state, 0 for the states the probe leaves out', async () => {
    const { metrics, scrape } = setup();
    let ready = 3;
    metrics.observeSessions(() => ({ READY: ready, INITIALIZING: 1 }));
    let samples = await scrape();
    expect(Object.fromEntries(samplesOf(samples, 'tfo_mcp_sessions').map((s) => [s.labels.state, s.value]))).toEqual({
      CREATED: 0,
      INITIALIZING: 1,
      READY: 3,
      CLOSING: 0,
      CLOSED: 0,
    });
    ready = 7;
    samples = await scrape();
    expect(valueOf(samples, 'tfo_mcp_sessions', { state: 'READY' })).toBe(7);
  });

  it('reports tasks by every status from an asynchronous probe', async () => {
    const { metrics, scrape } = setup();
    metrics.observeTasks(async () => ({ working: 2, completed: 10 }));
    const samples = await scrape();
    expect(Object.fromEntries(samplesOf(samples, 'tfo_mcp_tasks').map((s) => [s.labels.status, s.value]))).toEqual({
      working: 2,
      input_required: 0,
      completed: 10,
      failed: 0,
      cancelled: 0,
    });
  });

  it('reports the outbox backlog from one probe call per scrape, for its three gauges', async () => {
    const { metrics, scrape } = setup();
    let calls = 0;
    metrics.observeOutbox(async () => {
      calls += 1;
      return { pending: 12, oldestAgeSeconds: 4.5, parked: 1 };
    });
    const samples = await scrape();
    expect(calls).toBe(1);
    expect(valueOf(samples, 'tfo_mcp_outbox_pending_events')).toBe(12);
    expect(valueOf(samples, 'tfo_mcp_outbox_oldest_pending_age_seconds')).toBe(4.5);
    expect(valueOf(samples, 'tfo_mcp_outbox_parked_events')).toBe(1);
    await scrape();
    expect(calls).toBe(2);
  });

  it('leaves the parked gauge out when the outbox does not count parked events', async () => {
    const { metrics, scrape } = setup();
    metrics.observeOutbox(() => ({ pending: 0, oldestAgeSeconds: 0 }));
    const samples = await scrape();
    expect(valueOf(samples, 'tfo_mcp_outbox_pending_events')).toBe(0);
    expect(samplesOf(samples, 'tfo_mcp_outbox_parked_events')).toHaveLength(0);
  });

  it('reports executor load as running and max, from which saturation is their ratio', async () => {
    const { metrics, scrape } = setup();
    metrics.observeExecutor(() => ({ running: 3, capacity: 8 }));
    const samples = await scrape();
    expect(valueOf(samples, 'tfo_mcp_executor_executions_running')).toBe(3);
    expect(valueOf(samples, 'tfo_mcp_executor_executions_max')).toBe(8);
  });

  it('reports a Postgres pool as idle and in-use connections, its size limit and waiting checkouts', async () => {
    const { metrics, scrape } = setup();
    const pool = { totalCount: 5, idleCount: 2, waitingCount: 4 };
    metrics.observePostgresPool(postgresPoolUsage(pool, 10));
    const samples = await scrape();
    expect(valueOf(samples, 'tfo_mcp_postgres_pool_connections', { state: 'idle' })).toBe(2);
    expect(valueOf(samples, 'tfo_mcp_postgres_pool_connections', { state: 'in_use' })).toBe(3);
    expect(valueOf(samples, 'tfo_mcp_postgres_pool_max_connections')).toBe(10);
    expect(valueOf(samples, 'tfo_mcp_postgres_pool_waiting_clients')).toBe(4);
  });

  it('reports the NATS connection as 1 for its current state and 0 for the others', async () => {
    const { metrics, scrape } = setup();
    let state: 'connected' | 'reconnecting' = 'connected';
    metrics.observeNats(natsConnectionState({ status: () => ({ state }) }));
    expect(Object.fromEntries(samplesOf(await scrape(), 'tfo_mcp_nats_connection_state').map((s) => [s.labels.state, s.value]))).toEqual({
      idle: 0,
      connecting: 0,
      connected: 1,
      reconnecting: 0,
      closed: 0,
    });
    state = 'reconnecting';
    const samples = await scrape();
    expect(valueOf(samples, 'tfo_mcp_nats_connection_state', { state: 'reconnecting' })).toBe(1);
    expect(valueOf(samples, 'tfo_mcp_nats_connection_state', { state: 'connected' })).toBe(0);
  });

  it('refuses a second probe of the same kind', () => {
    const { metrics } = setup();
    metrics.observeSessions(() => ({}));
    expect(() => metrics.observeSessions(() => ({}))).toThrow('the sessions probe is already registered');
  });
});

describe('metrics probes: failures never fail the scrape', () => {
  it('leaves a failing probe’s series out, counts the failure, warns once per outage and says when it answers again', async () => {
    const { logger, metrics, scrape } = setup();
    let down = true;
    metrics.observeOutbox(async () => {
      if (down) throw new Error('connect ECONNREFUSED 127.0.0.1:5432');
      return { pending: 1, oldestAgeSeconds: 2 };
    });
    metrics.cacheLookup(true);

    let samples = await scrape();
    expect(samplesOf(samples, 'tfo_mcp_outbox_pending_events')).toHaveLength(0);
    expect(samplesOf(samples, 'tfo_mcp_outbox_oldest_pending_age_seconds')).toHaveLength(0);
    expect(valueOf(samples, 'tfo_mcp_cache_lookups_total', { result: 'hit' })).toBe(1);
    expect(valueOf(samples, 'tfo_mcp_metrics_probe_failures_total', { probe: 'outbox' })).toBe(1);
    samples = await scrape();
    expect(valueOf(samples, 'tfo_mcp_metrics_probe_failures_total', { probe: 'outbox' })).toBe(2);
    expect(logger.at('warn')).toEqual([
      expect.objectContaining({ message: expect.stringContaining('metrics probe failed'), fields: expect.objectContaining({ probe: 'outbox', error: 'connect ECONNREFUSED 127.0.0.1:5432' }) }),
    ]);

    down = false;
    samples = await scrape();
    expect(valueOf(samples, 'tfo_mcp_outbox_pending_events')).toBe(1);
    expect(logger.at('info').map((line) => line.fields?.probe)).toEqual(['outbox']);
  });

  it('gives up on a probe that does not answer within the timeout and serves the rest of the scrape', async () => {
    const { metrics, scrape } = setup(50);
    metrics.observeTasks(() => new Promise(() => undefined));
    metrics.observeExecutor(() => ({ running: 1, capacity: 2 }));
    const began = Date.now();
    const samples = await scrape();
    expect(Date.now() - began).toBeLessThan(1_000);
    expect(samplesOf(samples, 'tfo_mcp_tasks')).toHaveLength(0);
    expect(valueOf(samples, 'tfo_mcp_executor_executions_running')).toBe(1);
    expect(valueOf(samples, 'tfo_mcp_metrics_probe_failures_total', { probe: 'tasks' })).toBe(1);
  });

  it.each<[string, (m: PrometheusMetrics) => void]>([
    ['a negative count', (m) => m.observeSessions(() => ({ READY: -1 }))],
    ['a count that is not a number', (m) => m.observeOutbox(() => ({ pending: '12', oldestAgeSeconds: 0 }) as unknown as OutboxBacklog)],
    ['NaN', (m) => m.observeExecutor(() => ({ running: Number.NaN, capacity: 4 }))],
    ['an unknown NATS state', (m) => m.observeNats(() => 'sleeping' as 'closed')],
    ['no value at all', (m) => m.observePostgresPool(() => undefined as never)],
  ])('treats %s as a failed probe', async (_, register) => {
    const { metrics, scrape } = setup();
    register(metrics);
    const samples = await scrape();
    const failures = samplesOf(samples, 'tfo_mcp_metrics_probe_failures_total');
    expect(failures.map((s) => s.value)).toEqual([1]);
    const probed = samples.filter((s) => /^tfo_mcp_(sessions|outbox_|executor_executions|nats|postgres)/.test(s.name));
    expect(probed).toEqual([]);
    expect(valueOf(samples, 'tfo_mcp_build_info', { version: 't' })).toBe(1);
  });

  it('starts each registered probe’s failure counter at 0', async () => {
    const { metrics, scrape } = setup();
    metrics.observeSessions(() => ({}));
    metrics.observeNats(() => 'connected');
    const failures = samplesOf(await scrape(), 'tfo_mcp_metrics_probe_failures_total');
    expect(Object.fromEntries(failures.map((s) => [s.labels.probe, s.value]))).toEqual({ sessions: 0, nats: 0 });
  });
});
