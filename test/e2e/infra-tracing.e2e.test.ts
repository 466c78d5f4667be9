import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';
import { openRawSession, post } from '../support/http-client.js';
import { startHttpServer, type HttpServer } from '../support/http-server.js';
import { SHARED, createPgDatabase, deleteStream, infraEnv, readStreamDurable, uniqueStream, type PgDatabase, type TestStream } from '../support/infra-services.js';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../support/otlp-receiver.js';
import { statelessHeaders, statelessMeta } from '../support/stateless-http.js';
import { createTempWorkspace, type TempWorkspace } from '../support/temp-workspace.js';

/**
 * telemetry.otlp wired into the built server, against the OTLP receiver of the test support: one
 * tools/call that writes a file (Postgres: the execution row and the outbox; NATS: the relay's
 * publish) is one trace under the client's traceparent, with the parent/child links the issue
 * names; the NATS message carries the publish span's context; no secret and no file content in
 * any attribute. Both eras: the header on a 2025 session, `_meta` on a 2026-07-28 request.
 */
const SERVER = 2;
const CLIENT = 3;
const PRODUCER = 4;

const hex = (bytes: number) => randomBytes(bytes).toString('hex');

describe('traces from the built server (Postgres, NATS, OTLP receiver)', () => {
  let receiver: OtlpReceiver;
  let db: PgDatabase;
  let stream: TestStream;
  let workspace: TempWorkspace;
  let server: HttpServer;
  const secretContent = `file-content-${hex(8)}`;
  const apiSecret = `sk-ant-${hex(16)}`;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    db = await createPgDatabase();
    stream = uniqueStream();
    workspace = await createTempWorkspace();
    server = await startHttpServer(
      infraEnv({
        root: workspace.root,
        postgresUrl: db.url,
        events: { url: SHARED.nats, stream: stream.name, subjectPrefix: stream.subjectPrefix },
        extra: {
          TELEMETRYFLOW_MCP_TELEMETRY__OTLP__ENDPOINT: receiver.endpoint,
          // A secret in the environment must never reach an attribute either.
          ANTHROPIC_API_KEY: apiSecret,
        },
      }),
    );
  });

  afterAll(async () => {
    await server?.stop();
    await deleteStream(SHARED.nats, stream.name);
    await db?.drop();
    await workspace?.cleanup();
    await receiver?.close();
  });

  const inTrace = (spans: readonly ReceivedSpan[], traceId: string) => spans.filter((span) => span.traceId === traceId);
  const one = (spans: readonly ReceivedSpan[], predicate: (span: ReceivedSpan) => boolean, what: string): ReceivedSpan => {
    const found = spans.filter(predicate);
    if (found.length !== 1) throw new Error(`expected one ${what}, got ${found.length}: ${spans.map((s) => s.name).join(', ')}`);
    return found[0];
  };

  function assertOneCallTrace(spans: readonly ReceivedSpan[], traceId: string, clientSpan: string, file: string): ReceivedSpan {
    const request = one(spans, (s) => s.kind === SERVER && s.name === 'tools/call', 'request span');
    expect(request.parentSpanId).toBe(clientSpan);
    const handler = one(spans, (s) => s.name === 'ExecuteToolCommand', 'handler span');
    expect(handler.parentSpanId).toBe(request.spanId);
    const tool = one(spans, (s) => s.name === 'tool write_file', 'tool span');
    expect(tool.parentSpanId).toBe(handler.spanId);
    // Postgres: the execution row and the outbox append, under the handler (ids of this trace only).
    const queries = spans.filter((s) => s.kind === CLIENT && s.attributes['db.system.name'] === 'postgresql');
    expect(queries.length).toBeGreaterThan(0);
    const ids = new Set(spans.map((s) => s.spanId));
    for (const query of queries) expect(ids.has(query.parentSpanId ?? '')).toBe(true);
    // The relay's publish of the tool's events: PRODUCER spans in the same trace.
    const publishes = spans.filter((s) => s.kind === PRODUCER);
    expect(publishes.length).toBeGreaterThan(0);
    for (const publish of publishes) expect(ids.has(publish.parentSpanId ?? '')).toBe(true);
    expect(new Set(spans.map((s) => s.traceId))).toEqual(new Set([traceId]));
    const everything = JSON.stringify(spans, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value));
    expect(everything).not.toContain(secretContent);
    expect(everything).not.toContain(apiSecret);
    expect(everything).not.toContain(file);
    return request;
  }

  it('a 2025 session tools/call with a traceparent header - one trace under it: request, handler, tool, pg, publish; the NATS message carries it', async () => {
    const traceId = hex(16);
    const clientSpan = hex(8);
    const traceparent = `00-${traceId}-${clientSpan}-01`;
    const { sessionId } = await openRawSession(server.url);
    const response = await post(
      server.url,
      { jsonrpc: '2.0', id: 5, method: 'tools/call', params: { name: 'write_file', arguments: { path: 'traced-a.txt', content: secretContent } } },
      { sessionId, protocolVersion: LATEST_PROTOCOL_VERSION, headers: { traceparent } },
    );
    const answer = response.messages.find((m) => m.id === 5);
    expect(answer?.error).toBeUndefined();
    expect(await readFile(path.join(workspace.root, 'traced-a.txt'), 'utf8')).toBe(secretContent);

    const spans = inTrace(
      await receiver.waitFor((all) => inTrace(all, traceId).some((s) => s.kind === PRODUCER) && inTrace(all, traceId).some((s) => s.name === 'tools/call'), 15_000),
      traceId,
    );
    assertOneCallTrace(spans, traceId, clientSpan, 'traced-a.txt');
    expect(server.stderr()).not.toContain(apiSecret);

    const read = await readStreamDurable(SHARED.nats, stream.name, 1);
    const carried = read.events.filter((event) => event.traceparent?.includes(traceId));
    expect(carried.length).toBeGreaterThan(0);
    const publishIds = new Set(spans.filter((s) => s.kind === PRODUCER).map((s) => s.spanId));
    for (const event of carried) expect(publishIds.has(event.traceparent!.split('-')[2])).toBe(true);
  });

  it('a 2026-07-28 stateless tools/call with _meta traceparent - the same shape of trace, parented on _meta', async () => {
    const traceId = hex(16);
    const clientSpan = hex(8);
    const response = await fetch(server.url, {
      method: 'POST',
      headers: statelessHeaders('tools/call', 'write_file'),
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 7,
        method: 'tools/call',
        params: { name: 'write_file', arguments: { path: 'traced-b.txt', content: secretContent }, _meta: { ...statelessMeta('trace-e2e'), traceparent: `00-${traceId}-${clientSpan}-01` } },
      }),
    });
    const body = (await response.json()) as { result?: { isError?: boolean }; error?: unknown };
    expect(body.error).toBeUndefined();
    expect(body.result?.isError).toBeFalsy();
    const spans = inTrace(
      await receiver.waitFor((all) => inTrace(all, traceId).some((s) => s.kind === PRODUCER) && inTrace(all, traceId).some((s) => s.name === 'tools/call'), 15_000),
      traceId,
    );
    const request = assertOneCallTrace(spans, traceId, clientSpan, 'traced-b.txt');
    expect(request.attributes['mcp.protocol.version']).toBe('2026-07-28');
  });
});
