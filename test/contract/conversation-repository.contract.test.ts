import { InMemoryConversationRepository } from '../../src/infrastructure/persistence/memory/in-memory-conversation-repository.js';
import { InMemoryOutbox } from '../../src/infrastructure/persistence/memory/in-memory-outbox.js';
import { PostgresConversationRepository } from '../../src/infrastructure/persistence/postgres/postgres-conversation-repository.js';
import { PostgresOutbox } from '../../src/infrastructure/persistence/postgres/postgres-outbox.js';
import { createTestSchema, type TestSchema } from '../integration/postgres/pg-test-schema.js';
import { RecordingLogger } from '../support/builders.js';
import { describeWithServices } from '../support/with-services.js';
import { describeConversationRepositoryContract } from './conversation-repository.contract.js';

describeConversationRepositoryContract('InMemoryConversationRepository', async (meta) => {
  const outbox = new InMemoryOutbox(10_000, new RecordingLogger());
  return { outbox, repository: new InMemoryConversationRepository(outbox, meta) };
});

describeWithServices('PostgresConversationRepository', () => {
  let schema: TestSchema;
  beforeAll(async () => {
    schema = await createTestSchema();
  });
  afterAll(async () => {
    await schema?.drop();
  });

  describeConversationRepositoryContract('PostgresConversationRepository', async (meta) => {
    await schema.truncate();
    const outbox = new PostgresOutbox(schema.pool, schema.logger);
    return { outbox, repository: new PostgresConversationRepository(schema.pool, meta), teardown: () => outbox.close() };
  });
});
