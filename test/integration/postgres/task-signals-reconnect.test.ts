import { randomBytes } from 'node:crypto';
import type { Pool } from 'pg';
import type { TaskSignal } from '../../../src/application/tasks/task-signals.js';
import { Task } from '../../../src/domain/task/task.js';
import { createPostgresPool } from '../../../src/infrastructure/persistence/postgres/postgres-pool.js';
import { PostgresTaskRepository, PostgresTaskSignals } from '../../../src/infrastructure/persistence/postgres/postgres-task-repository.js';
import { eventually } from '../../contract/outbox.contract.js';
import { RecordingLogger } from '../../support/builders.js';
import { fixedMeta } from '../../support/fixed-clock.js';
import { createTestSchema, PG_URL, type TestSchema } from './pg-test-schema.js';

describe('PostgresTaskSignals', () => {
  let schema: TestSchema;
  let listenerPool: Pool;
  let signals: PostgresTaskSignals;
  const applicationName = `tfo-task-signals-${randomBytes(4).toString('hex')}`;
  const logger = new RecordingLogger();

  beforeAll(async () => {
    schema = await createTestSchema();
    // Its own application_name, so the test can find and kill exactly this LISTEN connection.
    listenerPool = createPostgresPool({ url: PG_URL, poolMax: 2, statementTimeoutMs: 10_000, schema: schema.name, applicationName }, logger);
    signals = new PostgresTaskSignals(listenerPool, logger, { reconnectDelayMs: 100 });
  });
  afterAll(async () => {
    await signals?.close();
    await listenerPool?.end();
    await schema?.drop();
  });

  it('LISTEN connection killed by the server - logged once, reopened after the delay, and signals flow again', async () => {
    const received: TaskSignal[] = [];
    signals.listen((signal) => received.push(signal));
    await signals.ready();
    const { meta } = fixedMeta();
    const repository = new PostgresTaskRepository(schema.pool, meta);
    let probes = 0;
    const cancelProbe = async () => {
      probes += 1;
      const task = Task.create({ id: `probe-${probes}`, principal: 'alice', method: 'tools/call', name: 'x', ttlMs: 60_000, pollIntervalMs: 500, ownerReplica: 'r' }, meta);
      await repository.create(task, 1_000);
      task.cancel();
      await repository.save(task);
    };

    const killed = await schema.pool.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [applicationName]);
    expect(killed.rowCount).toBe(1);
    await eventually(() => logger.at('warn').some((line) => line.message.includes('task signal LISTEN connection unavailable')), 3_000, 'the lost connection to be logged');

    await eventually(
      async () => {
        await cancelProbe();
        return received.length > 0;
      },
      5_000,
      'a signal after the reconnect',
    );
    expect(received[0]?.kind).toBe('cancel');
    expect(received[0]?.taskId).toMatch(/^probe-\d+$/);
  });
});
