/**
 * Issue 12's audit acceptance: a mixed run of allowed and denied execute_command calls through the
 * built HTTP server on Postgres (outbox), NATS JetStream and ClickHouse. Every decision must appear
 * exactly once in the stream (read by a durable consumer) and in the ClickHouse `executions` table,
 * with the audited fields; analytics://executions must report the same run. Stores are isolated per
 * run (own database, stream, subject prefix, ClickHouse database) and dropped after.
 * Needs `eval "$(bash scripts/services.sh up)"` and `npm run build`; named infra-* so npm test counts it as a service suite.
 */
import path from 'node:path';
import { readFile, writeFile } from 'node:fs/promises';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { connectHttpClient } from '../support/http-client.js';
import { startHttpServer, type HttpServer } from '../support/http-server.js';
import {
  SHARED,
  createPgDatabase,
  deleteStream,
  duplicatesOf,
  eventually,
  infraEnv,
  openChDatabase,
  readStreamDurable,
  uniqueStream,
  waitForOutboxPublished,
  type ChDatabase,
  type DurableRead,
  type OutboxRow,
  type PgDatabase,
  type ReceivedEvent,
  type TestStream,
} from '../support/infra-services.js';
import { createTempWorkspace, type TempWorkspace } from '../support/temp-workspace.js';

interface Call {
  readonly name: string;
  readonly args: Record<string, unknown>;
  readonly expect: { decision: 'allowed' | 'denied'; rule: string; exitCode?: number | null; timedOut?: boolean; killed?: boolean; stdoutBytes?: number };
}

/** Four runs (success, non-zero exit, timeout, output) and four refusals, each by a different rule. */
const CALLS: readonly Call[] = [
  { name: 'echo', args: { command: 'echo', args: ['audit', 'me'] }, expect: { decision: 'allowed', rule: 'reviewed', exitCode: 0, timedOut: false, killed: false, stdoutBytes: 9 } },
  { name: 'false', args: { command: 'false' }, expect: { decision: 'allowed', rule: 'reviewed', exitCode: 1, timedOut: false, killed: false, stdoutBytes: 0 } },
  { name: 'sleep', args: { command: 'sleep', args: ['30'], timeout_ms: 300 }, expect: { decision: 'allowed', rule: 'reviewed', exitCode: null, timedOut: true, killed: true, stdoutBytes: 0 } },
  { name: 'cat', args: { command: 'cat', args: ['notes.txt'] }, expect: { decision: 'allowed', rule: 'reviewed', exitCode: 0, timedOut: false, killed: false, stdoutBytes: 12 } },
  { name: 'python3', args: { command: 'python3', args: ['-c', 'print(1)'] }, expect: { decision: 'denied', rule: 'not_allowed' } },
  { name: 'shell', args: { command: 'echo hi; id', shell: true }, expect: { decision: 'denied', rule: 'shell_disabled' } },
  { name: 'outside', args: { command: 'cat', args: ['/etc/hostname'] }, expect: { decision: 'denied', rule: 'path_outside_roots' } },
  { name: 'blocked', args: { command: 'rm', args: ['-rf', 'x'] }, expect: { decision: 'denied', rule: 'blocked' } },
];
const ALLOWED = CALLS.filter((c) => c.expect.decision === 'allowed').length;
const DENIED = CALLS.length - ALLOWED;

let ws: TempWorkspace;
let db: PgDatabase;
let stream: TestStream;
let ch: ChDatabase;
let http: HttpServer | undefined;

let results: Map<string, CallToolResult>;
let sessionId: string;
let outbox: OutboxRow[];
let natsRead: DurableRead;
let decided: ReceivedEvent[];
let chRows: Record<string, unknown>[];
let activityText: string;
let auditLines: Record<string, unknown>[];

/** Inside the workspace, so its cleanup removes it; no call names it. */
const auditFile = () => path.join(ws.root, '.execution-audit.jsonl');

