import { describePgError, toJsonb } from '../../../src/infrastructure/persistence/postgres/pg-errors.js';
import { PostgresOutbox } from '../../../src/infrastructure/persistence/postgres/postgres-outbox.js';
import { createPostgresPool, withTransaction } from '../../../src/infrastructure/persistence/postgres/postgres-pool.js';
import { PostgresHealthCheck, PostgresOutboxHealthCheck } from '../../../src/infrastructure/persistence/postgres/postgres-health-check.js';
import { RecordingLogger, testEvents } from '../../support/builders.js';
import { eventually } from '../../contract/outbox.contract.js';
import { createTestSchema, PG_URL, type TestSchema } from './pg-test-schema.js';

const withPassword = (password: string, port = 55432) => {
  const url = new URL(PG_URL);
  url.password = password;
  if (port !== 55432) url.port = String(port);
  return url.toString();
};

describe('Postgres pool, transactions and health (real Postgres)', () => {
  let schema: TestSchema;
  beforeAll(async () => {
    schema = await createTestSchema();
  });
  beforeEach(async () => {
    await schema.truncate();
  });
  afterAll(async () => {
    await schema?.drop();
  });

  it('createPostgresPool - the schema becomes the search_path and the statement timeout applies', async () => {
    const pool = schema.newPool(1);
    const slow = createPostgresPool({ url: PG_URL, poolMax: 1, statementTimeoutMs: 100, schema: schema.name }, new RecordingLogger());
    try {
      await expect(pool.query('SELECT current_schema() AS s')).resolves.toMatchObject({ rows: [{ s: schema.name }] });
      await expect(slow.query('SELECT pg_sleep(1)')).rejects.toMatchObject({ code: '57014' });
    } finally {
      await slow.end();
    }
  });

  it('createPostgresPool - a schema that is not a plain identifier - refused', () => {
    expect(() => createPostgresPool({ url: PG_URL, poolMax: 1, statementTimeoutMs: 100, schema: 'x; DROP TABLE y' }, new RecordingLogger())).toThrow(
      /plain identifier/,
    );
  });

  it('an idle connection killed by the server - logged without credentials; the process lives and the pool recovers', async () => {
    const logger = new RecordingLogger();
    const applicationName = `${schema.name}_idle`;
    const pool = createPostgresPool({ url: PG_URL, poolMax: 2, statementTimeoutMs: 1_000, schema: schema.name, applicationName }, logger);
    try {
      await pool.query('SELECT 1');
      await schema.pool.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [applicationName]);

      await eventually(() => logger.at('error').length > 0, 2_000, 'the idle error to be logged');
      expect(logger.at('error')[0]?.message).toBe('postgres connection failed while idle; it will be replaced');
      expect(logger.text()).not.toContain('mcp:mcp');
      await expect(pool.query('SELECT 1 AS one')).resolves.toMatchObject({ rows: [{ one: 1 }] });
    } finally {
      await pool.end();
    }
  });

  it('withTransaction - commits what fn did and returns its result', async () => {
    const result = await withTransaction(schema.pool, async (client) => {
      await client.query("INSERT INTO sessions (id, state, transport, snapshot, created_at) VALUES ('a', 'CREATED', 'stdio', '{}', now())");
      return 42;
    });

    expect(result).toBe(42);
    await expect(schema.pool.query('SELECT id FROM sessions')).resolves.toMatchObject({ rows: [{ id: 'a' }] });
  });

  it('withTransaction - fn throws - rolls back, rethrows the same error, and returns the connection', async () => {
    const failure = new Error('boom');

    await expect(
      withTransaction(schema.pool, async (client) => {
        await client.query("INSERT INTO sessions (id, state, transport, snapshot, created_at) VALUES ('a', 'CREATED', 'stdio', '{}', now())");
        throw failure;
      }),
    ).rejects.toBe(failure);

    await expect(schema.pool.query('SELECT id FROM sessions')).resolves.toMatchObject({ rowCount: 0 });
    expect(schema.pool.totalCount - schema.pool.idleCount).toBe(0);
  });

  it('PostgresHealthCheck - a live server - up, with timing and pool use', async () => {
    const health = await new PostgresHealthCheck(schema.pool).check();

    expect(health).toMatchObject({ name: 'postgres', status: 'up', detail: expect.stringMatching(/^SELECT 1 in \d+ ms; pool \d+\/\d+ busy, 0 waiting$/) });
  });

  it.each([
    ['nothing listens on the port', withPassword('s3cret-Pa55', 1), 'connection refused'],
    ['a wrong password', withPassword('s3cret-Pa55'), 'authentication failed'],
  ])('PostgresHealthCheck - %s - down with a short reason and no credentials', async (_case, url, reason) => {
    const pool = createPostgresPool({ url, poolMax: 1, statementTimeoutMs: 1_000 }, new RecordingLogger());
    try {
      const health = await new PostgresHealthCheck(pool).check();

      expect(health).toEqual({ name: 'postgres', status: 'down', detail: reason });
    } finally {
      await pool.end();
    }
  });

  it('PostgresHealthCheck - every connection busy - down after the timeout instead of hanging', async () => {
    const pool = createPostgresPool({ url: PG_URL, poolMax: 1, statementTimeoutMs: 5_000 }, new RecordingLogger());
    const held = await pool.connect();
    try {
      const started = Date.now();
      const health = await new PostgresHealthCheck(pool, 150).check();

      expect(health).toEqual({ name: 'postgres', status: 'down', detail: 'no answer within 150 ms' });
      expect(Date.now() - started).toBeLessThan(1_000);
    } finally {
      held.release();
      await pool.end();
    }
  });

  it('PostgresOutboxHealthCheck - up with counts; degraded once something is parked', async () => {
    const outbox = new PostgresOutbox(schema.pool, new RecordingLogger());
    const check = new PostgresOutboxHealthCheck(outbox);
    await outbox.append(testEvents(3));
    await expect(check.check()).resolves.toEqual({ name: 'outbox', status: 'up', detail: 'postgres; pending 3, parked 0' });

    await outbox.release((await outbox.claim(1)).map((entry) => entry.event.id), 'poison', 1);

    await expect(check.check()).resolves.toEqual({ name: 'outbox', status: 'degraded', detail: 'postgres; pending 2, parked 1' });
  });

  it('describePgError - unknown errors keep their text with URL credentials and password fields masked', () => {
    const error = Object.assign(new Error('could not reach postgres://app:hunter2@db:5432/x (password=hunter2)'), { code: 'XX999' });

    expect(describePgError(error)).toBe('could not reach postgres://***@db:5432/x (password=***) (XX999)');
    expect(describePgError(Object.assign(new Error('x'), { code: '28P01' }))).toBe('authentication failed');
  });

  it('toJsonb - U+0000 in values and keys becomes U+FFFD; an escaped backslash before u0000 is left alone', async () => {
    const json = toJsonb({ 'k\u0000': 'a\u0000b', literal: '\\u0000' });

    const { rows } = await schema.pool.query<{ v: Record<string, string> }>('SELECT $1::jsonb AS v', [json]);
    expect(rows[0]?.v).toEqual({ 'k\uFFFD': 'a\uFFFDb', literal: '\\u0000' });
  });
});
