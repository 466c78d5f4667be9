import type { PrometheusMetrics } from '../../src/infrastructure/telemetry/metrics/prometheus-metrics.js';

/**
 * Drives every metric family of a PrometheusMetrics at least once, with a mixed workload (both
 * eras, every request and tool outcome, relay successes and failures, every probe), so a scrape
 * afterwards shows each family with samples. The counts are returned for assertions.
 */
export function exerciseEveryFamily(metrics: PrometheusMetrics, rounds = 1): { readonly toolCalls: number; readonly requests: number } {
  let requests = 0;
  let toolCalls = 0;
  for (let round = 0; round < rounds; round += 1) {
    for (const [method, era, outcome] of [
      ['initialize', 'legacy', 'ok'],
      ['tools/list', 'legacy', 'ok'],
      ['tools/call', 'legacy', 'ok'],
      ['tools/call', 'modern', 'ok'],
      ['tools/call', 'modern', 'client_error'],
      ['resources/read', 'modern', 'server_error'],
      ['tasks/get', 'modern', 'cancelled'],
      ['no/such/method', 'legacy', 'client_error'],
    ] as const) {
      metrics.requestEnded(metrics.requestStarted(), method, era, outcome);
      requests += 1;
    }
    for (const [tool, backend, outcome] of [
      ['read_file', 'none', 'ok'],
      ['execute_command', 'native', 'ok'],
      ['execute_command', 'docker', 'error'],
      ['execute_command', 'ssh', 'timeout'],
      ['search_files', 'none', 'cancelled'],
    ] as const) {
      metrics.toolCallEnded(metrics.toolCallStarted(), tool, backend, outcome);
      toolCalls += 1;
    }
    metrics.relayPublishEnded(metrics.relayPublishStarted(), 10, 'ok');
    metrics.relayPublishEnded(metrics.relayPublishStarted(), 10, 'transient');
    metrics.relayPublishEnded(metrics.relayPublishStarted(), 2, 'rejected');
    metrics.relayParked(2);
    metrics.cacheLookup(true);
    metrics.cacheLookup(false);
    metrics.rateLimited('request');
    metrics.rateLimited('tool_call');
    metrics.rateLimited('concurrency');
    metrics.executorRefused('global');
    metrics.executorRefused('session');
  }
  metrics.requestStarted(); // one still in flight
  metrics.observeSessions(() => ({ READY: 4, INITIALIZING: 1, CLOSING: 1 }));
  metrics.observeTasks(async () => ({ working: 2, input_required: 1, completed: 7, failed: 1, cancelled: 1 }));
  metrics.observeOutbox(async () => ({ pending: 5, oldestAgeSeconds: 1.25, parked: 2 }));
  metrics.observeExecutor(() => ({ running: 3, capacity: 8 }));
  metrics.observePostgresPool(() => ({ total: 6, idle: 2, waiting: 0, max: 10 }));
  metrics.observeNats(() => 'connected');
  return { requests, toolCalls };
}
