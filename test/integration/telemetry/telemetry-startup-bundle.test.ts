import { describeKeptOutOfStartup } from '../../support/bundle-startup.js';
import { builtServerPath } from '../../support/server-path.js';

/**
 * Telemetry off must cost nothing at start-up: the built server loads prom-client, the metrics
 * families and the OpenTelemetry SDK only when `telemetry.metrics.enabled` / `telemetry.otlp` is
 * set. Everything main.js imports statically loads at start-up, so none of it may hold them.
 */
const LAZY = {
  'prom-client': 'process_cpu_user_seconds_total',
  'the request-path metric families': 'tfo_mcp_requests_total',
  'the metrics listener': 'MetricsListenerError',
};

describeKeptOutOfStartup('bundle: metrics and traces stay out of start-up', LAZY, builtServerPath);
