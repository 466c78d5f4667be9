/**
 * Faults on real services while tfo-mcp serves tool calls: each asserts that nothing acknowledged is
 * lost and nothing is duplicated. A service that is stopped or killed here is always a throwaway
 * instance this file started (own nats-server, redis-server or Postgres cluster, by PID/data dir);
 * the shared instances are only used (own database or stream) and never stopped.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { connectHttpClient, initializeRequest, post, type HttpClientHandle } from '../support/http-client.js';
import { freeLoopbackPort, startHttpServer, type HttpServer } from '../support/http-server.js';
import {
  OwnNatsServer,
  OwnPostgres,
  OwnRedisServer,
  SHARED,
  componentStatus,
  createPgDatabase,
  deleteStream,
  duplicatesOf,
  eventually,
  getHealth,
  infraEnv,
  outboxRows,
  readStreamDurable,
  redisKeys,
  sleep,
  toolExecutionRows,
  uniqueStream,
  waitForOutboxPublished,
  type HealthAnswer,
  type PgDatabase,
} from '../support/infra-services.js';
import { createTempDir } from '../support/temp-workspace.js';

interface CallRecord {
  readonly message: string;
  readonly phase: string;
  readonly sentAt: number;
  readonly receivedAt: number;
  /** The tool answered with the echoed message (and no isError). */
  readonly ok: boolean;
  /** How a failed call failed: `isError: …` for a tool error result, `rpc: …` for a JSON-RPC/transport error. */
  readonly failure?: string;
}

const textOf = (result: CallToolResult): string => result.content.map((c) => (c.type === 'text' ? c.text : '')).join('');

/** Sequential echo calls in the background until stopped; every answer is recorded with its phase. */
class EchoLoop {
  readonly records: CallRecord[] = [];
  phase = 'before';
  private running = true;
  private readonly done: Promise<void>;

  constructor(
    private readonly client: Client,
    private readonly tag: string,
    private readonly pauseMs = 15,
  ) {
    this.done = this.run();
  }

  private async run(): Promise<void> {
    for (let i = 0; this.running; i += 1) {
      const message = `${this.tag}-${i}`;
      const phase = this.phase;
      const sentAt = Date.now();
      let ok = false;
      let failure: string | undefined;
      try {
        const result = (await this.client.callTool({ name: 'echo', arguments: { message } }, undefined, { timeout: 10_000 })) as CallToolResult;
        ok = !result.isError && (result.structuredContent as { message?: string } | undefined)?.message === message;
        if (!ok) failure = `isError: ${textOf(result).slice(0, 300)}`;
      } catch (error) {
        failure = `rpc: ${(error as Error).message.slice(0, 300)}`;
      }
      this.records.push({ message, phase, sentAt, receivedAt: Date.now(), ok, ...(failure !== undefined ? { failure } : {}) });
      await sleep(ok ? this.pauseMs : 50);
    }
  }

  acked(phase?: string): CallRecord[] {
    return this.records.filter((r) => r.ok && (phase === undefined || r.phase === phase));
  }

  failed(): CallRecord[] {
    return this.records.filter((r) => !r.ok);
  }

  /** Resolves once `count` calls of `phase` were acknowledged as successful. */
  async waitForAcked(count: number, phase: string, timeoutMs: number): Promise<void> {
    await eventually(() => (this.acked(phase).length >= count ? true : undefined), timeoutMs, `${count} acknowledged call(s) in phase ${phase}`, 10);
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.done;
  }
}

async function readyWhere(base: string, predicate: (answer: HealthAnswer) => boolean, timeoutMs: number, what: string): Promise<HealthAnswer> {
  return eventually(
    async () => {
      const answer = await getHealth(base, '/ready');
      return predicate(answer) ? answer : undefined;
    },
    timeoutMs,
    what,
    100,
  );
}

/** The server's log records about the outbox relay and publishing, for failure messages. */
function relayLog(server: HttpServer): string {
  return server
    .logRecords()
    .filter((r) => /outbox|publish|nats/i.test(String(r['message'])))
    .slice(-8)
    .map((r) => JSON.stringify(r))
    .join('\n');
}

