/**
 * tfo-mcp on all four real services at once (Postgres, NATS JetStream, Redis, ClickHouse), driven
 * over stdio (spawned as Claude Desktop does) and over Streamable HTTP, then the same facts read back
 * from every store: Postgres state + outbox, the NATS stream, the ClickHouse projection, the
 * analytics://tool-usage resource and /ready. Each store is isolated per run (own database, stream,
 * subject prefix, ClickHouse database, Redis key prefix) on the shared instances, and dropped after.
 */
import path from 'node:path';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { connectHttpClient, type HttpClientHandle } from '../support/http-client.js';
import { startHttpServer, type HttpServer } from '../support/http-server.js';
import {
  SHARED,
  componentStatus,
  createPgDatabase,
  deleteRedisKeys,
  deleteStream,
  duplicatesOf,
  eventually,
  getHealth,
  infraEnv,
  openChDatabase,
  readStreamDurable,
  redisKeys,
  toolExecutionRows,
  uniqueRedisPrefix,
  uniqueStream,
  waitForOutboxPublished,
  type ChDatabase,
  type DurableRead,
  type HealthAnswer,
  type OutboxRow,
  type PgDatabase,
  type TestStream,
  type ToolExecutionRow,
} from '../support/infra-services.js';
import { startClient, stdoutProblems, type ClientHandle } from '../support/spawn-server.js';
import { createTempWorkspace, type TempWorkspace } from '../support/temp-workspace.js';

const SESSION_LIFECYCLE = ['session.created', 'session.initialized', 'session.ready', 'session.closed'];

interface Calls {
  echo: CallToolResult;
  readOk: CallToolResult;
  readMissing: CallToolResult;
  list: CallToolResult;
}

/** Expected per (tool, outcome) over both sessions: stdio makes 4 calls, HTTP the same 4 plus a repeated echo. */
const EXPECTED_COUNTS: Record<string, number> = {
  'echo/success': 3,
  'list_directory/success': 2,
  'read_file/error': 2,
  'read_file/success': 2,
};

let ws: TempWorkspace;
let db: PgDatabase;
let stream: TestStream;
let ch: ChDatabase;
let redisPrefix: string;
let env: Record<string, string>;
let http: HttpServer | undefined;

let stdioCalls: Calls;
let stdioStdout: { problems: string[] };
let httpCalls: Calls & { echoAgain: CallToolResult };
let httpSessionId: string;
let cacheKeysAfterCalls: string[];
let statusText = '';
let usageText: string;
let readyDuringSession: HealthAnswer;

let outbox: OutboxRow[];
let executions: ToolExecutionRow[];
let natsRead: DurableRead;

async function call(client: ClientHandle['client'], name: string, args: Record<string, unknown>): Promise<CallToolResult> {
  return (await client.callTool({ name, arguments: args }, undefined, { timeout: 15_000 })) as CallToolResult;
}

async function fourCalls(client: ClientHandle['client'], tag: string): Promise<Calls> {
  return {
    echo: await call(client, 'echo', { message: `hello over ${tag}` }),
    readOk: await call(client, 'read_file', { path: ws.files.text }),
    readMissing: await call(client, 'read_file', { path: path.join(ws.root, `missing-${tag}.txt`) }),
    list: await call(client, 'list_directory', { path: ws.root }),
  };
}

function countsOf(rows: readonly { tool: string; outcome: string | null }[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const row of rows) counts[`${row.tool}/${row.outcome}`] = (counts[`${row.tool}/${row.outcome}`] ?? 0) + 1;
  return counts;
}

const text = (result: CallToolResult): string => result.content.map((c) => (c.type === 'text' ? c.text : '')).join('');

