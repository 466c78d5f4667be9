import { performance } from 'node:perf_hooks';
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
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
import { createMetricFamilies } from './metric-families.js';
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
 * The Metrics port. The request path writes plain counters and histograms of its own (hot-families.ts);
 * a prom-client registry of this instance's own (never the global default: two servers in one
 * process, as in the tests, never share series) holds what is read at scrape time: the process and
 * event-loop collectors and the probe-fed gauges. A scrape writes both.
 */
export class PrometheusMetrics implements Metrics {
  readonly #registry = new Registry();
  readonly #families = createMetricFamilies();
  readonly #now: () => number;
  readonly #methods = new FixedLabel(MCP_METHODS);
  readonly #backends = new FixedLabel(EXECUTION_BACKENDS);
  readonly #tools: CappedLabel;
  readonly #probeTimeoutMs: number;
  readonly #observed = new Set<string>();
  readonly #failures: ProbeFailures;

  constructor(options: PrometheusMetricsOptions, logger: Logger) {
    this.#now = options.now ?? (() => performance.now());
    this.#tools = new CappedLabel(options.maxToolLabels ?? 256);
    this.#probeTimeoutMs = options.probeTimeoutMs ?? 2_000;
    new Gauge({ name: 'tfo_mcp_build_info', help: 'Always 1; the version label says which tfo-mcp is running.', labelNames: ['version'], registers: [this.#registry] }).set({ version: options.version }, 1);
    if (options.processMetrics ?? true) {
      collectDefaultMetrics({ register: this.#registry });
      // Gauges with a counter's `_total` suffix (promtool check metrics refuses them); each is
      // the sum of its by-type twin (nodejs_active_handles{type}…), which stays.
      for (const name of LINT_FAILING_DEFAULTS) this.#registry.removeSingleMetric(name);
    }
    const probeFailures = this.#families.probeFailures;
    this.#failures = {
      failed(probe, reason, first) {
        probeFailures.series(probe).value += 1;
        if (first) logger.warn('metrics probe failed; its series are left out of scrapes until it answers', { probe, error: reason });
      },
      recovered: (probe) => logger.info('metrics probe answers again', { probe }),
    };
  }

  get contentType(): string {
    return this.#registry.contentType;
  }

  /**
   * The exposition text of every family (what `GET /metrics` answers). The registry goes first: its
   * collection runs the probes, whose failures the request-path families then include.
   */
  async render(): Promise<string> {
    const collected = await this.#registry.metrics();
    return `${this.#families.all.map((family) => family.render()).join('\n')}\n${collected}`;
  }

  requestStarted(): number {
    this.#families.requestsInFlight.value += 1;
    return this.#now();
  }

  requestEnded(started: number, method: string, era: RequestEra, outcome: RequestOutcome): void {
    const f = this.#families;
    f.requestsInFlight.value -= 1;
    const label = this.#methods.of(method);
    f.requests.series(label, era, outcome).value += 1;
    f.requestDuration.series(label, era).observe(this.#secondsSince(started));
  }

  toolCallStarted(): number {
    return this.#now();
  }

  toolCallEnded(started: number, tool: string, backend: string, outcome: ToolOutcome): void {
    const f = this.#families;
    const toolLabel = this.#tools.of(tool);
    const backendLabel = this.#backends.of(backend);
    f.toolCalls.series(toolLabel, backendLabel, outcome).value += 1;
    f.toolDuration.series(toolLabel, backendLabel).observe(this.#secondsSince(started));
  }

  relayPublishStarted(): number {
    return this.#now();
  }

  relayPublishEnded(started: number, events: number, outcome: RelayOutcome): void {
    const f = this.#families;
    f.relayDuration.series(outcome).observe(this.#secondsSince(started));
    if (outcome === 'ok') f.relayPublished.value += events;
    else f.relayRetries[outcome].value += 1;
  }

  relayParked(events: number): void {
    this.#families.relayParked.value += events;
  }

  cacheLookup(hit: boolean): void {
    (hit ? this.#families.cache.hit : this.#families.cache.miss).value += 1;
  }

  rateLimited(kind: RateLimitKind): void {
    this.#families.rateLimited[kind].value += 1;
  }

  executorRefused(scope: BudgetScope): void {
    this.#families.refused[scope].value += 1;
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
    this.#families.probeFailures.series(kind.name);
    kind.gauges(this.#registry, new ProbeSampler(kind.name, probe, (value) => kind.validate(value), this.#probeTimeoutMs, this.#failures));
  }

  #secondsSince(started: number): number {
    // NaN would poison the histogram sum and a negative duration is nonsense: a bad mark records 0.
    const elapsed = (this.#now() - started) / 1000;
    return elapsed > 0 && Number.isFinite(elapsed) ? elapsed : 0;
  }
}
