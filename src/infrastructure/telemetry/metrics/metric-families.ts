import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/**
 * The families the hot path writes, named as Prometheus expects (the `tfo_mcp_` namespace, units in
 * the name, `_total` counters). Names and labels are a public interface: the dashboard in
 * deploy/grafana and the rules in deploy/prometheus query them, and a test checks both against a
 * real scrape, so a rename here fails there.
 */

/** Requests: sub-millisecond (ping, lists) to the tool timeout's order of magnitude. */
const REQUEST_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
/** Tool runs: up to mcp.timeouts.tool_ms (120 s by default) and beyond for longer configured limits. */
const TOOL_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];
/** One JetStream publish of a batch, awaiting its acks. */
const RELAY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export type MetricFamilies = ReturnType<typeof createMetricFamilies>;

/** `sampleProbes`: runs this scrape's probes, so their failures are counted in the same scrape. */
export function createMetricFamilies(registry: Registry, version: string, sampleProbes: () => Promise<unknown>) {
  const registers = [registry];
  const buildInfo = new Gauge({ name: 'tfo_mcp_build_info', help: 'Always 1; the version label says which tfo-mcp is running.', labelNames: ['version'], registers });
  buildInfo.set({ version }, 1);
  const families = {
    requests: new Counter({
      name: 'tfo_mcp_requests_total',
      help: 'MCP messages handled, by method, protocol era (legacy: 2025 session, modern: 2026-07-28 stateless) and outcome.',
      labelNames: ['method', 'era', 'outcome'] as const,
      registers,
    }),
    requestDuration: new Histogram({
      name: 'tfo_mcp_request_duration_seconds',
      help: 'Time from receiving an MCP message to answering it.',
      labelNames: ['method', 'era'] as const,
      buckets: REQUEST_BUCKETS,
      registers,
    }),
    requestsInFlight: new Gauge({ name: 'tfo_mcp_requests_in_flight', help: 'MCP messages received and not yet answered.', registers }),
    toolCalls: new Counter({
      name: 'tfo_mcp_tool_calls_total',
      help: 'Tool runs, by tool, execution backend (none: the tool runs no command) and outcome.',
      labelNames: ['tool', 'backend', 'outcome'] as const,
      registers,
    }),
    toolDuration: new Histogram({
      name: 'tfo_mcp_tool_call_duration_seconds',
      help: 'Time one tool run took, by tool and execution backend.',
      labelNames: ['tool', 'backend'] as const,
      buckets: TOOL_BUCKETS,
      registers,
    }),
    relayDuration: new Histogram({
      name: 'tfo_mcp_relay_publish_duration_seconds',
      help: 'Time one outbox relay publish of a batch took, acks included, by outcome.',
      labelNames: ['outcome'] as const,
      buckets: RELAY_BUCKETS,
      registers,
    }),
    relayPublished: new Counter({ name: 'tfo_mcp_relay_published_events_total', help: 'Domain events the outbox relay published and had acknowledged.', registers }),
    relayRetries: new Counter({
      name: 'tfo_mcp_relay_publish_retries_total',
      help: 'Failed relay publishes of a batch, each retried with backoff (transient: an outage; rejected: counts toward parking).',
      labelNames: ['reason'] as const,
      registers,
    }),
    relayParked: new Counter({ name: 'tfo_mcp_relay_parked_events_total', help: 'Domain events parked after repeated rejected publishes.', registers }),
    cacheLookups: new Counter({ name: 'tfo_mcp_cache_lookups_total', help: 'Tool result cache lookups, by result (hit or miss).', labelNames: ['result'] as const, registers }),
    rateLimitRejections: new Counter({
      name: 'tfo_mcp_rate_limit_rejections_total',
      help: 'Calls refused by the rate limiter, by the limit that refused (request, tool_call, concurrency).',
      labelNames: ['limit'] as const,
      registers,
    }),
    executorRefusals: new Counter({
      name: 'tfo_mcp_executor_refusals_total',
      help: 'Commands refused because the execution budget was full, by the cap that was reached (global or session).',
      labelNames: ['scope'] as const,
      registers,
    }),
    probeFailures: new Counter({
      name: 'tfo_mcp_metrics_probe_failures_total',
      help: 'Scrape-time probes (outbox, tasks, pools…) that failed or timed out; their series were left out of that scrape.',
      labelNames: ['probe'] as const,
      registers,
      async collect() {
        await sampleProbes();
      },
    }),
  };
  // Known label values start at 0, so rates and ratios have a series before the first event.
  for (const result of ['hit', 'miss']) families.cacheLookups.inc({ result }, 0);
  for (const limit of ['request', 'tool_call', 'concurrency']) families.rateLimitRejections.inc({ limit }, 0);
  for (const scope of ['global', 'session']) families.executorRefusals.inc({ scope }, 0);
  for (const reason of ['transient', 'rejected']) families.relayRetries.inc({ reason }, 0);
  return families;
}