beforeAll(async () => {
  ws = await createTempWorkspace('tfo-e2e-infra-all-');
  db = await createPgDatabase();
  ch = await openChDatabase();
  stream = uniqueStream();
  redisPrefix = uniqueRedisPrefix('all-services');
  env = infraEnv({
    root: ws.root,
    postgresUrl: db.url,
    events: { url: SHARED.nats, stream: stream.name, subjectPrefix: stream.subjectPrefix },
    redis: { url: SHARED.redis, keyPrefix: redisPrefix, ttlMs: 60_000 },
    clickhouse: { url: SHARED.clickhouse, database: ch.name },
    extra: { TELEMETRYFLOW_MCP_EVENTS__NATS__STORAGE: 'memory' },
  });

  // 1. stdio, exactly as a desktop host spawns it; close() ends stdin and waits for the exit.
  const stdio = await startClient(env, { cwd: ws.root, clientName: 'infra-all-stdio' });
  try {
    stdioCalls = await fourCalls(stdio.client, 'stdio');
  } finally {
    await stdio.close();
  }
  stdioStdout = { problems: stdoutProblems(stdio.stdoutLines, stdio.unterminated()) };

  // 2. Streamable HTTP on a second process sharing every store with the first.
  http = await startHttpServer(env, { cwd: ws.root });
  const client: HttpClientHandle = await connectHttpClient(http.url, { name: 'infra-all-http' });
  try {
    const calls = await fourCalls(client.client, 'http');
    httpCalls = { ...calls, echoAgain: await call(client.client, 'echo', { message: 'hello over http' }) };
    httpSessionId = client.transport.sessionId!;
    cacheKeysAfterCalls = await redisKeys(SHARED.redis, redisPrefix);
    readyDuringSession = await getHealth(http.base, '/ready');

    // The projection is fed by the same relay: once ClickHouse has all 9 executions, read the resource.
    await eventually(
      async () => {
        const [row] = await ch.select<{ n: string }>(`SELECT count() AS n FROM ${ch.name}.tool_executions FINAL`);
        return Number(row?.n) === 9 ? true : undefined;
      },
      20_000,
      '9 tool executions in ClickHouse',
      100,
    );
    const usage = await client.client.readResource({ uri: 'analytics://tool-usage' });
    usageText = usage.contents.map((c) => ('text' in c ? c.text : '')).join('');
    const status = await client.client.readResource({ uri: 'status://health' });
    statusText = status.contents.map((c) => ('text' in c ? c.text : '')).join('');

    await client.transport.terminateSession(); // DELETE /mcp: the session closes
  } finally {
    await client.close();
  }

  // 3. Everything both processes recorded, once the relay has published it all (the session close included).
  outbox = await eventually(
    async () => {
      const rows = await waitForOutboxPublished(db, 15_000);
      return rows.filter((r) => r.type === 'session.closed').length === 2 ? rows : undefined;
    },
    15_000,
    'both session.closed events published',
    100,
  );
  executions = await toolExecutionRows(db);
  natsRead = await readStreamDurable(SHARED.nats, stream.name, outbox.length);
}, 90_000);

afterAll(async () => {
  await http?.stop();
  await deleteStream(SHARED.nats, stream.name).catch(() => undefined);
  await deleteRedisKeys(SHARED.redis, redisPrefix).catch(() => undefined);
  await ch?.drop().catch(() => undefined);
  await db?.drop().catch(() => undefined);
  await ws?.cleanup();
}, 30_000);

