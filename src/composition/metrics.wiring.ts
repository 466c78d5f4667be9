import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Pool } from 'pg';
import type { Logger } from '../application/ports/logger.js';
import { NO_METRICS, type ExecutorLoad, type Metrics, type OutboxBacklog } from '../application/ports/metrics.js';
import type { TaskStatus } from '../domain/task/task.events.js';
import type { ResolvedConfig } from '../infrastructure/config/config.schema.js';
import type { NatsConnectionStatus } from '../infrastructure/messaging/nats/nats-connection.js';

/** `GET path` on the MCP listener, handed to the HTTP server as a plain node:http handler. */
export interface MetricsRoute {
  readonly path: string;
  readonly handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
}

/** The connections and budgets the probes read at scrape time. */
export interface MetricsProbes {
  readonly pool?: { readonly pool: Pick<Pool, 'totalCount' | 'idleCount' | 'waitingCount'>; readonly max: number };
  readonly nats?: { status(): Pick<NatsConnectionStatus, 'state'> };
  readonly executor: () => ExecutorLoad;
  readonly outbox: () => Promise<OutboxBacklog>;
  /** Tasks by status (mcp.tasks.enabled). */
  readonly tasks?: () => Promise<Readonly<Partial<Record<TaskStatus, number>>>>;
}

export interface WiredMetrics {
  /** What the hot path calls: NO_METRICS when telemetry.metrics is off. */
  readonly metrics: Metrics;
  /** Present when the HTTP transport's own listener serves the scrapes. */
  readonly route?: MetricsRoute;
  observe(probes: MetricsProbes): void;
  /** Opens `telemetry.metrics.port` when set; throws a MetricsListenerError (code metrics.listen_failed) when it cannot. */
  start(): Promise<void>;
  close(): Promise<void>;
}

const METRICS_OFF: WiredMetrics = Object.freeze({
  metrics: NO_METRICS,
  observe: () => undefined,
  start: async () => undefined,
  close: async () => undefined,
});

/**
 * Prometheus metrics when `telemetry.metrics.enabled`: prom-client and the metrics modules load
 * only then (a dynamic import), so a server with metrics off starts and serves as before.
 */
export async function wireMetrics(config: ResolvedConfig, logger: Logger): Promise<WiredMetrics> {
  const settings = config.telemetry.metrics;
  if (!settings.enabled) return METRICS_OFF;
  const [{ createMetrics }, { postgresPoolUsage, natsConnectionState }] = await Promise.all([
    import('../infrastructure/telemetry/metrics/create-metrics.js'),
    import('../infrastructure/telemetry/metrics/connection-probes.js'),
  ]);
  const m = createMetrics(settings, config.server.version, logger);
  const onMcpListener = m.onMcpListener && config.server.transport === 'http';
  return {
    metrics: m.metrics,
    ...(onMcpListener ? { route: { path: m.path, handle: m.handler } } : {}),
    observe(probes) {
      if (probes.pool) m.metrics.observePostgresPool(postgresPoolUsage(probes.pool.pool, probes.pool.max));
      if (probes.nats) m.metrics.observeNats(natsConnectionState(probes.nats));
      m.metrics.observeExecutor(probes.executor);
      m.metrics.observeOutbox(probes.outbox);
      if (probes.tasks) m.metrics.observeTasks(probes.tasks);
    },
    start: () => m.start(),
    close: () => m.close(),
  };
}
