import type { ClickHouseClient } from '@clickhouse/client';
import type { ComponentHealth, HealthCheck } from '../../application/ports/health.js';
import { describeFailure } from './clickhouse-errors.js';

/**
 * Pings with a `SELECT 1` rather than the /ping endpoint, which answers without checking the
 * credentials; aborted after timeoutMs so a hung server reports down instead of stalling the report.
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
      const result = await this.client.ping({ select: true, abort_signal: AbortSignal.timeout(this.timeoutMs) });
      const elapsed = Math.round(performance.now() - started);
      if (result.success) return { name: this.name, status: 'up', detail: `ping ${elapsed} ms` };
      return { name: this.name, status: 'down', detail: this.reason(result.error, elapsed) };
    } catch (error) {
      return { name: this.name, status: 'down', detail: this.reason(error, Math.round(performance.now() - started)) };
    }
  }

  private reason(error: unknown, elapsed: number): string {
    if (elapsed >= this.timeoutMs) return `no answer within ${this.timeoutMs} ms`;
    return describeFailure(error);
  }
}
