import type { Pool } from 'pg';
import { OutboxRelay } from '../../../src/application/events/outbox-relay.js';
import { InMemoryEventPublisher } from '../../../src/infrastructure/messaging/memory/in-memory-event-publisher.js';
import { OUTBOX_CHANNEL } from '../../../src/infrastructure/persistence/postgres/outbox-append-watcher.js';
import { PostgresOutbox } from '../../../src/infrastructure/persistence/postgres/postgres-outbox.js';
import { createPostgresPool } from '../../../src/infrastructure/persistence/postgres/postgres-pool.js';
import { RecordingLogger, testEvents } from '../../support/builders.js';
import { eventually } from '../../contract/outbox.contract.js';
import { createTestSchema, PG_URL, type TestSchema } from './pg-test-schema.js';

const ids = (entries: readonly { event: { id: string } }[]) => entries.map((entry) => entry.event.id);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Kills every server backend of one application_name, as a crashed process or a network cut would. */
async function terminate(admin: Pool, applicationName: string): Promise<number> {
  const { rows } = await admin.query<{ n: number }>(
    'SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE application_name = $1',
    [applicationName],
  );
  return rows[0]?.n ?? 0;
}

describe('PostgresOutbox recovery (real Postgres)', () => {
  let schema: TestSchema;
  const closers: (() => Promise<void>)[] = [];
  beforeAll(async () => {
    schema = await createTestSchema();
  });
  beforeEach(async () => {
    await schema.truncate();
  });
  afterEach(async () => {
    while (closers.length > 0) await closers.pop()?.();
  });
  afterAll(async () => {
    await schema?.drop();
  });

  /** An outbox on its own pool, with an application_name tests can find its connections by. */
  function instance(name: string, options: ConstructorParameters<typeof PostgresOutbox>[2], logger = new RecordingLogger()) {
    const applicationName = `${schema.name}_${name}`;
    const pool = createPostgresPool({ url: PG_URL, poolMax: 3, statementTimeoutMs: 5_000, schema: schema.name, applicationName }, logger);
    const outbox = new PostgresOutbox(pool, logger, options);
    closers.push(async () => {
      await outbox.close();
      if (!pool.ended) await pool.end();
    });
    return { outbox, pool, logger, applicationName };
  }

  it('a relay that claimed and died (kill -9) - its rows are held until the lease ends, then another instance gets them, in order', async () => {
    const dead = instance('dead', { leaseMs: 600 });
    const survivor = instance('survivor', { leaseMs: 600 });
    await dead.outbox.append(testEvents(5));
    expect(ids(await dead.outbox.claim(3))).toEqual(['e1', 'e2', 'e3']);
    await terminate(schema.pool, dead.applicationName);

    expect(ids(await survivor.outbox.claim(10))).toEqual(['e4', 'e5']);
    await survivor.outbox.markPublished(['e4', 'e5']);
    await expect(survivor.outbox.pending()).resolves.toBe(3);

    await sleep(700);
    const recovered = await survivor.outbox.claim(10);
    expect(ids(recovered)).toEqual(['e1', 'e2', 'e3']);
    expect(recovered.map((entry) => entry.attempts)).toEqual([0, 0, 0]);
    await survivor.outbox.markPublished(ids(recovered));
    await expect(survivor.outbox.pending()).resolves.toBe(0);
  });

  it('a running relay on another instance - publishes a dead relay\'s rows once the lease ends, woken by the poll alone', async () => {
    const dead = instance('dead', { leaseMs: 500 });
    const survivor = instance('survivor', { leaseMs: 500, pollIntervalMs: 100 });
    await dead.outbox.append(testEvents(4));
    await dead.outbox.claim(4);
    await terminate(schema.pool, dead.applicationName);
    const publisher = new InMemoryEventPublisher(100);
    const relay = new OutboxRelay(survivor.outbox, publisher, survivor.logger, { batchSize: 10, maxAttempts: 3 });
    closers.push(() => relay.stop(1_000));

    relay.start();
    await sleep(300);
    expect(publisher.published).toBe(0);

    await eventually(() => publisher.published === 4, 3_000, 'the survivor to publish the orphaned rows');
    expect(publisher.recent().map((event) => event.id)).toEqual(['e1', 'e2', 'e3', 'e4']);
    await eventually(async () => (await survivor.outbox.pending()) === 0, 2_000, 'the rows to be marked published');
  });

  it('LISTEN - an append from another process wakes the listener without waiting for the poll', async () => {
    const watcher = instance('watcher', { pollIntervalMs: 60_000 });
    const writer = instance('writer', {});
    let woken = 0;
    watcher.outbox.onAppend(() => (woken += 1));
    await sleep(150);
    const before = woken;

    await writer.outbox.append(testEvents(1));

    await eventually(() => woken > before, 1_000, 'the notification');
  });

  it('LISTEN - a notification for another schema on the shared channel - ignored', async () => {
    const watcher = instance('watcher', { pollIntervalMs: 60_000 });
    let woken = 0;
    watcher.outbox.onAppend(() => (woken += 1));
    await sleep(150);
    const before = woken;

    await schema.pool.query('SELECT pg_notify($1, $2)', [OUTBOX_CHANNEL, `${schema.name}_other`]);
    await sleep(300);

    expect(woken).toBe(before);
  });

  it('poll - rows that arrived without a notification (trigger off) - still wake the listener', async () => {
    const watcher = instance('watcher', { pollIntervalMs: 100 });
    let woken = 0;
    watcher.outbox.onAppend(() => (woken += 1));
    await sleep(150);
    const before = woken;
    await schema.pool.query('ALTER TABLE outbox DISABLE TRIGGER outbox_appended');
    try {
      await schema.pool.query(
        "INSERT INTO outbox (event_id, type, aggregate_type, aggregate_id, occurred_at, payload) VALUES ('quiet', 't', 'a', 'a', now(), '{}')",
      );
      await eventually(() => woken > before, 2_000, 'the poll');
    } finally {
      await schema.pool.query('ALTER TABLE outbox ENABLE TRIGGER outbox_appended');
    }
  });

  it('LISTEN connection killed - logged, not fatal; the watcher reconnects and notifications flow again', async () => {
    const watcher = instance('watcher', { pollIntervalMs: 60_000, reconnectDelayMs: 50 });
    const writer = instance('writer', {});
    let woken = 0;
    watcher.outbox.onAppend(() => (woken += 1));
    await sleep(150);

    expect(await terminate(schema.pool, watcher.applicationName)).toBe(1);
    await eventually(() => watcher.logger.at('warn').some((line) => line.message.includes('LISTEN connection unavailable')), 2_000, 'the warning');
    await sleep(300);
    const before = woken;
    await writer.outbox.append(testEvents(1));

    await eventually(() => woken > before, 2_000, 'a notification after reconnecting');
    expect(watcher.logger.text()).not.toContain('mcp:mcp');
  });

  it('close - returns the LISTEN connection and stops polling, so the pool can end', async () => {
    const watcher = instance('watcher', { pollIntervalMs: 20 });
    watcher.outbox.onAppend(() => undefined);
    await sleep(100);
    expect(watcher.pool.totalCount).toBeGreaterThan(0);

    await watcher.outbox.close();
    await watcher.pool.end();

    expect(watcher.pool.totalCount).toBe(0);
  });
});