/** waitForOutboxPublished, failing with the server's relay log appended. */
async function publishedOrExplain(db: PgDatabase, server: HttpServer, timeoutMs: number, minRows = 1) {
  try {
    return await waitForOutboxPublished(db, timeoutMs, minRows);
  } catch (error) {
    throw new Error(`${(error as Error).message}\nserver relay log:\n${relayLog(server)}`);
  }
}

/** Cleanups run in reverse order even when one of them fails. */
class Cleanup {
  private readonly steps: (() => Promise<unknown>)[] = [];

  add(step: () => Promise<unknown>): void {
    this.steps.push(step);
  }

  async run(): Promise<void> {
    for (const step of this.steps.reverse()) await step().catch(() => undefined);
    this.steps.length = 0;
  }
}

let cleanup: Cleanup;

beforeEach(() => {
  cleanup = new Cleanup();
});

afterEach(async () => {
  await cleanup.run();
}, 30_000);

async function workspace(): Promise<string> {
  const root = await createTempDir('tfo-e2e-faults-');
  cleanup.add(() => root.cleanup());
  return root.dir;
}

async function httpServer(env: Record<string, string>, root: string): Promise<HttpServer> {
  const server = await startHttpServer(env, { cwd: root, readyTimeoutMs: 15_000 });
  cleanup.add(() => server.stop());
  return server;
}

async function httpClient(server: HttpServer, name: string): Promise<HttpClientHandle> {
  const client = await connectHttpClient(server.url, { name });
  cleanup.add(() => client.close());
  return client;
}

async function sharedDatabase(): Promise<PgDatabase> {
  const db = await createPgDatabase();
  cleanup.add(() => db.drop());
  return db;
}

/** A Postgres of this test's own (it stops and starts it) with a fresh database; both cleaned up. */
async function ownPostgresWithDatabase(): Promise<{ pgServer: OwnPostgres; db: PgDatabase }> {
  const pgServer = await OwnPostgres.create();
  cleanup.add(() => pgServer.dispose());
  await pgServer.start();
  const db = await createPgDatabase(pgServer.url);
  cleanup.add(() => db.drop());
  return { pgServer, db };
}

