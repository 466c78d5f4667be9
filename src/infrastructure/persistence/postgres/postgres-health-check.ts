import type { Pool } from 'pg';
import type { ComponentHealth, HealthCheck } from '../../../application/ports/health.js';
import { HealthTimeout, withinDeadline } from '../../../application/health/within-deadline.js';
import { describePgError } from './pg-errors.js';
import type { PostgresOutbox } from './postgres-outbox.js';

function reason(error: unknown): string {
  return error instanceof HealthTimeout ? error.message : describePgError(error);
}

/** `SELECT 1` through the shared pool, bounded; the detail never carries the driver's raw text. */
export class PostgresHealthCheck implements HealthCheck {
  readonly name = 'postgres';

  constructor(
    private readonly pool: Pool,
    private readonly timeoutMs = 2_000,
  ) {}

  async check(): Promise<ComponentHealth> {
    const started = Date.now();
    try {
      await withinDeadline(this.timeoutMs, this.pool.query('SELECT 1'));
      const pool = `pool ${this.pool.totalCount - this.pool.idleCount}/${this.pool.totalCount} busy, ${this.pool.waitingCount} waiting`;
      return { name: this.name, status: 'up', detail: `SELECT 1 in ${Date.now() - started} ms; ${pool}` };
    } catch (error) {
      return { name: this.name, status: 'down', detail: reason(error) };
    }
  }
}

/** Parked events mean subscribers missed facts: degraded, not down (as for the in-memory outbox). */
export class PostgresOutboxHealthCheck implements HealthCheck {
  readonly name = 'outbox';

  constructor(
    private readonly outbox: PostgresOutbox,
    private readonly timeoutMs = 2_000,
  ) {}

  async check(): Promise<ComponentHealth> {
    try {
      const [pending, parked] = await withinDeadline(this.timeoutMs, Promise.all([this.outbox.pending(), this.outbox.parkedCount()]));
      return { name: this.name, status: parked > 0 ? 'degraded' : 'up', detail: `postgres; pending ${pending}, parked ${parked}` };
    } catch (error) {
      return { name: this.name, status: 'down', detail: reason(error) };
    }
  }
}
