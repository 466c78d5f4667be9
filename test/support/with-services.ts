/**
 * Suites that need the real services (Postgres, Redis, NATS, ClickHouse from `scripts/services.sh`)
 * inside files whose other suites run without them (the contract tests run the in-memory adapter and
 * the real one). `npm test` sets TFO_SERVICES=off, with TFO_SERVICES_REASON, when it cannot start the
 * services; such a suite is then not registered at all, and is written to TFO_SKIP_LOG so that the
 * run's summary names it as skipped, with the reason. Whole files that need the services are left out
 * by scripts/test.sh instead (SERVICE_SUITES there).
 */
import { appendFileSync } from 'node:fs';
import path from 'node:path';

export const servicesAvailable = process.env.TFO_SERVICES !== 'off';

function recordSkip(name: string): void {
  const log = process.env.TFO_SKIP_LOG;
  if (!log) return;
  const testPath = expect.getState().testPath;
  const file = testPath ? path.relative(process.cwd(), testPath) : 'unknown file';
  const reason = process.env.TFO_SERVICES_REASON ?? 'TFO_SERVICES=off';
  appendFileSync(log, `${JSON.stringify({ file, suite: name, reason })}\n`);
}

/** `register(name, …)` when the services are available; otherwise records `name` as skipped. */
export function withServices<Rest extends unknown[]>(register: (name: string, ...rest: Rest) => void): (name: string, ...rest: Rest) => void {
  return (name, ...rest) => {
    if (servicesAvailable) register(name, ...rest);
    else recordSkip(name);
  };
}

/** `describe(name, body)` when the services are available; otherwise records `name` as skipped. */
export const describeWithServices = withServices((name: string, body: () => void) => describe(name, body));
