import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
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

/** main.js and every chunk it imports statically, transitively. */
function startupFiles(main: string): string[] {
  const seen = new Set<string>();
  const pending = [main];
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(/^\s*(?:import|export)\s*(?:[^'"()]*?\sfrom\s*)?["'](\.{1,2}\/[^"']+\.js)["']/gm)) {
      pending.push(path.resolve(path.dirname(file), match[1]!));
    }
  }
  return [...seen];
}

describe('bundle: metrics and traces stay out of start-up', () => {
  const main = builtServerPath();
  const startup = startupFiles(main);

  it.each(Object.entries(LAZY))('%s – in no file loaded at start-up', (_, marker) => {
    expect(startup.length).toBeGreaterThan(1);
    expect(startup.filter((file) => readFileSync(file, 'utf8').includes(marker)).map((file) => path.basename(file))).toEqual([]);
  });

  it.each(Object.entries(LAZY))('%s – in the bundle all the same, in a chunk of its own (so the check above is not vacuous)', (_, marker) => {
    const dir = path.join(path.dirname(main), 'chunks');
    const holders = readdirSync(dir).filter((name) => name.endsWith('.js') && readFileSync(path.join(dir, name), 'utf8').includes(marker));
    expect(holders.length).toBeGreaterThan(0);
  });
});
