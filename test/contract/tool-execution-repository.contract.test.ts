import { InMemoryOutbox } from '../../src/infrastructure/persistence/memory/in-memory-outbox.js';
import { InMemoryToolExecutionRepository } from '../../src/infrastructure/persistence/memory/in-memory-tool-execution-repository.js';
import { PostgresOutbox } from '../../src/infrastructure/persistence/postgres/postgres-outbox.js';
import { PostgresToolExecutionRepository } from '../../src/infrastructure/persistence/postgres/postgres-tool-execution-repository.js';
import { createTestSchema, type TestSchema } from '../integration/postgres/pg-test-schema.js';
import { RecordingLogger } from '../support/builders.js';
import { describeWithServices } from '../support/with-services.js';
import { describeToolExecutionRepositoryContract } from './tool-execution-repository.contract.js';

describeToolExecutionRepositoryContract('InMemoryToolExecutionRepository', async () => {
  const outbox = new InMemoryOutbox(10_000, new RecordingLogger());
  return { outbox, repository: new InMemoryToolExecutionRepository(outbox) };
});

describeWithServices('PostgresToolExecutionRepository', () => {
  let schema: TestSchema;
  beforeAll(async () => {
    schema = await createTestSchema();
  });
  afterAll(async () => {
    await schema?.drop();
  });

  describeToolExecutionRepositoryContract('PostgresToolExecutionRepository', async () => {
    await schema.truncate();
    const outbox = new PostgresOutbox(schema.pool, schema.logger);
    return { outbox, repository: new PostgresToolExecutionRepository(schema.pool), teardown: () => outbox.close() };
  });
});
