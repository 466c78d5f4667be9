import type { Pool } from 'pg';
import type { Logger } from '../application/ports/logger.js';
import type { Outbox } from '../application/ports/outbox.js';
import type { TaskSignals } from '../application/tasks/task-signals.js';
import type { ConversationRepository } from '../domain/conversation/conversation.repository.js';
import type { EventMetaSource } from '../domain/shared/event-meta-source.js';
import type { SessionRepository } from '../domain/session/session.repository.js';
import type { TaskRepository } from '../domain/task/task.repository.js';
import type { ToolExecutionRepository } from '../domain/tool/tool-execution.repository.js';
import type { ResolvedConfig } from '../infrastructure/config/config.schema.js';
import { EmbeddedHealthCheck, InMemoryOutboxHealthCheck } from '../infrastructure/health/embedded-health-checks.js';
import { InMemoryConversationRepository } from '../infrastructure/persistence/memory/in-memory-conversation-repository.js';
import { InMemoryOutbox } from '../infrastructure/persistence/memory/in-memory-outbox.js';
import { InMemorySessionRepository } from '../infrastructure/persistence/memory/in-memory-session-repository.js';
import { InMemoryTaskRepository } from '../infrastructure/persistence/memory/in-memory-task-repository.js';
import { InMemoryToolExecutionRepository } from '../infrastructure/persistence/memory/in-memory-tool-execution-repository.js';
import type { Wired } from './wiring.js';

export interface Persistence {
  readonly outbox: Outbox;
  readonly sessions: SessionRepository;
  readonly executions: ToolExecutionRepository;
  readonly conversations: ConversationRepository;
  readonly tasks: TaskRepository;
  /** How a cancel or an answer saved on any replica reaches the replica running the task. */
  readonly taskSignals: TaskSignals;
  /** The Postgres pool (persistence.driver postgres): the API key store listens on one of its connections. */
  readonly pool?: Pool;
}

/** The Postgres adapter modules, loaded only when configured (pg alone costs ~40 ms of start-up). */
async function postgresModules() {
  const [migrator, conversations, health, outbox, pool, sessions, executions, tasks] = await Promise.all([
    import('../infrastructure/persistence/postgres/migrator.js'),
    import('../infrastructure/persistence/postgres/postgres-conversation-repository.js'),
    import('../infrastructure/persistence/postgres/postgres-health-check.js'),
    import('../infrastructure/persistence/postgres/postgres-outbox.js'),
    import('../infrastructure/persistence/postgres/postgres-pool.js'),
    import('../infrastructure/persistence/postgres/postgres-session-repository.js'),
    import('../infrastructure/persistence/postgres/postgres-tool-execution-repository.js'),
    import('../infrastructure/persistence/postgres/postgres-task-repository.js'),
  ]);
  return { ...migrator, ...conversations, ...health, ...outbox, ...pool, ...sessions, ...executions, ...tasks };
}

export async function wirePersistence(config: ResolvedConfig, logger: Logger, meta: EventMetaSource): Promise<Wired<Persistence>> {
  switch (config.persistence.driver) {
    case 'memory': {
      const outbox = new InMemoryOutbox(config.events.outbox_capacity, logger);
      // One process holds every task, so the repository signals its own listeners in-process.
      const tasks = new InMemoryTaskRepository(outbox, meta);
      return {
        adapters: {
          outbox,
          sessions: new InMemorySessionRepository(outbox, config.persistence.closed_session_retention),
          executions: new InMemoryToolExecutionRepository(outbox),
          conversations: new InMemoryConversationRepository(outbox, meta),
          tasks,
          taskSignals: tasks,
        },
        healthChecks: [new EmbeddedHealthCheck('persistence', 'memory'), new InMemoryOutboxHealthCheck(outbox)],
      };
    }
    case 'postgres': {
      const { createPostgresPool, PostgresOutbox, PostgresSessionRepository, PostgresToolExecutionRepository, PostgresConversationRepository, PostgresTaskRepository, PostgresTaskSignals, PostgresHealthCheck, PostgresOutboxHealthCheck, migrate } =
        await postgresModules();
      const pg = config.persistence.postgres;
      const pool = createPostgresPool({ url: pg.url, poolMax: pg.pool_max, statementTimeoutMs: pg.statement_timeout_ms }, logger);
      const outbox = new PostgresOutbox(pool, logger);
      // Holds one connection out of the pool for LISTEN once the task service starts listening.
      const taskSignals = new PostgresTaskSignals(pool, logger, { reconnectDelayMs: 1_000 });
      return {
        adapters: {
          outbox,
          sessions: new PostgresSessionRepository(pool, meta),
          executions: new PostgresToolExecutionRepository(pool),
          conversations: new PostgresConversationRepository(pool, meta),
          tasks: new PostgresTaskRepository(pool, meta),
          taskSignals,
          pool,
        },
        healthChecks: [new PostgresHealthCheck(pool), new PostgresOutboxHealthCheck(outbox)],
        start: async () => {
          if (pg.migrate_on_start) await migrate(pool, logger);
        },
        close: async () => {
          await taskSignals.close();
          await outbox.close();
          await pool.end();
        },
      };
    }
  }
}

/** `tfo-mcp migrate`: apply pending Postgres migrations and exit. */
export async function migratePostgres(config: ResolvedConfig, logger: Logger): Promise<{ applied: string[]; version: number }> {
  const { createPostgresPool, migrate } = await postgresModules();
  const pg = config.persistence.postgres;
  const pool = createPostgresPool({ url: pg.url, poolMax: 2, statementTimeoutMs: pg.statement_timeout_ms }, logger);
  try {
    return await migrate(pool, logger);
  } finally {
    await pool.end();
  }
}
