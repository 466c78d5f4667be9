import type { PoolClient } from 'pg';
import { NatsConnection } from '../../../../src/infrastructure/messaging/nats/nats-connection.js';
import { createPostgresPool } from '../../../../src/infrastructure/persistence/postgres/postgres-pool.js';
import { natsConnectionState, postgresPoolUsage } from '../../../../src/infrastructure/telemetry/metrics/connection-probes.js';
import { PrometheusMetrics } from '../../../../src/infrastructure/telemetry/metrics/prometheus-metrics.js';
import { RecordingLogger } from '../../../support/builders.js';
import { parseExposition, valueOf } from '../../../support/prometheus-text.js';
import { describeWithServices } from '../../../support/with-services.js';
import { OwnNatsServer, waitFor } from '../../nats/nats-test-support.js';
import { PG_URL } from '../../postgres/pg-test-schema.js';

/** The pool and connection probes over the real clients the composition root holds. */
describeWithServices('metrics probes over a real Postgres pool and a real NATS connection', () => {
  const scrape = async (metrics: PrometheusMetrics) => parseExposition(await metrics.render());
  const fresh = () => new PrometheusMetrics({ version: 't', processMetrics: false }, new RecordingLogger());

  it('Postgres - connections in use, idle and waiting follow checkouts and releases', async () => {
    const pool = createPostgresPool({ url: PG_URL, poolMax: 2, statementTimeoutMs: 5_000 }, new RecordingLogger());
    const metrics = fresh();
    metrics.observePostgresPool(postgresPoolUsage(pool, 2));
    const held: PoolClient[] = [];
    try {
      held.push(await pool.connect(), await pool.connect());
      const third = pool.connect();
      let samples = await scrape(metrics);
      expect(valueOf(samples, 'tfo_mcp_postgres_pool_connections', { state: 'in_use' })).toBe(2);
      expect(valueOf(samples, 'tfo_mcp_postgres_pool_connections', { state: 'idle' })).toBe(0);
      expect(valueOf(samples, 'tfo_mcp_postgres_pool_waiting_clients')).toBe(1);
      expect(valueOf(samples, 'tfo_mcp_postgres_pool_max_connections')).toBe(2);

      held.shift()!.release();
      held.push(await third);
      samples = await scrape(metrics);
      expect(valueOf(samples, 'tfo_mcp_postgres_pool_waiting_clients')).toBe(0);
      expect(valueOf(samples, 'tfo_mcp_postgres_pool_connections', { state: 'in_use' })).toBe(2);

      for (const client of held.splice(0)) client.release();
      samples = await scrape(metrics);
      expect(valueOf(samples, 'tfo_mcp_postgres_pool_connections', { state: 'in_use' })).toBe(0);
      expect(valueOf(samples, 'tfo_mcp_postgres_pool_connections', { state: 'idle' })).toBe(2);
    } finally {
      for (const client of held) client.release();
      await pool.end();
    }
  });

  it('NATS - the state gauge follows the connection: idle, connected, reconnecting when the server goes, closed', async () => {
    const server = await OwnNatsServer.create();
    await server.start();
    const connection = new NatsConnection({ url: server.url, name: 'tfo-mcp metrics test', reconnectWaitMs: 100, reconnectJitterMs: 50, connectTimeoutMs: 1_000 }, new RecordingLogger());
    const metrics = fresh();
    metrics.observeNats(natsConnectionState(connection));
    const current = async () => {
      const samples = await scrape(metrics);
      return ['idle', 'connecting', 'connected', 'reconnecting', 'closed'].filter((state) => valueOf(samples, 'tfo_mcp_nats_connection_state', { state }) === 1);
    };
    try {
      expect(await current()).toEqual(['idle']);
      connection.start();
      await connection.ready(5_000);
      expect(await current()).toEqual(['connected']);
      await server.stop();
      await waitFor(async () => (await current())[0] === 'reconnecting', 10_000, 'the gauge to show reconnecting');
    } finally {
      await connection.close(1_000);
      await server.dispose();
    }
    expect(await current()).toEqual(['closed']);
  });
});
