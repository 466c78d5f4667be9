import type { Pool } from 'pg';
import type { MetricsProbe } from '../../../application/ports/metrics.js';
import type { NatsConnectionStatus } from '../../messaging/nats/nats-connection.js';
import type { NatsState, PostgresPoolUsage } from './probe-gauges.js';

/**
 * Probes over the connections the composition root holds, as plain callbacks: the metrics module
 * imports neither pg nor nats (types only), so it loads nothing that persistence or messaging
 * would not load anyway.
 */

/** `max`: persistence.postgres.pool_max, the size the pool was created with. */
export function postgresPoolUsage(pool: Pick<Pool, 'totalCount' | 'idleCount' | 'waitingCount'>, max: number): MetricsProbe<PostgresPoolUsage> {
  return () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount, max });
}

export function natsConnectionState(connection: { status(): Pick<NatsConnectionStatus, 'state'> }): MetricsProbe<NatsState> {
  return () => connection.status().state;
}
