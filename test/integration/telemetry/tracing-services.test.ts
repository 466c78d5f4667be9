import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { Redis } from 'ioredis';
import pg from 'pg';
import type { EventPublisher } from '../../../src/application/ports/event-publisher.js';
import { encodeEnvelope, envelopeHeaders, subjectFor, toEnvelope } from '../../../src/infrastructure/messaging/nats/event-envelope.js';
import { ensureStream } from '../../../src/infrastructure/messaging/nats/stream-setup.js';
import { setTraceHeaders, traceFromHeaders } from '../../../src/infrastructure/telemetry/tracing/trace-headers.js';
import { TracedEventPublisher } from '../../../src/infrastructure/telemetry/tracing/traced-event-publisher.js';
import { testEvent } from '../../support/builders.js';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../../support/otlp-receiver.js';
import { describeWithServices } from '../../support/with-services.js';
import { addDurable, adminClient, deleteStream, pullDurable, testStreamOptions } from '../nats/nats-test-support.js';
import { byName, CLIENT_PARENT, CLIENT_SPAN, CLIENT_TRACE, exportedText, startTestTracing, type TestTracing } from './tracing-support.js';

const PG_URL = process.env.TFO_PG_URL ?? 'postgres://mcp:mcp@127.0.0.1:55432/mcp';
const REDIS_URL = process.env.TFO_REDIS_URL ?? 'redis://127.0.0.1:56379/0';
const CLICKHOUSE_URL = process.env.TFO_CLICKHOUSE_URL ?? 'http://127.0.0.1:58123';

const CLIENT = 3;
const PRODUCER = 4;
const CONSUMER = 5;

/** What a tool call might handle that must never reach a span. */
const SECRETS = ['PG-BOUND-SECRET', 'redis-session-key-SECRET', 'REDIS-VALUE-SECRET', 'CH-PARAM-SECRET', 'FILE-CONTENT-SECRET'];

