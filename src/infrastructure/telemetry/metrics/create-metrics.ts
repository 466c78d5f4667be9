import type { Logger } from '../../../application/ports/logger.js';
import type { MetricsConfig } from '../../config/telemetry.schema.js';
import { metricsRequestHandler, type MetricsRequestHandler } from './metrics-exposition.js';
import { startMetricsListener, type MetricsListener } from './metrics-listener.js';
import { PrometheusMetrics } from './prometheus-metrics.js';

export interface MetricsSetup {
  /** The Metrics port, plus observePostgresPool / observeNats for the composition root. */
  readonly metrics: PrometheusMetrics;
  /** Answers a scrape; the MCP HTTP listener routes `GET path` to it when `onMcpListener`. */
  readonly handler: MetricsRequestHandler;
  readonly path: string;
  /** Whether the MCP listener (HTTP transport) serves `path`: yes unless metrics have a port of their own. */
  readonly onMcpListener: boolean;
  /** Opens the standalone listener when `telemetry.metrics.port` is set. */
  start(): Promise<void>;
  /** The standalone listener, once started (its port when 0 was configured). */
  readonly listener: MetricsListener | undefined;
  close(): Promise<void>;
}

/**
 * The entry the composition root imports dynamically when `telemetry.metrics.enabled`: prom-client
 * and everything here load only then, so a server with metrics off pays nothing at start-up.
 */
export function createMetrics(config: MetricsConfig, version: string, logger: Logger): MetricsSetup {
  const metrics = new PrometheusMetrics({ version }, logger);
  const handler = metricsRequestHandler(metrics, logger);
  let listener: MetricsListener | undefined;
  return {
    metrics,
    handler,
    path: config.path,
    onMcpListener: config.port === undefined,
    get listener() {
      return listener;
    },
    async start() {
      if (config.port === undefined || listener) return;
      listener = await startMetricsListener({ host: config.host, port: config.port, path: config.path }, handler, logger);
    },
    async close() {
      const open = listener;
      listener = undefined;
      await open?.close();
    },
  };
}
