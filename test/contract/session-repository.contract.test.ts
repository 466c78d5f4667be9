import { InMemoryOutbox } from '../../src/infrastructure/persistence/memory/in-memory-outbox.js';
import { InMemorySessionRepository } from '../../src/infrastructure/persistence/memory/in-memory-session-repository.js';
import { PostgresOutbox } from '../../src/infrastructure/persistence/postgres/postgres-outbox.js';
import { PostgresSessionRepository } from '../../src/infrastructure/persistence/postgres/postgres-session-repository.js';
import { createTestSchema, type TestSchema } from '../integration/postgres/pg-test-schema.js';
import { RecordingLogger } from '../support/builders.js';
import { describeWithServices } from '../support/with-services.js';
import { describeSessionRepositoryContract } from './session-repository.contract.js';

describeSessionRepositoryContract('InMemorySessionRepository', async () => {
  const outbox = new InMemoryOutbox(10_000, new RecordingLogger());
  return { outbox, repository: new InMemorySessionRepository(outbox, 1_000) };
});

describeWithServices('PostgresSessionRepository', () => {
  let schema: TestSchema;
  beforeAll(async () => {
    schema = await createTestSchema();
  });
  afterAll(async () => {
    await schema?.drop();
  });

  describeSessionRepositoryContract('PostgresSessionRepository', async (meta) => {
    await schema.truncate();
    const outbox = new PostgresOutbox(schema.pool, schema.logger);
    return { outbox, repository: new PostgresSessionRepository(schema.pool, meta), teardown: () => outbox.close() };
  });
});