describe('infra faults', () => {
  it('NATS stopped mid-stream – calls keep succeeding, events wait in the outbox – after the restart a durable consumer gets every event exactly once', async () => {
    const root = await workspace();
    const db = await sharedDatabase();
    const nats = await OwnNatsServer.create();
    cleanup.add(() => nats.dispose());
    await nats.start();
    const stream = 'TFO_MCP_EVENTS';
    const server = await httpServer(infraEnv({ root, postgresUrl: db.url, events: { url: nats.url, stream, subjectPrefix: 'tfo.mcp' } }), root);
    const client = await httpClient(server, 'faults-nats');
    const sessionId = client.transport.sessionId!;

    const loop = new EchoLoop(client.client, 'nats');
    cleanup.add(() => loop.stop());
    await loop.waitForAcked(15, 'before', 10_000);
    expect(componentStatus(await getHealth(server.base, '/ready'), 'nats')).toBe('up');

    loop.phase = 'outage';
    await nats.stop('SIGTERM');
    const readyDuringOutage = await readyWhere(server.base, (a) => componentStatus(a, 'nats') === 'down', 5_000, '/ready to report nats down');
    // Longer than the publisher's 5 s connect/ack bound, so publish attempts fail and are retried
    // during the outage (not merely held until NATS is back).
    await sleep(6_000);
    await loop.waitForAcked(20, 'outage', 10_000);
    const unpublishedDuringOutage = (await outboxRows(db)).filter((r) => r.published_at === null && r.type === 'tool.executed').length;

    loop.phase = 'after';
    await nats.start();
    await loop.waitForAcked(15, 'after', 10_000);
    await loop.stop();
    await client.transport.terminateSession();

    const rows = await eventually(
      async () => {
        const published = await publishedOrExplain(db, server, 12_000);
        return published.some((r) => r.type === 'session.closed') ? published : undefined;
      },
      12_000,
      'session.closed to be published',
      100,
    );
    const read = await readStreamDurable(nats.url, stream, rows.length);
    const readyAfter = await readyWhere(server.base, (a) => a.status === 200, 5_000, '/ready back to 200');

    // Every call succeeded, NATS down or not: the request path never waits for the broker.
    expect(loop.failed()).toEqual([]);
    expect(readyDuringOutage.status).toBe(503);
    expect(unpublishedDuringOutage).toBeGreaterThan(0);
    expect(componentStatus(readyAfter, 'nats')).toBe('up');

    const ids = read.events.map((e) => e.envelope.id);
    expect(duplicatesOf(ids)).toEqual([]);
    expect([...ids].sort()).toEqual(rows.map((r) => r.event_id).sort());
    expect(read.streamMessages).toBe(rows.length);
    expect(read.numRedelivered).toBe(0);
    const executed = read.events.filter((e) => e.envelope.type === 'tool.executed');
    expect(executed).toHaveLength(loop.acked().length);
    expect(executed.map((e) => e.envelope.data.executionId).sort()).toEqual(
      (await toolExecutionRows(db)).filter((r) => r.outcome === 'success').map((r) => r.id).sort(),
    );
    const sessionTypes = read.events.filter((e) => e.envelope.session_id === sessionId && e.envelope.type.startsWith('session.')).map((e) => e.envelope.type);
    for (const type of ['session.created', 'session.initialized', 'session.ready', 'session.closed']) {
      expect({ type, n: sessionTypes.filter((t) => t === type).length }).toEqual({ type, n: 1 });
    }
    expect(server.exitInfo()).toBeUndefined();
  }, 45_000);

  it('kill -9 between commit and publish – outbox rows survive – a new process on the same database publishes each exactly once', async () => {
    const root = await workspace();
    const db = await sharedDatabase();
    const stream = uniqueStream();
    cleanup.add(() => deleteStream(SHARED.nats, stream.name));
    const unreachable = `nats://127.0.0.1:${await freeLoopbackPort()}`;
    const env = (natsUrl: string) =>
      infraEnv({ root, postgresUrl: db.url, events: { url: natsUrl, stream: stream.name, subjectPrefix: stream.subjectPrefix } });

    const first = await httpServer(env(unreachable), root);
    const client = await connectHttpClient(first.url, { name: 'faults-kill9' });
    const N = 12;
    for (let i = 0; i < N; i += 1) {
      const result = (await client.client.callTool({ name: 'echo', arguments: { message: `kill9-${i}` } })) as CallToolResult;
      expect(result.isError).toBeFalsy();
    }
    await client.close();

    // SIGKILL at a moment when no outbox row is leased by the relay (it claims, waits up to 5 s for
    // NATS, releases, backs off): freeze the process, confirm no lease is held, then kill it. A row
    // leased by a killed relay would come back only when its 30 s lease runs out.
    const deadline = Date.now() + 20_000;
    let killed = false;
    while (!killed && Date.now() < deadline) {
      const [{ leased }] = await db.query<{ leased: number }>('SELECT count(*)::int AS leased FROM outbox WHERE claimed_until > now()');
      if (leased === 0) {
        process.kill(first.pid, 'SIGSTOP');
        await sleep(150);
        const [{ leased: stillLeased }] = await db.query<{ leased: number }>('SELECT count(*)::int AS leased FROM outbox WHERE claimed_until > now()');
        if (stillLeased === 0) {
          await first.kill();
          killed = true;
          break;
        }
        process.kill(first.pid, 'SIGCONT');
      }
      await sleep(10);
    }
    if (!killed) {
      const rows = await outboxRows(db);
      const leases = rows.map((r) => ({ type: r.type, attempts: r.attempts, claimed_until: r.claimed_until, last_error: r.last_error }));
      throw new Error(
        `for 20 s every attempt found outbox rows leased (a failed publish should release them at once and back off):\n` +
          `${JSON.stringify(leases.slice(-3))}\nserver relay log:\n${relayLog(first)}`,
      );
    }
    expect(first.exitInfo()).toEqual({ code: null, signal: 'SIGKILL' });

    const beforeRestart = await outboxRows(db);
    const committed = beforeRestart.filter((r) => r.type === 'tool.executed');
    expect(committed).toHaveLength(N);
    expect(committed.filter((r) => r.published_at !== null)).toEqual([]);
    expect(beforeRestart.filter((r) => r.published_at !== null)).toEqual([]);

    const second = await httpServer(env(SHARED.nats), root);
    const rows = await publishedOrExplain(db, second, 15_000, beforeRestart.length);
    const read = await readStreamDurable(SHARED.nats, stream.name, rows.length);

    const ids = read.events.map((e) => e.envelope.id);
    expect(duplicatesOf(ids)).toEqual([]);
    expect([...ids].sort()).toEqual(rows.map((r) => r.event_id).sort());
    const executed = read.events.filter((e) => e.envelope.type === 'tool.executed');
    expect(executed.map((e) => e.envelope.id).sort()).toEqual(committed.map((r) => r.event_id).sort());
    expect(executed.every((e) => e.msgId === e.envelope.id && e.redeliveryCount === 1)).toBe(true);
    expect(read.streamMessages).toBe(rows.length);
    expect(rows.filter((r) => r.parked_at !== null)).toEqual([]);
    expect((await toolExecutionRows(db)).filter((r) => r.outcome === 'success')).toHaveLength(N);
  }, 45_000);

  it('Postgres restarted mid-load – calls may fail during the outage, the server recovers by itself – every acknowledged call has its row', async () => {
    const root = await workspace();
    const { pgServer, db } = await ownPostgresWithDatabase();
    const server = await httpServer(infraEnv({ root, postgresUrl: db.url, events: 'memory' }), root);
    const client = await httpClient(server, 'faults-pg');
    const loop = new EchoLoop(client.client, 'pg');
    cleanup.add(() => loop.stop());
    await loop.waitForAcked(15, 'before', 10_000);

    loop.phase = 'outage';
    await pgServer.stop();
    const failedBefore = loop.failed().length;
    await eventually(() => (loop.failed().length > failedBefore ? true : undefined), 5_000, 'a call to fail while Postgres is down', 10);
    const readyDuringOutage = await getHealth(server.base, '/ready');
    const healthDuringOutage = await getHealth(server.base, '/health');
    await sleep(1_000);

    loop.phase = 'after';
    await pgServer.start();
    await loop.waitForAcked(15, 'after', 15_000);
    await loop.stop();
    const readyAfter = await readyWhere(server.base, (a) => a.status === 200, 5_000, '/ready back to 200 after the Postgres restart');

    const rows = await toolExecutionRows(db);
    const outbox = await publishedOrExplain(db, server, 10_000);
    const lost = loop.acked().filter(
      (call) => !rows.some((row) => row.outcome === 'success' && row.started_at.getTime() >= call.sentAt && row.started_at.getTime() <= call.receivedAt),
    );

    expect(server.exitInfo()).toBeUndefined();
    expect(lost).toEqual([]);
    expect(componentStatus(readyAfter, 'postgres')).toBe('up');
    // Each failure is an answer, not a hang: an isError result or a JSON-RPC error with a message.
    for (const failure of loop.failed()) expect(failure.failure).toMatch(/^(isError|rpc): \S/);
    expect(loop.failed().every((f) => f.receivedAt - f.sentAt < 9_000)).toBe(true);
    // The last calls after the restart all succeeded: the server recovered without help.
    expect(loop.records.filter((r) => r.phase === 'after').slice(-10).every((r) => r.ok)).toBe(true);
    // No duplicate audit rows or events either.
    expect(duplicatesOf(rows.map((r) => r.id))).toEqual([]);
    const executedIds = outbox.filter((r) => r.type === 'tool.executed').map((r) => r.aggregate_id);
    expect(duplicatesOf(executedIds)).toEqual([]);
    expect(executedIds.sort()).toEqual(rows.filter((r) => r.outcome === 'success').map((r) => r.id).sort());
    // Readiness reports the outage; liveness is the process answering, whatever its dependencies do.
    expect({ status: readyDuringOutage.status, postgres: componentStatus(readyDuringOutage, 'postgres'), body: readyDuringOutage.body }).toMatchObject({
      status: 503,
      postgres: 'down',
    });
    expect({ status: healthDuringOutage.status, body: healthDuringOutage.body }).toMatchObject({ status: 200 });
  }, 45_000);

  it('Postgres down while a replica looks up a session it does not hold – 503 with Retry-After and a log line, never 404; served once Postgres is back', async () => {
    const root = await workspace();
    const { pgServer, db } = await ownPostgresWithDatabase();
    const env = infraEnv({ root, postgresUrl: db.url, events: 'memory' });
    const a = await httpServer(env, root);
    const b = await httpServer(env, root);
    const opened = await post(a.url, initializeRequest(1));
    const sessionId = opened.headers.get('mcp-session-id')!;
    await post(a.url, { jsonrpc: '2.0', method: 'notifications/initialized' }, { sessionId });

    await pgServer.stop();
    const during = await post(b.url, { jsonrpc: '2.0', id: 7, method: 'ping' }, { sessionId });
    expect({ status: during.status, retryAfter: during.headers.get('retry-after'), body: JSON.parse(during.text) }).toMatchObject({
      status: 503,
      retryAfter: expect.stringMatching(/^\d+$/),
      body: { id: 7, error: { message: expect.stringContaining('session store') } },
    });
    expect(b.logRecords().some((r) => r['level'] === 'error' && String(r['message']).includes('looking up a session'))).toBe(true);

    await pgServer.start();
    const after = await eventually(async () => {
      const response = await post(b.url, { jsonrpc: '2.0', id: 8, method: 'ping' }, { sessionId });
      return response.status === 200 ? response : undefined;
    }, 15_000, 'replica B to serve the session once Postgres is back', 200);
    expect(after.messages).toEqual([expect.objectContaining({ id: 8, result: {} })]);
  }, 45_000);

  it('Redis killed – the tool-result cache degrades to misses, /ready 503 and /health 200 – restarted Redis makes /ready 200 again', async () => {
    const root = await workspace();
    const redis = await OwnRedisServer.create();
    cleanup.add(() => redis.stop('SIGKILL'));
    await redis.start();
    const keyPrefix = 'tfo-e2e-faults:';
    const server = await httpServer(
      infraEnv({ root, events: 'memory', redis: { url: redis.url, keyPrefix, ttlMs: 60_000 } }),
      root,
    );
    const client = await httpClient(server, 'faults-redis');
    const echo = async (message: string) =>
      (await client.client.callTool({ name: 'echo', arguments: { message } }, undefined, { timeout: 10_000 })) as CallToolResult;

    const before = [await echo('cached'), await echo('cached')];
    const keysBefore = await redisKeys(redis.url, keyPrefix);
    const readyBefore = await getHealth(server.base, '/ready');

    await redis.stop('SIGKILL');
    const readyDown = await readyWhere(server.base, (a) => componentStatus(a, 'redis') === 'down', 5_000, '/ready to report redis down');
    const healthDown = await getHealth(server.base, '/health');
    const during: CallToolResult[] = [];
    for (let i = 0; i < 10; i += 1) during.push(await echo(i % 2 === 0 ? 'cached' : `fresh-${i}`));

    const restartedAt = Date.now();
    await redis.start();
    const readyAgain = await readyWhere(server.base, (a) => a.status === 200, 8_000, '/ready back to 200 after the Redis restart');
    const recoveredMs = Date.now() - restartedAt;
    const after = await echo('after-restart');
    const keysAfter = await eventually(
      async () => {
        const keys = await redisKeys(redis.url, keyPrefix);
        return keys.length > 0 ? keys : undefined;
      },
      3_000,
      'a cache entry in the restarted Redis',
    );

    expect(before.map((r) => r.structuredContent)).toEqual([{ message: 'cached' }, { message: 'cached' }]);
    expect(keysBefore.length).toBeGreaterThan(0);
    expect(readyBefore.status).toBe(200);
    expect({ status: readyDown.status, redis: componentStatus(readyDown, 'redis') }).toEqual({ status: 503, redis: 'down' });
    expect(healthDown.status).toBe(200);
    expect(during.filter((r) => r.isError)).toEqual([]);
    expect(during.map((r) => (r.structuredContent as { message: string }).message)).toEqual(
      Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? 'cached' : `fresh-${i}`)),
    );
    expect(componentStatus(readyAgain, 'redis')).toBe('up');
    expect(recoveredMs).toBeLessThan(8_000);
    expect(after.structuredContent).toEqual({ message: 'after-restart' });
    expect(keysAfter.every((k) => k.startsWith(keyPrefix))).toBe(true);
    expect(server.exitInfo()).toBeUndefined();
  }, 45_000);
});
