import type { Redis } from 'ioredis';
import type { ComponentHealth, HealthCheck } from '../../application/ports/health.js';
import { HealthTimeout, withinDeadline } from '../../application/health/within-deadline.js';
import { describeRedisError } from './redis-connection.js';

/**
 * Readiness for the Redis-backed adapters. The cache itself hides an outage (misses), so this is
 * where an operator sees it. A PING that does not answer quickly counts as down: a hung server
 * serves no one.
 */
export class RedisHealthCheck implements HealthCheck {
  readonly name = 'redis';

  constructor(
    private readonly client: Redis,
    private readonly timeoutMs = 500,
  ) {}

  async check(): Promise<ComponentHealth> {
    // Without an offline queue a PING would fail at once anyway; the status says why.
    if (this.client.status !== 'ready') return this.down(`not connected (${this.client.status})`);
    const started = performance.now();
    try {
      await withinDeadline(this.timeoutMs, this.client.ping());
      return { name: this.name, status: 'up', detail: `PING ${Math.round(performance.now() - started)} ms` };
    } catch (error) {
      if (error instanceof HealthTimeout) return this.down(`no PING reply within ${this.timeoutMs} ms`);
      return this.down(`PING failed: ${describeRedisError(error)}`);
    }
  }

  private down(detail: string): ComponentHealth {
    return { name: this.name, status: 'down', detail };
  }
}