describeWithServices('tracing with the real clients (Postgres, Redis, NATS, ClickHouse)', () => {
  let receiver: OtlpReceiver;
  let tracing: TestTracing;
  let pool: pg.Pool;
  let redis: Redis;
  let clickhouse: ClickHouseClient;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    // Clients created before tracing starts must be traced too (the patches go on the prototypes).
    pool = new pg.Pool({ connectionString: PG_URL, max: 2 });
    redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
    tracing = await startTestTracing(receiver, {}, ['pg', 'ioredis', 'http']);
    clickhouse = createClient({ url: CLICKHOUSE_URL, username: 'default', password: '', request_timeout: 5_000 });
    await redis.connect();
  });

  afterAll(async () => {
    await tracing.shutdown();
    await pool.end();
    redis.disconnect();
    await clickhouse.close();
    await receiver.close();
  });

  beforeEach(() => {
    receiver.spans.length = 0;
  });

  async function exported(count: number): Promise<ReceivedSpan[]> {
    await tracing.forceFlush();
    return receiver.waitFor((spans) => spans.length >= count);
  }

  it('pg - query spans under the handler, SQL text with placeholders only, no bound value; untraced outside a request', async () => {
    await pool.query('SELECT 1');
    await tracing.tracer.request({ method: 'tools/call', transport: 'http', header: { traceparent: CLIENT_PARENT } }, () =>
      tracing.tracer.handler('WriteFileCommand', async () => {
        await pool.query('SELECT $1::text AS content, $2::text AS secret', ['FILE-CONTENT-SECRET', 'PG-BOUND-SECRET']);
        await expect(pool.query('SELEC broken')).rejects.toThrow();
      }),
    );
    const spans = await exported(4);
    const handler = byName(spans, 'WriteFileCommand');
    const queries = spans.filter((span) => span.kind === CLIENT && span.attributes['db.system.name'] === 'postgresql' && span.attributes['db.query.text'] !== undefined);

    expect(byName(spans, 'tools/call')).toMatchObject({ traceId: CLIENT_TRACE, parentSpanId: CLIENT_SPAN });
    expect(queries.map((span) => span.attributes['db.query.text'])).toEqual(['SELECT $1::text AS content, $2::text AS secret', 'SELEC broken']);
    for (const span of queries) expect(span).toMatchObject({ traceId: CLIENT_TRACE, parentSpanId: handler.spanId });
    expect(queries[0].attributes).toMatchObject({ 'db.namespace': 'mcp', 'server.address': '127.0.0.1', 'server.port': Number(new URL(PG_URL).port) });
    // The driver's message ("syntax error at or near …") may quote the statement's data: not exported.
    expect(queries[1].status).toEqual({ code: 2 });
    for (const event of queries[1].events) expect(Object.keys(event.attributes).every((key) => key === 'exception.type')).toBe(true);
    expect(spans.every((span) => span.traceId === CLIENT_TRACE)).toBe(true);
    expect(exportedText(spans)).not.toMatch(new RegExp(SECRETS.join('|')));
  });

  it('ioredis - one span per command named by it, the statement only the command: no key, no value', async () => {
    await tracing.tracer.handler('CacheLookup', async () => {
      await redis.set('redis-session-key-SECRET', 'REDIS-VALUE-SECRET', 'PX', 5_000);
      await redis.get('redis-session-key-SECRET');
    });
    const spans = await exported(3);
    const handler = byName(spans, 'CacheLookup');
    expect(byName(spans, 'set')).toMatchObject({ kind: CLIENT, parentSpanId: handler.spanId });
    expect(byName(spans, 'set').attributes).toEqual({
      'db.system.name': 'redis',
      'db.operation.name': 'set',
      'db.query.text': 'set',
      'server.address': '127.0.0.1',
      'server.port': Number(new URL(REDIS_URL).port),
    });
    expect(byName(spans, 'get').attributes).toMatchObject({ 'db.query.text': 'get', 'db.system.name': 'redis' });
    expect(exportedText(spans)).not.toMatch(new RegExp(SECRETS.join('|')));
  });

  it('@clickhouse/client - an HTTP CLIENT span under the request, the URL query (query id, settings) not exported', async () => {
    await tracing.tracer.request({ method: 'tools/call', transport: 'http' }, async () => {
      const result = await clickhouse.query({ query: 'SELECT 1 AS v', query_id: 'CH-PARAM-SECRET-1', format: 'JSONEachRow' });
      expect(await result.json()).toEqual([{ v: 1 }]);
    });
    const spans = await exported(2);
    const request = byName(spans, 'tools/call');
    const post = spans.find((span) => span.kind === CLIENT);
    expect(post).toMatchObject({ name: 'POST', traceId: request.traceId, parentSpanId: request.spanId });
    expect(post?.attributes).toMatchObject({ 'http.request.method': 'POST', 'http.response.status_code': 200, 'server.port': Number(new URL(CLICKHOUSE_URL).port) });
    expect(exportedText(spans)).not.toMatch(new RegExp(SECRETS.join('|')));
  });

  it('NATS - the event recorded in a tool run is published under it; its headers carry the publish context; a consumer continues the trace', async () => {
    const { nc, jsm, js } = await adminClient();
    const stream = testStreamOptions();
    try {
      await ensureStream(jsm, stream);
      const durable = await addDurable(jsm, stream.name);
      // The NATS publisher's header step as the integrator wires it: envelope headers plus the event's trace.
      const natsPublisher: EventPublisher = {
        publish: async (events) => {
          for (const event of events) {
            const headers = envelopeHeaders(event);
            setTraceHeaders(headers, event.trace);
            await js.publish(subjectFor(stream.subjectPrefix, event.type, event.version), encodeEnvelope(toEnvelope(event, 'tfo-mcp@test')), { msgID: event.id, headers });
          }
        },
      };
      const publisher = new TracedEventPublisher(natsPublisher, tracing.tracer, 'nats');

      const event = await tracing.tracer.request({ method: 'tools/call', transport: 'http', header: { traceparent: CLIENT_PARENT } }, () =>
        tracing.tracer.toolRun('write_file', async () => ({ ...testEvent('ev-nats-1', { bytes: 19 }), trace: tracing.tracer.current() })),
      );
      // The relay publishes later, outside the request.
      await publisher.publish([event]);

      const [message] = await pullDurable(js, stream.name, durable, 1);
      const carried = traceFromHeaders(message.headers);
      await tracing.tracer.consume(message.subject, carried, async () => undefined);

      const spans = await exported(4);
      const tool = byName(spans, 'tool write_file');
      const publish = byName(spans, 'publish test.happened');
      const consume = spans.find((span) => span.kind === CONSUMER);
      expect(message.headers?.get('Nats-Msg-Id')).toBe('ev-nats-1');
      expect(carried).toEqual({ traceparent: `00-${CLIENT_TRACE}-${publish.spanId}-01` });
      expect(publish).toMatchObject({ kind: PRODUCER, traceId: CLIENT_TRACE, parentSpanId: tool.spanId });
      expect(consume).toMatchObject({ name: `process ${message.subject}`, traceId: CLIENT_TRACE, parentSpanId: publish.spanId });
      expect(new Set(spans.map((span) => span.traceId))).toEqual(new Set([CLIENT_TRACE]));
    } finally {
      await deleteStream(jsm, stream.name);
      await nc.close();
    }
  });
});
