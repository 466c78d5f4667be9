import type { Pool } from 'pg';
import { checksumOf, type Migration } from '../../../src/infrastructure/persistence/postgres/migration.js';
import { MIGRATIONS } from '../../../src/infrastructure/persistence/postgres/migrations.js';
import { migrate, MigrationError } from '../../../src/infrastructure/persistence/postgres/migrator.js';
import { createPostgresPool } from '../../../src/infrastructure/persistence/postgres/postgres-pool.js';
import { RecordingLogger } from '../../support/builders.js';
import { createTestSchema, PG_URL, type TestSchema } from './pg-test-schema.js';

const ALL = ['001_outbox', '002_sessions', '003_tool_executions', '004_conversations', '005_tasks', '006_stateless_executions', '007_conversations_v2', '008_api_keys', '009_session_principal'];
const LATEST = ALL.length;
const NEXT = LATEST + 1;
/** How the migrator names a version in its reports and messages: three digits. */
const label = (version: number, name: string) => `${String(version).padStart(3, '0')}_${name}`;
const extra = (version: number, sql: string, name = 'extra'): Migration => ({ version, name, sql });

async function tables(pool: Pool): Promise<string[]> {
  const { rows } = await pool.query<{ table_name: string }>(
    'SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY table_name',
  );
  return rows.map((row) => row.table_name);
}

async function recorded(pool: Pool) {
  const { rows } = await pool.query<{ version: number; name: string; checksum: string; applied_at: Date }>(
    'SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version',
  );
  return rows;
}

