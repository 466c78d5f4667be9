import { PrometheusMetrics, type PrometheusMetricsOptions } from '../../../../../src/infrastructure/telemetry/metrics/prometheus-metrics.js';
import { RecordingLogger } from '../../../../support/builders.js';
import { parseExposition, samplesOf, valueOf, type Sample } from '../../../../support/prometheus-text.js';

/** A clock the test moves by hand, in milliseconds. */
class ManualClock {
  ms = 1_000;
  readonly now = (): number => this.ms;
  advance(ms: number): void {
    this.ms += ms;
  }
}

function setup(options: Partial<PrometheusMetricsOptions> = {}) {
  const clock = new ManualClock();
  const logger = new RecordingLogger();
  const metrics = new PrometheusMetrics({ version: '9.9.9-test', processMetrics: false, now: clock.now, ...options }, logger);
  const scrape = async (): Promise<Sample[]> => parseExposition(await metrics.render());
  return { clock, logger, metrics, scrape };
}

describe('PrometheusMetrics: requests', () => {
  it('counts a request by method, era and outcome and puts its duration in the right bucket', async () => {
    const { clock, metrics, scrape } = setup();
    const started = metrics.requestStarted();
    clock.advance(3);
    metrics.requestEnded(started, 'tools/call', 'modern', 'ok');
    const failed = metrics.requestStarted();
    metrics.requestEnded(failed, 'tools/call', 'legacy', 'client_error');

    const samples = await scrape();
    expect(valueOf(samples, 'tfo_mcp_requests_total', { method: 'tools/call', era: 'modern', outcome: 'ok' })).toBe(1);
    expect(valueOf(samples, 'tfo_mcp_requests_total', { method: 'tools/call', era: 'legacy', outcome: 'client_error' })).toBe(1);
    const modern = { method: 'tools/call', era: 'modern' };
    expect(valueOf(samples, 'tfo_mcp_request_duration_seconds_bucket', { ...modern, le: '0.0025' })).toBe(0);
    expect(valueOf(samples, 'tfo_mcp_request_duration_seconds_bucket', { ...modern, le: '0.005' })).toBe(1);
    expect(valueOf(samples, 'tfo_mcp_request_duration_seconds_sum', modern)).toBeCloseTo(0.003, 9);
    expect(valueOf(samples, 'tfo_mcp_request_duration_seconds_count', modern)).toBe(1);
  });

  it('reports requests received and not yet answered as in flight', async () => {
    const { metrics, scrape } = setup();
    const first = metrics.requestStarted();
    metrics.requestStarted();
    metrics.requestEnded(first, 'ping', 'legacy', 'ok');
    expect(valueOf(await scrape(), 'tfo_mcp_requests_in_flight')).toBe(1);
  });

  it('folds a method outside the MCP method list into "other"', async () => {
    const { metrics, scrape } = setup();
    metrics.requestEnded(metrics.requestStarted(), 'tools/call?session=abc123', 'legacy', 'client_error');
    metrics.requestEnded(metrics.requestStarted(), 'x'.repeat(500), 'legacy', 'client_error');
    const samples = samplesOf(await scrape(), 'tfo_mcp_requests_total');
    expect(samples.map((s) => s.labels.method)).toEqual(['other']);
    expect(samples[0].value).toBe(2);
  });

  it('never records a negative duration from a mark later than now', async () => {
    const { clock, metrics, scrape } = setup();
    const started = metrics.requestStarted();
    clock.advance(-50);
    metrics.requestEnded(started, 'ping', 'legacy', 'ok');
    expect(valueOf(await scrape(), 'tfo_mcp_request_duration_seconds_sum', { method: 'ping', era: 'legacy' })).toBe(0);
  });
});

describe('PrometheusMetrics: tool calls', () => {
  it('counts a tool call by tool, backend and outcome and times it by tool and backend', async () => {
    const { clock, metrics, scrape } = setup();
    const started = metrics.toolCallStarted();
    clock.advance(1_500);
    metrics.toolCallEnded(started, 'execute_command', 'docker', 'timeout');
    const samples = await scrape();
    expect(valueOf(samples, 'tfo_mcp_tool_calls_total', { tool: 'execute_command', backend: 'docker', outcome: 'timeout' })).toBe(1);
    const labels = { tool: 'execute_command', backend: 'docker' };
    expect(valueOf(samples, 'tfo_mcp_tool_call_duration_seconds_bucket', { ...labels, le: '1' })).toBe(0);
    expect(valueOf(samples, 'tfo_mcp_tool_call_duration_seconds_bucket', { ...labels, le: '2.5' })).toBe(1);
    expect(valueOf(samples, 'tfo_mcp_tool_call_duration_seconds_sum', labels)).toBeCloseTo(1.5, 9);
  });

  it('keeps well-formed tool names up to the cap and folds the rest, and unknown backends, into "other"', async () => {
    const { metrics, scrape } = setup({ maxToolLabels: 2 });
    for (const tool of ['read_file', 'list_directory', 'third_tool', 'read_file', 'has space', '/etc/passwd"x']) {
      metrics.toolCallEnded(metrics.toolCallStarted(), tool, 'none', 'ok');
    }
    metrics.toolCallEnded(metrics.toolCallStarted(), 'read_file', 'mainframe', 'error');
    const samples = samplesOf(await scrape(), 'tfo_mcp_tool_calls_total');
    const byLabels = Object.fromEntries(samples.map((s) => [`${s.labels.tool}/${s.labels.backend}/${s.labels.outcome}`, s.value]));
    expect(byLabels).toEqual({
      'read_file/none/ok': 2,
      'list_directory/none/ok': 1,
      'other/none/ok': 3,
      'read_file/other/error': 1,
    });
  });
});

