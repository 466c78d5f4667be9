import { InMemoryOutbox } from '../../src/infrastructure/persistence/memory/in-memory-outbox.js';
import { InMemoryTaskRepository } from '../../src/infrastructure/persistence/memory/in-memory-task-repository.js';
import { PostgresOutbox } from '../../src/infrastructure/persistence/postgres/postgres-outbox.js';
import { PostgresTaskRepository, PostgresTaskSignals } from '../../src/infrastructure/persistence/postgres/postgres-task-repository.js';
import { createTestSchema, type TestSchema } from '../integration/postgres/pg-test-schema.js';
import { RecordingLogger } from '../support/builders.js';
import { describeWithServices } from '../support/with-services.js';
import { describeTaskRepositoryContract } from './task-repository.contract.js';

describeTaskRepositoryContract('InMemoryTaskRepository', async (meta) => {
  const outbox = new InMemoryOutbox(10_000, new RecordingLogger());
  const repository = new InMemoryTaskRepository(outbox, meta);
  // One process holds the storage, so "another replica's repository" is the same instance.
  return { outbox, repository, other: repository, signals: repository };
});

describeWithServices('PostgresTaskRepository', () => {
  let schema: TestSchema;
  beforeAll(async () => {
    schema = await createTestSchema();
  });
  afterAll(async () => {
    await schema?.drop();
  });

  describeTaskRepositoryContract('PostgresTaskRepository', async (meta) => {
    await schema.pool.query('TRUNCATE tasks, outbox RESTART IDENTITY');
    const outbox = new PostgresOutbox(schema.pool, schema.logger);
    // The other replica: its own pool on the same schema, as another process would have.
    const otherPool = schema.newPool(4);
    const signals = new PostgresTaskSignals(schema.pool, schema.logger, { reconnectDelayMs: 200 });
    return {
      outbox,
      repository: new PostgresTaskRepository(schema.pool, meta),
      other: new PostgresTaskRepository(otherPool, meta),
      signals,
      teardown: async () => {
        await signals.close();
        await outbox.close();
        await otherPool.end();
      },
    };
  });
});