describe('migrate (real Postgres, a fresh schema per test)', () => {
  let schema: TestSchema;
  beforeEach(async () => {
    schema = await createTestSchema({ migrate: false });
  });
  afterEach(async () => {
    await schema.drop();
  });

  it('fresh schema - applies every migration in order and records version, name and checksum', async () => {
    const report = await migrate(schema.pool, schema.logger);

    expect(report).toEqual({ applied: ALL, version: LATEST });
    expect((await recorded(schema.pool)).map((row) => [row.version, row.name, row.checksum])).toEqual(
      MIGRATIONS.map((m) => [m.version, m.name, checksumOf(m)]),
    );
    expect(await tables(schema.pool)).toEqual(['api_keys', 'conversation_messages', 'conversations', 'outbox', 'schema_migrations', 'sessions', 'tasks', 'tool_executions']);
    expect(schema.logger.at('info').map((line) => line.fields.migration)).toEqual(ALL);
  });

  it('run twice - the second run applies nothing and leaves the records untouched', async () => {
    await migrate(schema.pool, schema.logger);
    const before = await recorded(schema.pool);

    await expect(migrate(schema.pool, schema.logger)).resolves.toEqual({ applied: [], version: LATEST });

    expect(await recorded(schema.pool)).toEqual(before);
  });

  it('four instances migrating a fresh schema at once - all succeed, each migration applied exactly once', async () => {
    const pools = [schema.pool, schema.newPool(2), schema.newPool(2), schema.newPool(2)];

    const reports = await Promise.all(pools.map((pool) => migrate(pool, new RecordingLogger())));

    expect(reports.flatMap((report) => report.applied).sort()).toEqual(ALL);
    expect(reports.every((report) => report.version === LATEST)).toBe(true);
    expect((await recorded(schema.pool)).map((row) => row.version)).toEqual(ALL.map((_, i) => i + 1));
  });

  it('an applied migration whose SQL changed - refuses with an error naming it, and applies nothing newer', async () => {
    await migrate(schema.pool, schema.logger);
    await schema.pool.query("UPDATE schema_migrations SET checksum = 'tampered' WHERE version = 2");

    const attempt = migrate(schema.pool, schema.logger, { migrations: [...MIGRATIONS, extra(NEXT, 'CREATE TABLE extra (x int)')] });

    await expect(attempt).rejects.toBeInstanceOf(MigrationError);
    await expect(attempt).rejects.toThrow(/migration 002_sessions was changed after it was applied/);
    expect(await tables(schema.pool)).not.toContain('extra');
  });

  it('a migration added later - only it is applied', async () => {
    await migrate(schema.pool, schema.logger);

    const report = await migrate(schema.pool, schema.logger, { migrations: [...MIGRATIONS, extra(NEXT, 'CREATE TABLE extra (x int)')] });

    expect(report).toEqual({ applied: [label(NEXT, 'extra')], version: NEXT });
    expect(await tables(schema.pool)).toContain('extra');
  });

  it('a failing migration - rolled back whole and not recorded; earlier ones stay; the lock is free for the next run', async () => {
    const broken = extra(NEXT, 'CREATE TABLE half_done (x int); SELECT 1 / 0;', 'broken');

    const attempt = migrate(schema.pool, schema.logger, { migrations: [...MIGRATIONS, broken] });

    await expect(attempt).rejects.toThrow(new RegExp(`migration ${label(NEXT, 'broken')} failed and was rolled back: division by zero`));
    expect((await recorded(schema.pool)).map((row) => row.version)).toEqual(ALL.map((_, i) => i + 1));
    expect(await tables(schema.pool)).not.toContain('half_done');
    await expect(migrate(schema.pool, schema.logger)).resolves.toEqual({ applied: [], version: LATEST });
  });

  it('after a run - the advisory lock is released and the session settings are back to the pool defaults', async () => {
    const pool = createPostgresPool({ url: PG_URL, poolMax: 1, statementTimeoutMs: 1234, schema: schema.name }, schema.logger);
    try {
      await migrate(pool, schema.logger);

      const { rows } = await pool.query<{ statement_timeout: string; lock_timeout: string }>(
        "SELECT current_setting('statement_timeout') AS statement_timeout, current_setting('lock_timeout') AS lock_timeout",
      );
      expect(rows[0]).toEqual({ statement_timeout: '1234ms', lock_timeout: '0' });
      const other = await schema.pool.query<{ locked: boolean }>(
        `SELECT pg_try_advisory_lock(${0x74666f31}, hashtext(current_schema())) AS locked`,
      );
      expect(other.rows[0]?.locked).toBe(true);
    } finally {
      await pool.end();
    }
  });

  it('another instance holding the migration lock past lockTimeoutMs - refused with a clear error, nothing applied', async () => {
    const holder = await schema.pool.connect();
    try {
      await holder.query(`SELECT pg_advisory_lock(${0x74666f31}, hashtext(current_schema()))`);

      await expect(migrate(schema.newPool(1), schema.logger, { lockTimeoutMs: 100 })).rejects.toThrow(
        /another instance held the migration lock for more than 100 ms/,
      );
      expect(await tables(schema.pool)).toEqual([]);
    } finally {
      holder.release(true);
    }
  });

  it('a new migration numbered below one already applied - refused, naming it', async () => {
    await migrate(schema.pool, schema.logger, { migrations: [...MIGRATIONS, extra(NEXT + 1, 'SELECT 1', 'later')] });

    const attempt = migrate(schema.pool, schema.logger, { migrations: [...MIGRATIONS, extra(NEXT, 'SELECT 1', 'skipped'), extra(NEXT + 1, 'SELECT 1', 'later')] });

    await expect(attempt).rejects.toThrow(new RegExp(`migration ${label(NEXT, 'skipped')} is not applied but version ${NEXT + 1} already is`));
  });

  it('the database knows a migration this build does not - runs, and warns', async () => {
    await migrate(schema.pool, schema.logger, { migrations: [...MIGRATIONS, extra(NEXT, 'SELECT 1', 'newer')] });

    await expect(migrate(schema.pool, schema.logger)).resolves.toEqual({ applied: [], version: NEXT });

    expect(schema.logger.at('warn')).toEqual([
      expect.objectContaining({ message: 'database has migrations this build does not know', fields: expect.objectContaining({ migrations: [label(NEXT, 'newer')] }) }),
    ]);
  });

  it('a migration list out of order - refused before touching the database', async () => {
    const attempt = migrate(schema.pool, schema.logger, { migrations: [MIGRATIONS[1], MIGRATIONS[0]] as Migration[] });

    await expect(attempt).rejects.toThrow(/out of order at 001_outbox/);
    expect(await tables(schema.pool)).toEqual([]);
  });

  it('a search_path naming no existing schema - refused with a clear error', async () => {
    const pool = createPostgresPool({ url: PG_URL, poolMax: 1, statementTimeoutMs: 1000, schema: `${schema.name}_missing` }, schema.logger);
    try {
      await expect(migrate(pool, schema.logger)).rejects.toThrow(/no schema to migrate/);
    } finally {
      await pool.end();
    }
  });
});
