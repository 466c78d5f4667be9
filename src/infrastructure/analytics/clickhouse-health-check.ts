import type { ClickHouseClient } from '@clickhouse/client';
import { HealthTimeout, withinDeadline } from '../../application/health/within-deadline.js';
import type { ComponentHealth, HealthCheck } from '../../application/ports/health.js';
import { describeFailure } from './clickhouse-errors.js';

/**
 * Pings with a `SELECT 1` rather than the /ping endpoint, which answers without checking the
 * credentials; the request is aborted after timeoutMs so a hung server reports down instead of
 * stalling the report.
 */
export class ClickHouseHealthCheck implements HealthCheck {
  readonly name = 'clickhouse';

  constructor(
    private readonly client: ClickHouseClient,
    private readonly timeoutMs = 2_000,
  ) {}

  async check(): Promise<ComponentHealth> {
    const started = performance.now();
    try {
      const result = await withinDeadline(this.timeoutMs, (signal) => this.client.ping({ select: true, abort_signal: signal }));
      if (result.success) return { name: this.name, status: 'up', detail: `ping ${Math.round(performance.now() - started)} ms` };
      return { name: this.name, status: 'down', detail: describeFailure(result.error) };
    } catch (error) {
      return { name: this.name, status: 'down', detail: error instanceof HealthTimeout ? error.message : describeFailure(error) };
    }
  }
}
