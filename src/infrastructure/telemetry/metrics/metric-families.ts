import { CounterFamily, HistogramFamily, PlainFamily } from './hot-families.js';

/**
 * The families the request path writes, named as Prometheus expects (the `tfo_mcp_` namespace,
 * units in the name, `_total` counters). Names and labels are a public interface: the dashboard in
 * deploy/grafana and the rules in deploy/prometheus query them, and tests check both against a real
 * scrape, so a rename here fails there.
 */

/** Requests: sub-millisecond (ping, lists) to the tool timeout's order of magnitude. */
const REQUEST_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
/** Tool runs: up to mcp.timeouts.tool_ms (120 s by default) and beyond for longer configured limits. */
const TOOL_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];
/** One JetStream publish of a batch, awaiting its acks. */
const RELAY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export type MetricFamilies = ReturnType<typeof createMetricFamilies>;

export function createMetricFamilies() {
  const requests = new CounterFamily(
    'tfo_mcp_requests_total',
    'MCP messages handled, by method, protocol era (legacy: 2025 session, modern: 2026-07-28 stateless) and outcome.',
    ['method', 'era', 'outcome'],
  );
  const requestDuration = new HistogramFamily('tfo_mcp_request_duration_seconds', 'Time from receiving an MCP message to answering it.', ['method', 'era'], REQUEST_BUCKETS);
  const requestsInFlight = new PlainFamily('tfo_mcp_requests_in_flight', 'MCP messages received and not yet answered.', 'gauge');
  const toolCalls = new CounterFamily('tfo_mcp_tool_calls_total', 'Tool runs, by tool, execution backend (none: the tool runs no command) and outcome.', ['tool', 'backend', 'outcome']);
  const toolDuration = new HistogramFamily('tfo_mcp_tool_call_duration_seconds', 'Time one tool run took, by tool and execution backend.', ['tool', 'backend'], TOOL_BUCKETS);
  const relayDuration = new HistogramFamily('tfo_mcp_relay_publish_duration_seconds', 'Time one outbox relay publish of a batch took, acks included, by outcome.', ['outcome'], RELAY_BUCKETS);
  const relayPublished = new PlainFamily('tfo_mcp_relay_published_events_total', 'Domain events the outbox relay published and had acknowledged.', 'counter');
  const relayRetries = new CounterFamily(
    'tfo_mcp_relay_publish_retries_total',
    'Failed relay publishes of a batch, each retried with backoff (transient: an outage; rejected: counts toward parking).',
    ['reason'],
  );
  const relayParked = new PlainFamily('tfo_mcp_relay_parked_events_total', 'Domain events parked after repeated rejected publishes.', 'counter');
  const cacheLookups = new CounterFamily('tfo_mcp_cache_lookups_total', 'Tool result cache lookups, by result (hit or miss).', ['result']);
  const rateLimitRejections = new CounterFamily(
    'tfo_mcp_rate_limit_rejections_total',
    'Calls refused by the rate limiter, by the limit that refused (request, tool_call, concurrency).',
    ['limit'],
  );
  const executorRefusals = new CounterFamily(
    'tfo_mcp_executor_refusals_total',
    'Commands refused because the execution budget was full, by the cap that was reached (global or session).',
    ['scope'],
  );
  const probeFailures = new CounterFamily(
    'tfo_mcp_metrics_probe_failures_total',
    'Scrape-time probes (outbox, tasks, pools…) that failed or timed out; their series were left out of that scrape.',
    ['probe'],
  );
  return {
    requests,
    requestDuration,
    requestsInFlight,
    toolCalls,
    toolDuration,
    relayDuration,
    relayPublished,
    relayParked,
    probeFailures,
    // Known label values exist from the start (at 0), so rates and ratios have a series before the
    // first event, and the hot path holds the series itself.
    relayRetries: { transient: relayRetries.series('transient'), rejected: relayRetries.series('rejected') },
    cache: { hit: cacheLookups.series('hit'), miss: cacheLookups.series('miss') },
    rateLimited: { request: rateLimitRejections.series('request'), tool_call: rateLimitRejections.series('tool_call'), concurrency: rateLimitRejections.series('concurrency') },
    refused: { global: executorRefusals.series('global'), session: executorRefusals.series('session') },
    /** In exposition order. */
    all: [requests, requestDuration, requestsInFlight, toolCalls, toolDuration, relayDuration, relayPublished, relayRetries, relayParked, cacheLookups, rateLimitRejections, executorRefusals, probeFailures],
  };
}