describe('PrometheusMetrics: relay, cache, limits, executor', () => {
  it('counts published events, retries by reason and parked events, and times each publish by outcome', async () => {
    const { clock, metrics, scrape } = setup();
    const ok = metrics.relayPublishStarted();
    clock.advance(20);
    metrics.relayPublishEnded(ok, 40, 'ok');
    metrics.relayPublishEnded(metrics.relayPublishStarted(), 40, 'transient');
    metrics.relayPublishEnded(metrics.relayPublishStarted(), 3, 'rejected');
    metrics.relayParked(3);
    const samples = await scrape();
    expect(valueOf(samples, 'tfo_mcp_relay_published_events_total')).toBe(40);
    expect(valueOf(samples, 'tfo_mcp_relay_publish_retries_total', { reason: 'transient' })).toBe(1);
    expect(valueOf(samples, 'tfo_mcp_relay_publish_retries_total', { reason: 'rejected' })).toBe(1);
    expect(valueOf(samples, 'tfo_mcp_relay_parked_events_total')).toBe(3);
    expect(valueOf(samples, 'tfo_mcp_relay_publish_duration_seconds_count', { outcome: 'ok' })).toBe(1);
    expect(valueOf(samples, 'tfo_mcp_relay_publish_duration_seconds_sum', { outcome: 'ok' })).toBeCloseTo(0.02, 9);
    expect(valueOf(samples, 'tfo_mcp_relay_publish_duration_seconds_count', { outcome: 'transient' })).toBe(1);
  });

  it('starts every known label value of the event counters at 0, so ratios have series before the first event', async () => {
    const samples = await setup().scrape();
    for (const result of ['hit', 'miss']) expect(valueOf(samples, 'tfo_mcp_cache_lookups_total', { result })).toBe(0);
    for (const limit of ['request', 'tool_call', 'concurrency']) expect(valueOf(samples, 'tfo_mcp_rate_limit_rejections_total', { limit })).toBe(0);
    for (const scope of ['global', 'session']) expect(valueOf(samples, 'tfo_mcp_executor_refusals_total', { scope })).toBe(0);
    for (const reason of ['transient', 'rejected']) expect(valueOf(samples, 'tfo_mcp_relay_publish_retries_total', { reason })).toBe(0);
  });

  it('counts cache hits and misses, rate-limit rejections by limit and executor refusals by scope', async () => {
    const { metrics, scrape } = setup();
    metrics.cacheLookup(true);
    metrics.cacheLookup(true);
    metrics.cacheLookup(false);
    metrics.rateLimited('tool_call');
    metrics.rateLimited('concurrency');
    metrics.rateLimited('concurrency');
    metrics.executorRefused('session');
    const samples = await scrape();
    expect(valueOf(samples, 'tfo_mcp_cache_lookups_total', { result: 'hit' })).toBe(2);
    expect(valueOf(samples, 'tfo_mcp_cache_lookups_total', { result: 'miss' })).toBe(1);
    expect(valueOf(samples, 'tfo_mcp_rate_limit_rejections_total', { limit: 'tool_call' })).toBe(1);
    expect(valueOf(samples, 'tfo_mcp_rate_limit_rejections_total', { limit: 'concurrency' })).toBe(2);
    expect(valueOf(samples, 'tfo_mcp_rate_limit_rejections_total', { limit: 'request' })).toBe(0);
    expect(valueOf(samples, 'tfo_mcp_executor_refusals_total', { scope: 'session' })).toBe(1);
  });
});

describe('PrometheusMetrics: registry', () => {
  it('says which version runs', async () => {
    expect(valueOf(await setup().scrape(), 'tfo_mcp_build_info', { version: '9.9.9-test' })).toBe(1);
  });

  it('keeps two instances apart (no shared global registry)', async () => {
    const a = setup();
    const b = setup();
    a.metrics.cacheLookup(true);
    expect(valueOf(await a.scrape(), 'tfo_mcp_cache_lookups_total', { result: 'hit' })).toBe(1);
    expect(valueOf(await b.scrape(), 'tfo_mcp_cache_lookups_total', { result: 'hit' })).toBe(0);
  });

  it('adds the process and Node.js metrics (CPU, memory, event-loop lag, start time) unless turned off', async () => {
    const withProcess = parseExposition(await new PrometheusMetrics({ version: 'x' }, new RecordingLogger()).render());
    for (const name of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'process_start_time_seconds', 'nodejs_eventloop_lag_seconds', 'nodejs_eventloop_lag_p99_seconds']) {
      expect(samplesOf(withProcess, name).length).toBeGreaterThan(0);
    }
    expect(samplesOf(await setup().scrape(), 'process_cpu_seconds_total')).toHaveLength(0);
  });

  it('answers in the Prometheus text format', () => {
    expect(setup().metrics.contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
  });
});
