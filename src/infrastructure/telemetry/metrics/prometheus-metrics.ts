import { performance } from 'node:perf_hooks';
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { Logger } from '../../../application/ports/logger.js';
import type {
  BudgetScope,
  ExecutorLoad,
  Metrics,
  MetricsProbe,
  OutboxBacklog,
  RateLimitKind,
  RelayOutcome,
  RequestEra,
  RequestOutcome,
  ToolOutcome,
} from '../../../application/ports/metrics.js';
import type { SessionState } from '../../../domain/session/session-state.js';
import type { TaskStatus } from '../../../domain/task/task.events.js';
import { CappedLabel, EXECUTION_BACKENDS, FixedLabel, MCP_METHODS } from './bounded-labels.js';
import { createMetricFamilies, type MetricFamilies } from './metric-families.js';
import { EXECUTOR_PROBE, NATS_PROBE, OUTBOX_PROBE, POSTGRES_POOL_PROBE, SESSIONS_PROBE, TASKS_PROBE, type NatsState, type PostgresPoolUsage, type ProbeKind } from './probe-gauges.js';
import { ProbeSampler, type ProbeFailures } from './probe-sampler.js';

const LINT_FAILING_DEFAULTS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

export interface PrometheusMetricsOptions {
  /** tfo_mcp_build_info{version}. */
  readonly version: string;
  /** process_* and nodejs_* (CPU, memory, handles, GC, event-loop lag). Default true. */
  readonly processMetrics?: boolean;
  /** How long a scrape waits for one probe. Default 2000. */
  readonly probeTimeoutMs?: number;
  /** Distinct tool names kept as labels; later ones are `other`. Default 256. */
  readonly maxToolLabels?: number;
  /** Milliseconds on a monotonic clock (tests pass their own). */
  readonly now?: () => number;
}

/**
 * The Metrics port on a prom-client registry of its own (no global default registry: two servers
 * in one process, as in the tests, never share series). The hot path is a handful of label lookups
 * and increments; state owned elsewhere is read by probes when Prometheus scrapes.
 */
export class PrometheusMetrics implements Metrics {
  readonly registry = new Registry();
  readonly #families: MetricFamilies;
  readonly #now: () => number;
  readonly #methods = new FixedLabel(MCP_METHODS);
  readonly #backends = new FixedLabel(EXECUTION_BACKENDS);
  readonly #tools: CappedLabel;
  readonly #probeTimeoutMs: number;
  readonly #observed = new Set<string>();
  readonly #samplers: { sample(): Promise<unknown> }[] = [];
  readonly #failures: ProbeFailures;

  constructor(options: PrometheusMetricsOptions, logger: Logger) {
    // The samplers share one probe call per scrape, so this adds no calls.
    this.#families = createMetricFamilies(this.registry, options.version, () => Promise.all(this.#samplers.map((sampler) => sampler.sample())));
    this.#now = options.now ?? (() => performance.now());
    this.#tools = new CappedLabel(options.maxToolLabels ?? 256);
    this.#probeTimeoutMs = options.probeTimeoutMs ?? 2_000;
    if (options.processMetrics ?? true) {
      collectDefaultMetrics({ register: this.registry });
      // Gauges with a counter's `_total` suffix (promtool check metrics refuses them); each is
      // the sum of its by-type twin (nodejs_active_handles{type}…), which stays.
      for (const name of LINT_FAILING_DEFAULTS) this.registry.removeSingleMetric(name);
    }
    const probeFailures = this.#families.probeFailures;
    this.#failures = {
      failed(probe, reason, first) {
        probeFailures.inc({ probe });
        if (first) logger.warn('metrics probe failed; its series are left out of scrapes until it answers', { probe, error: reason });
      },
      recovered: (probe) => logger.info('metrics probe answers again', { probe }),
    };
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The exposition text of every family (what `GET /metrics` answers). */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  requestStarted(): number {
    this.#families.requestsInFlight.inc();
    return this.#now();
  }

  requestEnded(started: number, method: string, era: RequestEra, outcome: RequestOutcome): void {
    const f = this.#families;
    f.requestsInFlight.dec();
    const label = this.#methods.of(method);
    f.requests.inc({ method: label, era, outcome });
    f.requestDuration.observe({ method: label, era }, this.#secondsSince(started));
  }

  toolCallStarted(): number {
    return this.#now();
  }

  toolCallEnded(started: number, tool: string, backend: string, outcome: ToolOutcome): void {
    const labels = { tool: this.#tools.of(tool), backend: this.#backends.of(backend) };
    this.#families.toolCalls.inc({ ...labels, outcome });
    this.#families.toolDuration.observe(labels, this.#secondsSince(started));
  }

  relayPublishStarted(): number {
    return this.#now();
  }

  relayPublishEnded(started: number, events: number, outcome: RelayOutcome): void {
    const f = this.#families;
    f.relayDuration.observe({ outcome }, this.#secondsSince(started));
    if (outcome === 'ok') f.relayPublished.inc(events);
    else f.relayRetries.inc({ reason: outcome });
  }

  relayParked(events: number): void {
    this.#families.relayParked.inc(events);
  }

  cacheLookup(hit: boolean): void {
    this.#families.cacheLookups.inc({ result: hit ? 'hit' : 'miss' });
  }

  rateLimited(kind: RateLimitKind): void {
    this.#families.rateLimitRejections.inc({ limit: kind });
  }

  executorRefused(scope: BudgetScope): void {
    this.#families.executorRefusals.inc({ scope });
  }

  observeSessions(probe: MetricsProbe<Readonly<Partial<Record<SessionState, number>>>>): void {
    this.#observe(SESSIONS_PROBE, probe);
  }

  observeTasks(probe: MetricsProbe<Readonly<Partial<Record<TaskStatus, number>>>>): void {
    this.#observe(TASKS_PROBE, probe);
  }

  observeOutbox(probe: MetricsProbe<OutboxBacklog>): void {
    this.#observe(OUTBOX_PROBE, probe);
  }

  observeExecutor(probe: MetricsProbe<ExecutorLoad>): void {
    this.#observe(EXECUTOR_PROBE, probe);
  }

  /** Not on the port: only the composition root knows a pool (see postgresPoolUsage). */
  observePostgresPool(probe: MetricsProbe<PostgresPoolUsage>): void {
    this.#observe(POSTGRES_POOL_PROBE, probe);
  }

  /** Not on the port: only the composition root knows the connection (NatsConnection.status().state). */
  observeNats(probe: MetricsProbe<NatsState>): void {
    this.#observe(NATS_PROBE, probe);
  }

  #observe<T>(kind: ProbeKind<T>, probe: MetricsProbe<T>): void {
    if (this.#observed.has(kind.name)) throw new Error(`metrics: the ${kind.name} probe is already registered`);
    this.#observed.add(kind.name);
    this.#families.probeFailures.inc({ probe: kind.name }, 0);
    const sampler = new ProbeSampler(kind.name, probe, (value) => kind.validate(value), this.#probeTimeoutMs, this.#failures);
    this.#samplers.push(sampler);
    kind.gauges(this.registry, sampler);
  }

  #secondsSince(started: number): number {
    // A histogram refuses NaN and a negative sum would be nonsense: a bad mark records 0.
    const elapsed = (this.#now() - started) / 1000;
    return elapsed > 0 && Number.isFinite(elapsed) ? elapsed : 0;
  }
}