beforeAll(async () => {
  ws = await createTempWorkspace('tfo-e2e-exec-audit-');
  await writeFile(path.join(ws.root, 'notes.txt'), 'hello notes\n');
  db = await createPgDatabase();
  ch = await openChDatabase();
  stream = uniqueStream();
  const env = infraEnv({
    root: ws.root,
    postgresUrl: db.url,
    events: { url: SHARED.nats, stream: stream.name, subjectPrefix: stream.subjectPrefix },
    clickhouse: { url: SHARED.clickhouse, database: ch.name },
    extra: {
      TELEMETRYFLOW_MCP_EVENTS__NATS__STORAGE: 'memory',
      TELEMETRYFLOW_MCP_EXECUTION__SECURITY__ALLOWED_COMMANDS: 'echo,false,sleep,cat',
      TELEMETRYFLOW_MCP_EXECUTION__SECURITY__BLOCKED_COMMANDS: 'rm',
      TELEMETRYFLOW_MCP_EXECUTION__AUDIT__FILE: auditFile(),
    },
  });

  http = await startHttpServer(env, { cwd: ws.root });
  const client = await connectHttpClient(http.url, { name: 'exec-audit-e2e' });
  try {
    results = new Map();
    for (const call of CALLS) {
      results.set(call.name, (await client.client.callTool({ name: 'execute_command', arguments: call.args }, undefined, { timeout: 15_000 })) as CallToolResult);
    }
    sessionId = client.transport.sessionId!;

    await eventually(
      async () => {
        const [row] = await ch.select<{ n: string }>(`SELECT count() AS n FROM ${ch.name}.executions FINAL`);
        return Number(row?.n) === CALLS.length ? true : undefined;
      },
      20_000,
      `${CALLS.length} execution decisions in ClickHouse`,
      100,
    );
    const activity = await client.client.readResource({ uri: 'analytics://executions' });
    activityText = activity.contents.map((c) => ('text' in c ? c.text : '')).join('');
  } finally {
    await client.close();
  }

  outbox = await eventually(
    async () => {
      const rows = await waitForOutboxPublished(db, 15_000);
      return rows.filter((r) => r.type === 'execution.decided').length === CALLS.length ? rows : undefined;
    },
    15_000,
    'every execution.decided published',
    100,
  );
  natsRead = await readStreamDurable(SHARED.nats, stream.name, outbox.length);
  decided = natsRead.events.filter((e) => e.envelope.type === 'execution.decided');
  chRows = await ch.select<Record<string, unknown>>(`SELECT * FROM ${ch.name}.executions FINAL`);
  await http.stop(); // the audit file is flushed at stop
  auditLines = (await readFile(auditFile(), 'utf8')).split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
}, 90_000);

afterAll(async () => {
  await http?.stop();
  await deleteStream(SHARED.nats, stream.name).catch(() => undefined);
  await ch?.drop().catch(() => undefined);
  await db?.drop().catch(() => undefined);
  await ws?.cleanup();
}, 30_000);

/** The NATS event of a call, found by its program and first argument (each call differs in them). */
function natsEventOf(call: Call): ReceivedEvent {
  const args = (call.args.args as string[] | undefined) ?? [];
  const matches = decided.filter((e) => e.envelope.data.program === call.args.command && JSON.stringify(e.envelope.data.argv) === JSON.stringify(args));
  expect({ call: call.name, matches: matches.length }).toEqual({ call: call.name, matches: 1 });
  return matches[0];
}