describe('tfo-mcp on Postgres + NATS + Redis + ClickHouse', () => {
  it('tool calls over stdio – real services – answer as with embedded adapters, stdout stays JSON-RPC only', () => {
    expect(stdioCalls.echo.isError).toBeFalsy();
    expect(stdioCalls.echo.structuredContent).toEqual({ message: 'hello over stdio' });
    expect(stdioCalls.readOk.isError).toBeFalsy();
    expect(text(stdioCalls.readOk)).toContain('gamma needle three');
    expect(stdioCalls.readMissing.isError).toBe(true);
    expect(stdioCalls.list.isError).toBeFalsy();
    expect(text(stdioCalls.list)).toContain('hello.txt');
    expect(stdioStdout.problems).toEqual([]);
  });

  it('tool calls over HTTP – real services, Redis cache on – answer, and the cacheable results land under the key prefix', () => {
    expect(httpCalls.echo.structuredContent).toEqual({ message: 'hello over http' });
    expect(httpCalls.echoAgain.structuredContent).toEqual({ message: 'hello over http' });
    expect(httpCalls.readOk.isError).toBeFalsy();
    expect(httpCalls.readMissing.isError).toBe(true);
    expect(httpCalls.list.isError).toBeFalsy();
    expect(cacheKeysAfterCalls.length).toBeGreaterThan(0);
    expect(cacheKeysAfterCalls.every((k) => k.startsWith(redisPrefix))).toBe(true);
  });

  it('Postgres sessions – after stdio EOF and HTTP DELETE – both rows are CLOSED with closed_at', async () => {
    const sessions = await db.query<{ id: string; state: string; transport: string; closed_at: Date | null }>(
      'SELECT id, state, transport, closed_at FROM sessions ORDER BY created_at',
    );
    expect(sessions.map((s) => [s.transport, s.state])).toEqual([
      ['stdio', 'CLOSED'],
      ['http', 'CLOSED'],
    ]);
    expect(sessions.every((s) => s.closed_at !== null)).toBe(true);
    expect(sessions[1].id).toBe(httpSessionId);
  });

  it('Postgres tool_executions – every call – one finished row with its outcome, per session', () => {
    expect(countsOf(executions)).toEqual(EXPECTED_COUNTS);
    expect(executions.every((e) => e.finished_at !== null)).toBe(true);
    const perSession = countsOf(executions.map((e) => ({ tool: e.session_id === httpSessionId ? 'http' : 'stdio', outcome: 'calls' })));
    expect(perSession).toEqual({ 'http/calls': 5, 'stdio/calls': 4 });
    expect(executions.filter((e) => e.outcome === 'error').every((e) => (e.error ?? '').length > 0)).toBe(true);
  });

  it('Postgres outbox – eventually – every row published, none parked, one tool event per execution', () => {
    expect(outbox.filter((r) => r.published_at === null || r.parked_at !== null)).toEqual([]);
    expect(duplicatesOf(outbox.map((r) => r.event_id))).toEqual([]);
    const toolEvents = outbox.filter((r) => r.type === 'tool.executed' || r.type === 'tool.failed');
    expect(toolEvents.map((r) => r.aggregate_id).sort()).toEqual(executions.map((e) => e.id).sort());
    expect(toolEvents.filter((r) => r.type === 'tool.failed')).toHaveLength(2);
  });

  it('NATS stream – a durable consumer – receives every outbox event exactly once, msg id = event id', () => {
    const ids = natsRead.events.map((e) => e.envelope.id);
    expect(duplicatesOf(ids)).toEqual([]);
    expect([...ids].sort()).toEqual(outbox.map((r) => r.event_id).sort());
    expect(natsRead.streamMessages).toBe(outbox.length);
    expect({ pending: natsRead.numPending, ackPending: natsRead.numAckPending, redelivered: natsRead.numRedelivered }).toEqual({
      pending: 0,
      ackPending: 0,
      redelivered: 0,
    });
    for (const event of natsRead.events) {
      expect(event.msgId).toBe(event.envelope.id);
      expect(event.subject).toBe(`${stream.subjectPrefix}.${event.envelope.type}.v${event.envelope.version}`);
      expect(event.envelope.source).toBe('tfo-mcp');
    }
  });

  it('NATS stream – per session – carries created, initialized, ready, closed and the tool events with the outbox ids', () => {
    const sessionIds = [...new Set(executions.map((e) => e.session_id))];
    expect(sessionIds).toHaveLength(2);
    for (const sessionId of sessionIds) {
      const types = natsRead.events.filter((e) => e.envelope.session_id === sessionId).map((e) => e.envelope.type);
      for (const type of SESSION_LIFECYCLE) expect(types.filter((t) => t === type)).toHaveLength(1);
    }
    const toolOnNats = natsRead.events.filter((e) => e.envelope.type === 'tool.executed' || e.envelope.type === 'tool.failed');
    expect(toolOnNats.filter((e) => e.envelope.type === 'tool.executed')).toHaveLength(7);
    expect(toolOnNats.filter((e) => e.envelope.type === 'tool.failed')).toHaveLength(2);
    expect(toolOnNats.map((e) => e.envelope.data.executionId).sort()).toEqual(executions.map((e) => e.id).sort());
    const outboxIdsByExecution = new Map(outbox.map((r) => [r.aggregate_id + r.type, r.event_id]));
    for (const e of toolOnNats) expect(e.envelope.id).toBe(outboxIdsByExecution.get(e.envelope.aggregate_id + e.envelope.type));
  });

  it('ClickHouse events FINAL – after the relay – holds exactly the outbox event ids', async () => {
    const rows = await ch.select<{ event_id: string }>(`SELECT event_id FROM ${ch.name}.events FINAL`);
    const ids = rows.map((r) => r.event_id);
    expect(duplicatesOf(ids)).toEqual([]);
    expect(ids.sort()).toEqual(outbox.map((r) => r.event_id).sort());
  });

  it('ClickHouse tool_executions FINAL – per tool and outcome – counts match Postgres', async () => {
    const rows = await ch.select<{ tool: string; outcome: string; n: string }>(
      `SELECT tool, outcome, count() AS n FROM ${ch.name}.tool_executions FINAL GROUP BY tool, outcome`,
    );
    const counts = Object.fromEntries(rows.map((r) => [`${r.tool}/${r.outcome}`, Number(r.n)]));
    expect(counts).toEqual(countsOf(executions));
    const executionIds = await ch.select<{ execution_id: string }>(`SELECT execution_id FROM ${ch.name}.tool_executions FINAL`);
    expect(executionIds.map((r) => r.execution_id).sort()).toEqual(executions.map((e) => e.id).sort());
  });

  it('status://health – with analytics configured – includes the tool usage of the last hour, busiest first', () => {
    const body = JSON.parse(statusText) as { toolUsage: { windowSeconds: number; tools: { tool: string; calls: number }[] } };
    expect(body.toolUsage.windowSeconds).toBe(3600);
    expect(body.toolUsage.tools.map((t) => [t.tool, t.calls])).toEqual([
      ['read_file', 4],
      ['echo', 3],
      ['list_directory', 2],
    ]);
  });

  it('analytics://tool-usage – read through the MCP client – reports the calls and errors per tool', () => {
    const body = JSON.parse(usageText) as { tools: { tool: string; calls: number; errors: number }[] };
    const byTool = Object.fromEntries(body.tools.map((t) => [t.tool, { calls: t.calls, errors: t.errors }]));
    expect(byTool).toEqual({
      echo: { calls: 3, errors: 0 },
      list_directory: { calls: 2, errors: 0 },
      read_file: { calls: 4, errors: 2 },
    });
  });

  it('/ready – all services up – 200 listing postgres, outbox, redis, nats and clickhouse as up', async () => {
    for (const answer of [readyDuringSession, await getHealth(http!.base, '/ready')]) {
      expect(answer.status).toBe(200);
      expect(answer.body.ready).toBe(true);
      for (const name of ['postgres', 'outbox', 'redis', 'nats', 'clickhouse']) {
        expect({ name, status: componentStatus(answer, name) }).toEqual({ name, status: 'up' });
      }
    }
  });
});
