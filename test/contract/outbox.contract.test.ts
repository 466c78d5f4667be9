import { InMemoryOutbox } from '../../src/infrastructure/persistence/memory/in-memory-outbox.js';
import { PostgresOutbox } from '../../src/infrastructure/persistence/postgres/postgres-outbox.js';
import { createTestSchema, type TestSchema } from '../integration/postgres/pg-test-schema.js';
import { RecordingLogger } from '../support/builders.js';
import { describeWithServices } from '../support/with-services.js';
import { describeOutboxContract, describeSharedOutboxContract } from './outbox.contract.js';

describeOutboxContract('InMemoryOutbox', async () => ({ outbox: new InMemoryOutbox(100_000, new RecordingLogger()) }));

describeWithServices('PostgresOutbox', () => {
  let schema: TestSchema;
  beforeAll(async () => {
    schema = await createTestSchema();
  });
  afterAll(async () => {
    await schema?.drop();
  });

  describeOutboxContract('PostgresOutbox', async () => {
    await schema.truncate();
    const outbox = new PostgresOutbox(schema.pool, schema.logger, { pollIntervalMs: 200 });
    return { outbox, teardown: () => outbox.close() };
  });

  describeSharedOutboxContract('PostgresOutbox, two instances on two pools', async () => {
    await schema.truncate();
    const outbox = new PostgresOutbox(schema.pool, schema.logger, { pollIntervalMs: 200 });
    const other = new PostgresOutbox(schema.newPool(4), schema.logger, { pollIntervalMs: 200 });
    return {
      outbox,
      other,
      teardown: async () => {
        await outbox.close();
        await other.close();
      },
    };
  });
});
