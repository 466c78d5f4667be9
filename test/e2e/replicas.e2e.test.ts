import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { deleteSession, openRawSession, rawRequest } from '../support/http-client.js';
import { startHttpServer, type HttpServer } from '../support/http-server.js';

/**
 * Two replicas sharing Postgres (sessions, outbox) and Redis (resumability events), no sticky
 * sessions: a session opened on one is served by the other, and survives a restart of the first.
 */
const PG_URL = process.env['TFO_PG_URL'];
const REDIS_URL = process.env['TFO_REDIS_URL'];

function databaseUrl(base: string, database: string): string {
  const url = new URL(base);
  url.pathname = `/${database}`;
  return url.toString();
}

describe('HTTP replicas sharing Postgres and Redis', () => {
  const database = `t_replicas_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_URL });
  const started: HttpServer[] = [];
  let env: Record<string, string>;

  const sessionState = async (sessionId: string): Promise<string | undefined> => {
    const db = new pg.Client({ connectionString: databaseUrl(PG_URL!, database) });
    await db.connect();
    try {
      const { rows } = await db.query<{ state: string }>('SELECT state FROM sessions WHERE id = $1', [sessionId]);
      return rows[0]?.state;
    } finally {
      await db.end();
    }
  };

  const replica = async () => {
    const server = await startHttpServer(env);
    started.push(server);
    return server;
  };

  beforeAll(async () => {
    if (!PG_URL || !REDIS_URL) throw new Error('TFO_PG_URL and TFO_REDIS_URL must be set: run `eval "$(bash scripts/services.sh up)"` (npm test does)');
    await admin.connect();
    await admin.query(`CREATE DATABASE ${database}`);
    env = {
      TELEMETRYFLOW_MCP_PERSISTENCE__DRIVER: 'postgres',
      TELEMETRYFLOW_MCP_PERSISTENCE__POSTGRES__URL: databaseUrl(PG_URL, database),
      TELEMETRYFLOW_MCP_CACHE__DRIVER: 'redis',
      TELEMETRYFLOW_MCP_CACHE__REDIS__URL: REDIS_URL,
      TELEMETRYFLOW_MCP_CACHE__REDIS__KEY_PREFIX: `${database}:`,
      TELEMETRYFLOW_MCP_EVENTS__DRIVER: 'none',
    };
  });

  afterAll(async () => {
    for (const server of started) await server.stop();
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.end();
  });

  it('a session opened on replica A – called on replica B – answered there, and DELETE on B ends it for both', async () => {
    const a = await replica();
    const b = await replica();
    const { sessionId } = await openRawSession(a.url);

    const onB = await rawRequest(b.url, sessionId, 'tools/call', { name: 'echo', arguments: { message: 'via B' } });
    expect(onB.error).toBeUndefined();
    expect((onB.result as { content: { text: string }[] }).content[0].text).toBe('via B');
    const onA = await rawRequest(a.url, sessionId, 'tools/call', { name: 'echo', arguments: { message: 'via A' } });
    expect((onA.result as { content: { text: string }[] }).content[0].text).toBe('via A');

    expect((await deleteSession(b.url, sessionId)).status).toBe(200);
    expect(await sessionState(sessionId)).toBe('CLOSED');
    const afterDelete = await fetch(b.url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream', 'Mcp-Session-Id': sessionId },
      body: JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'ping' }),
    });
    expect(afterDelete.status).toBe(404);
  });

  it('replica A restarted (SIGTERM) – its session – still served by the new process and recorded READY, not CLOSED', async () => {
    const first = await replica();
    const { sessionId } = await openRawSession(first.url);
    expect((await first.stop()).code).toBe(0);

    const second = await replica();
    const answer = await rawRequest(second.url, sessionId, 'tools/call', { name: 'echo', arguments: { message: 'after restart' } });
    expect((answer.result as { content: { text: string }[] }).content[0].text).toBe('after restart');

    expect(await sessionState(sessionId)).toBe('READY');
  });

  it('an unknown session id on a replica – 404, nothing adopted', async () => {
    const a = await replica();
    const response = await fetch(a.url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream', 'Mcp-Session-Id': '00000000-0000-4000-8000-000000000000' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
    });
    expect(response.status).toBe(404);
  });
});
