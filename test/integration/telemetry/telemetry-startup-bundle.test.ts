import { describe, expect, it } from '@jest/globals';
import { chunksHolding, startupFiles, startupFilesHolding } from '../../support/bundle-startup.js';
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

describe('bundle: metrics and traces stay out of start-up', () => {
  const main = builtServerPath();
  const startup = startupFiles(main);

  it.each(Object.entries(LAZY))('%s – in no file loaded at start-up', (_, marker) => {
    expect(startup.length).toBeGreaterThan(1);
    expect(startupFilesHolding(startup, marker)).toEqual([]);
  });

  it.each(Object.entries(LAZY))('%s – in the bundle all the same, in a chunk of its own (so the check above is not vacuous)', (_, marker) => {
    expect(chunksHolding(main, marker).length).toBeGreaterThan(0);
  });
});