describe('execution audit on Postgres + NATS JetStream + ClickHouse', () => {
  it('execute_command – mixed run – allowed calls answer, denials are tool errors naming their rule', () => {
    for (const call of CALLS) {
      const result = results.get(call.name)!;
      const text = result.content.map((c) => (c.type === 'text' ? c.text : '')).join('');
      if (call.expect.decision === 'denied') {
        expect({ call: call.name, isError: result.isError }).toEqual({ call: call.name, isError: true });
        expect(text).toContain('denied by policy');
        expect({ call: call.name, rule: (result.structuredContent as { context?: { rule?: string } } | undefined)?.context?.rule }).toEqual({ call: call.name, rule: call.expect.rule });
      } else if (call.expect.timedOut) {
        expect(result.isError).toBe(true);
      } else {
        expect({ call: call.name, isError: result.isError ?? false }).toEqual({ call: call.name, isError: false });
      }
    }
  });

  it('outbox – after the relay – one execution.decided per call, all published, none parked', () => {
    const rows = outbox.filter((r) => r.type === 'execution.decided');
    expect(rows).toHaveLength(CALLS.length);
    expect(duplicatesOf(rows.map((r) => r.event_id))).toEqual([]);
    expect(rows.filter((r) => r.published_at === null || r.parked_at !== null)).toEqual([]);
  });

  it('NATS JetStream – a durable consumer – every decision exactly once, on its subject, msg id = event id', () => {
    const ids = decided.map((e) => e.envelope.id);
    expect(ids).toHaveLength(CALLS.length);
    expect(duplicatesOf(ids)).toEqual([]);
    expect([...ids].sort()).toEqual(outbox.filter((r) => r.type === 'execution.decided').map((r) => r.event_id).sort());
    expect({ pending: natsRead.numPending, redelivered: natsRead.numRedelivered }).toEqual({ pending: 0, redelivered: 0 });
    for (const event of decided) {
      expect(event.subject).toBe(`${stream.subjectPrefix}.execution.decided.v1`);
      expect(event.msgId).toBe(event.envelope.id);
      expect(event.envelope).toMatchObject({ version: 1, aggregate_type: 'execution', aggregate_id: event.envelope.data.executionId, session_id: sessionId });
    }
  });

  it('NATS JetStream – per call – the decision, rule, backend, argv, cwd and the run outcome', () => {
    for (const call of CALLS) {
      const data = natsEventOf(call).envelope.data;
      expect({ call: call.name, decision: data.decision, rule: data.rule, backend: data.backend }).toEqual({
        call: call.name,
        decision: call.expect.decision,
        rule: call.expect.rule,
        backend: 'native',
      });
      if (call.expect.decision === 'denied') {
        expect(typeof data.reason).toBe('string');
        expect(data.exitCode).toBeUndefined();
        continue;
      }
      expect(data).toMatchObject({
        cwd: ws.root,
        exitCode: call.expect.exitCode,
        timedOut: call.expect.timedOut,
        killed: call.expect.killed,
        stdoutBytes: call.expect.stdoutBytes,
        truncated: false,
      });
      expect(data.durationMs).toEqual(expect.any(Number));
    }
    expect(natsEventOf(CALLS.find((c) => c.name === 'sleep')!).envelope.data.signal).toEqual(expect.any(String));
  });

  it('ClickHouse executions FINAL – every decision exactly once, the same event ids and fields as the stream', () => {
    expect(duplicatesOf(chRows.map((r) => String(r.event_id)))).toEqual([]);
    expect(chRows.map((r) => r.event_id).sort()).toEqual(decided.map((e) => e.envelope.id).sort());
    const byEvent = new Map(chRows.map((r) => [r.event_id, r]));
    for (const event of decided) {
      const d = event.envelope.data as Record<string, unknown>;
      const row = byEvent.get(event.envelope.id)!;
      expect(row).toMatchObject({
        execution_id: d.executionId,
        session_id: sessionId,
        decision: d.decision,
        rule: d.rule,
        reason: d.reason ?? '',
        backend: 'native',
        program: d.program,
        argv: d.argv,
        cwd: d.cwd ?? '',
        exit_code: d.exitCode ?? null,
        signal: d.signal ?? '',
        duration_ms: Math.round(Number(d.durationMs ?? 0)),
        stdout_bytes: String(d.stdoutBytes ?? 0),
        stderr_bytes: String(d.stderrBytes ?? 0),
        truncated: d.truncated ? 1 : 0,
        timed_out: d.timedOut ? 1 : 0,
        killed: d.killed ? 1 : 0,
        occurred_at: String(event.envelope.occurred_at).slice(0, 19).replace('T', ' '),
      });
    }
  });

  it('audit channel (execution.audit.file) – one JSON line per decision, with the event id', () => {
    const ids = auditLines.filter((l) => l.event === 'execution.decided').map((l) => String(l.id));
    expect(duplicatesOf(ids)).toEqual([]);
    expect(ids.sort()).toEqual(decided.map((e) => e.envelope.id).sort());
  });

  it('analytics://executions – read through the MCP client – the same totals, denials by rule and runs by backend', () => {
    const body = JSON.parse(activityText) as {
      allowed: number;
      denied: number;
      deniedByRule: { rule: string; denials: number }[];
      runsByBackend: { backend: string; runs: number; timedOut: number; killed: number }[];
      recent: { decision: string; program: string }[];
    };
    expect({ allowed: body.allowed, denied: body.denied }).toEqual({ allowed: ALLOWED, denied: DENIED });
    expect(body.deniedByRule.map((r) => [r.rule, r.denials]).sort()).toEqual(CALLS.filter((c) => c.expect.decision === 'denied').map((c) => [c.expect.rule, 1]).sort());
    expect(body.runsByBackend).toEqual([expect.objectContaining({ backend: 'native', runs: ALLOWED, timedOut: 1, killed: 1 })]);
    expect(body.recent).toHaveLength(CALLS.length);
    expect(body.recent.every((r) => !('argv' in r) && !('cwd' in r))).toBe(true);
  });
});
