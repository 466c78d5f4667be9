import { createServer, type Server, type Socket } from 'node:net';
import type { ClickHouseClient } from '@clickhouse/client';
import { ClickHouseToolUsageReader } from '../../../src/infrastructure/analytics/clickhouse-tool-usage-reader.js';
import { createClickHouseClient } from '../../../src/infrastructure/analytics/clickhouse-client.js';
import { describeFailure } from '../../../src/infrastructure/analytics/clickhouse-errors.js';
import { ClickHouseHealthCheck } from '../../../src/infrastructure/analytics/clickhouse-health-check.js';
import { ClickHouseMigrator } from '../../../src/infrastructure/analytics/clickhouse-migrator.js';
import { ClickHouseProjection } from '../../../src/infrastructure/analytics/clickhouse-projection.js';
import { RecordingLogger } from '../../support/builders.js';
import { FixedClock } from '../../support/fixed-clock.js';
import { CLICKHOUSE_URL, openTestDatabase, toolEvent, type TestDatabase } from './clickhouse-fixture.js';

const SECRET = 'pw-S3cret-9f2';
const clock = new FixedClock();

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Accepts connections and never answers: what a hung server looks like to the client. */
async function silentServer(): Promise<{ port: number; stop(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    port,
    stop: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function timed<T>(promise: Promise<T>): Promise<{ ms: number; outcome: PromiseSettledResult<T> }> {
  const started = performance.now();
  const [outcome] = await Promise.allSettled([promise]);
  return { ms: performance.now() - started, outcome };
}

function rejection(outcome: PromiseSettledResult<unknown>): Error & { code?: string } {
  if (outcome.status !== 'rejected') throw new Error('expected a rejection');
  return outcome.reason as Error & { code?: string };
}

describe('ClickHouse adapters and an unreachable or hung server', () => {
  const clients: ClickHouseClient[] = [];
  const client = (url: string, logger: RecordingLogger, password = SECRET, requestTimeoutMs = 1_000) => {
    const c = createClickHouseClient({ url, username: 'default', password, requestTimeoutMs }, logger);
    clients.push(c);
    return c;
  };
  let db: TestDatabase;

  beforeAll(async () => {
    db = await openTestDatabase('connectivity');
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await db?.drop();
  });

  it('health check against the running server - up', async () => {
    const health = await new ClickHouseHealthCheck(db.client).check();

    expect(health).toEqual({ name: 'clickhouse', status: 'up', detail: expect.stringMatching(/^ping \d+ ms$/) });
  });

  it('health check with a wrong password - down (the check authenticates), the password not in the detail', async () => {
    const logger = new RecordingLogger();

    const health = await new ClickHouseHealthCheck(client(CLICKHOUSE_URL, logger)).check();

    expect(health).toMatchObject({ name: 'clickhouse', status: 'down', detail: expect.stringContaining('Wrong password') });
    expect(JSON.stringify([health, logger.lines])).not.toContain(SECRET);
  });

  it('publish to a closed port - rejects quickly with analytics.write_failed, no credentials, client log routed to our logger', async () => {
    const logger = new RecordingLogger();
    const port = await closedPort();
    const projection = new ClickHouseProjection(client(`http://127.0.0.1:${port}`, logger), { database: 'tfo_mcp', batchSize: 100 }, logger, clock);

    const { ms, outcome } = await timed(projection.publish([toolEvent('read_file', 'success', 1, clock.now())]));

    const error = rejection(outcome);
    expect(ms).toBeLessThan(2_000);
    expect(error).toMatchObject({ name: 'AnalyticsError', code: 'analytics.write_failed' });
    expect(error.message).toBe(`ClickHouse insert of 1 row(s) into \`tfo_mcp\`.\`events\` failed: connect ECONNREFUSED 127.0.0.1:${port}`);
    expect(logger.lines).toContainEqual(expect.objectContaining({ level: 'debug', message: expect.stringContaining('HTTP request error'), fields: expect.objectContaining({ component: 'clickhouse-client' }) }));
    expect(JSON.stringify([error.message, logger.lines])).not.toContain(SECRET);
  });

  it('publish with credentials in the URL - the error text has them redacted', async () => {
    const logger = new RecordingLogger();
    const port = await closedPort();
    const projection = new ClickHouseProjection(client(`http://alice:${SECRET}@127.0.0.1:${port}`, logger, ''), { database: 'tfo_mcp', batchSize: 100 }, logger, clock);

    const error = rejection((await timed(projection.publish([toolEvent('read_file', 'success', 1, clock.now())]))).outcome);

    expect(error.message).toContain('ECONNREFUSED');
    expect(JSON.stringify([error.message, error.stack, logger.lines])).not.toContain(SECRET);
  });

  it('describeFailure - URL user-info redacted, the 18.16 exception noise trimmed, one bounded line', () => {
    expect(describeFailure(new Error(`request to http://alice:${SECRET}@ch.internal:8123/?q=1 failed`))).toBe('request to http://[redacted]@ch.internal:8123/?q=1 failed');
    expect(describeFailure(new Error('Code: 81, e.displayText() = DB::Exception: Database x doesn\'t exist, e.what() = DB::Exception\n'))).toBe("Code: 81, e.displayText() = DB::Exception: Database x doesn't exist");
    expect(describeFailure({ message: 'from another realm' })).toBe('from another realm');
    expect(describeFailure('x'.repeat(1000))).toHaveLength(301);
  });

  it('publish, read, migrate and health against a server that never answers - each settles within its timeout', async () => {
    const silent = await silentServer();
    try {
      const logger = new RecordingLogger();
      const c = client(`http://127.0.0.1:${silent.port}`, logger, SECRET, 500);
      const projection = new ClickHouseProjection(c, { database: 'tfo_mcp', batchSize: 100 }, logger, clock);

      const [publish, read, migrate, health] = await Promise.all([
        timed(projection.publish([toolEvent('read_file', 'success', 1, clock.now())])),
        timed(new ClickHouseToolUsageReader(c, 'tfo_mcp', clock).toolUsage()),
        timed(new ClickHouseMigrator(c, 'tfo_mcp', logger, clock).migrate()),
        timed(new ClickHouseHealthCheck(c, 300).check()),
      ]);

      expect(rejection(publish.outcome)).toMatchObject({ code: 'analytics.write_failed', message: expect.stringMatching(/timeout/i) });
      expect(rejection(read.outcome)).toMatchObject({ code: 'analytics.read_failed', message: expect.stringMatching(/timeout/i) });
      expect(rejection(migrate.outcome)).toMatchObject({ code: 'analytics.migration_failed' });
      expect(health.outcome).toEqual({ status: 'fulfilled', value: { name: 'clickhouse', status: 'down', detail: 'no answer within 300 ms' } });
      for (const { ms } of [publish, read, migrate]) expect(ms).toBeLessThan(2_000);
      expect(health.ms).toBeLessThan(1_000);
      expect(JSON.stringify(logger.lines)).not.toContain(SECRET);
    } finally {
      await silent.stop();
    }
  });
});
