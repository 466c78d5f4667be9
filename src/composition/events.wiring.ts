import type { Clock } from '../application/ports/clock.js';
import type { EventPublisher } from '../application/ports/event-publisher.js';
import type { Logger } from '../application/ports/logger.js';
import type { ToolUsageReader } from '../application/ports/analytics.js';
import type { ResolvedConfig } from '../infrastructure/config/config.schema.js';
import { EmbeddedHealthCheck } from '../infrastructure/health/embedded-health-checks.js';
import { InMemoryEventPublisher } from '../infrastructure/messaging/memory/in-memory-event-publisher.js';
import { NullEventPublisher } from '../infrastructure/messaging/memory/null-event-publisher.js';
import type { NatsConnectionStatus } from '../infrastructure/messaging/nats/nats-connection.js';
import type { StreamOptions } from '../infrastructure/messaging/nats/stream-setup.js';
import type { Wired } from './wiring.js';

export interface Events {
  readonly publisher: EventPublisher;
  /** The embedded publisher, when events.driver is memory (in-process subscribers, recent events). */
  readonly memory?: InMemoryEventPublisher;
  /** The NATS connection (events.driver nats), for the connection-state gauge. */
  readonly nats?: { status(): Pick<NatsConnectionStatus, 'state'> };
}

export function natsStreamOptions(config: ResolvedConfig): StreamOptions {
  const nats = config.events.nats;
  return {
    name: nats.stream,
    subjectPrefix: nats.subject_prefix,
    retention: nats.retention,
    maxAgeMs: nats.max_age_ms,
    duplicateWindowMs: nats.duplicate_window_ms,
    storage: nats.storage,
  };
}

export async function wireEvents(config: ResolvedConfig, logger: Logger): Promise<Wired<Events>> {
  switch (config.events.driver) {
    case 'memory': {
      const memory = new InMemoryEventPublisher(config.events.memory_retention);
      return { adapters: { publisher: memory, memory }, healthChecks: [new EmbeddedHealthCheck('events', 'memory')] };
    }
    case 'none':
      return { adapters: { publisher: new NullEventPublisher() }, healthChecks: [new EmbeddedHealthCheck('events', 'none')] };
    case 'nats': {
      // nats.js costs ~75 ms to load: only when configured.
      const [{ NatsConnection }, { NatsEventPublisher }, { NatsHealthCheck }, { ensureStream }] = await Promise.all([
        import('../infrastructure/messaging/nats/nats-connection.js'),
        import('../infrastructure/messaging/nats/nats-event-publisher.js'),
        import('../infrastructure/messaging/nats/nats-health-check.js'),
        import('../infrastructure/messaging/nats/stream-setup.js'),
      ]);
      const nats = config.events.nats;
      const connection = new NatsConnection({ url: nats.url, name: `${config.server.name} ${config.server.version}` }, logger);
      const publisher = new NatsEventPublisher(connection, {
        subjectPrefix: nats.subject_prefix,
        source: config.events.source,
        stream: natsStreamOptions(config),
      });
      return {
        adapters: { publisher, nats: connection },
        healthChecks: [new NatsHealthCheck(connection, nats.stream)],
        start: async () => {
          connection.start();
          // Create or update the stream now; if NATS is not up yet the publisher does it before its
          // first publish. A stream the configuration cannot produce stops start-up.
          try {
            await ensureStream(await connection.jetstreamManager(3_000), natsStreamOptions(config));
          } catch (error) {
            if ((error as { code?: string }).code !== 'nats.unavailable') throw error;
            logger.warn('NATS not reachable at start-up; the stream will be set up before the first publish', { stream: nats.stream });
          }
        },
        close: async () => connection.close(),
      };
    }
  }
}

export interface Analytics {
  /** An extra event destination (the projection), fed by the same relay. */
  readonly projection?: EventPublisher;
  readonly reader?: ToolUsageReader;
}

export async function wireAnalytics(config: ResolvedConfig, logger: Logger, clock: Clock): Promise<Wired<Analytics>> {
  switch (config.analytics.driver) {
    case 'none':
      return { adapters: {}, healthChecks: [] };
    case 'clickhouse': {
      const [{ ClickHouseToolUsageReader }, { createClickHouseClient }, { ClickHouseHealthCheck }, { ClickHouseMigrator }, { ClickHouseProjection }] = await Promise.all([
        import('../infrastructure/analytics/clickhouse-tool-usage-reader.js'),
        import('../infrastructure/analytics/clickhouse-client.js'),
        import('../infrastructure/analytics/clickhouse-health-check.js'),
        import('../infrastructure/analytics/clickhouse-migrator.js'),
        import('../infrastructure/analytics/clickhouse-projection.js'),
      ]);
      const ch = config.analytics.clickhouse;
      const client = createClickHouseClient({ url: ch.url, username: ch.username, password: ch.password }, logger);
      const projection = new ClickHouseProjection(client, { database: ch.database, batchSize: ch.batch_size }, logger, clock);
      return {
        adapters: { projection, reader: new ClickHouseToolUsageReader(client, ch.database, clock) },
        healthChecks: [new ClickHouseHealthCheck(client)],
        start: async () => {
          await new ClickHouseMigrator(client, ch.database, logger, clock).migrate();
        },
        close: async () => {
          await projection.close();
          await client.close();
        },
      };
    }
  }
}
