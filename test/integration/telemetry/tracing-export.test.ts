import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import winston from 'winston';
import { Command, CommandBus, type CommandHandler } from '../../../src/application/bus/message-bus.js';
import type { ExecutionResult, Executor } from '../../../src/application/ports/executor.js';
import type { EventPublisher } from '../../../src/application/ports/event-publisher.js';
import type { DomainEvent } from '../../../src/domain/shared/domain-event.js';
import { createWinston, WinstonLogger } from '../../../src/infrastructure/logging/winston-logger.js';
import { tracedBus } from '../../../src/infrastructure/telemetry/tracing/traced-bus.js';
import { TracedEventPublisher } from '../../../src/infrastructure/telemetry/tracing/traced-event-publisher.js';
import { tracedExecutor } from '../../../src/infrastructure/telemetry/tracing/traced-executor.js';
import { testEvent } from '../../support/builders.js';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../../support/otlp-receiver.js';
import { byName, CLIENT_PARENT, CLIENT_SPAN, CLIENT_TRACE, exportedText, startTestTracing, type TestTracing } from './tracing-support.js';

const SERVER = 2;
const INTERNAL = 1;
const CLIENT = 3;
const PRODUCER = 4;
const ERROR = 2;

let receiver: OtlpReceiver;

beforeAll(async () => {
  receiver = await startOtlpReceiver();
});

afterAll(async () => {
  await receiver.close();
});

beforeEach(() => {
  receiver.spans.length = 0;
  receiver.requests.length = 0;
  receiver.failWith(undefined);
});

async function exported(tracing: TestTracing, count: number): Promise<ReceivedSpan[]> {
  await tracing.forceFlush();
  return receiver.waitFor((spans) => spans.length >= count);
}

/** A loopback HTTP server that records the trace headers it is sent. */
async function echoServer(): Promise<{ url: string; seen: (string | undefined)[]; close: () => Promise<void> }> {
  const seen: (string | undefined)[] = [];
  const server = http.createServer((request, response) => {
    seen.push(request.headers.traceparent as string | undefined);
    response.end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function get(url: string): Promise<void> {
  return new Promise((resolve, reject) => {
    http.get(url, (response) => {
      response.resume();
      response.on('end', resolve);
    }).on('error', reject);
  });
}

describe('tracing over OTLP http/protobuf (real SDK exporter → loopback receiver)', () => {
  let tracing: TestTracing;

  beforeAll(async () => {
    tracing = await startTestTracing(receiver);
  });

  afterAll(async () => {
    await tracing.shutdown();
  });

  it('request → handler → tool → executor - one trace, each span the child of the one around it, protobuf on the wire', async () => {
    const { tracer } = tracing;
    const result = await tracer.request({ method: 'tools/call', transport: 'http', toolName: 'execute_command', protocolVersion: '2026-07-28' }, () =>
      tracer.handler('ExecuteToolCommand', () => tracer.toolRun('execute_command', () => tracer.executorRun('native', async () => 'done'))),
    );
    expect(result).toBe('done');

    const spans = await exported(tracing, 4);
    const request = byName(spans, 'tools/call');
    const handler = byName(spans, 'ExecuteToolCommand');
    const tool = byName(spans, 'tool execute_command');
    const execution = byName(spans, 'execute native');
    expect(new Set(spans.map((span) => span.traceId)).size).toBe(1);
    expect(request.parentSpanId).toBeUndefined();
    expect(handler.parentSpanId).toBe(request.spanId);
    expect(tool.parentSpanId).toBe(handler.spanId);
    expect(execution.parentSpanId).toBe(tool.spanId);
    expect([request.kind, handler.kind, tool.kind, execution.kind]).toEqual([SERVER, INTERNAL, INTERNAL, INTERNAL]);
    expect(request.attributes).toEqual({
      'mcp.method.name': 'tools/call',
      'network.transport': 'tcp',
      'mcp.protocol.version': '2026-07-28',
      'gen_ai.tool.name': 'execute_command',
      'gen_ai.operation.name': 'execute_tool',
    });
    expect(request.resource).toMatchObject({ 'service.name': 'tfo-mcp', 'service.version': '9.9.9-test', 'service.instance.id': 'replica-a' });
    expect(request.scope).toEqual({ name: 'tfo-mcp', version: '9.9.9-test' });
    // The SDK anchors each span's clock to Date.now() (1 ms steps): nesting in time holds within 2 ms.
    const ms = 2_000_000n;
    expect(request.startNs).toBeLessThanOrEqual(execution.startNs + ms);
    expect(request.endNs + ms).toBeGreaterThanOrEqual(execution.endNs);
    expect(receiver.requests.every((r) => r.contentType === 'application/x-protobuf')).toBe(true);
  });

  it('a client traceparent header (with tracestate) - the request span continues the client trace', async () => {
    await tracing.tracer.request({ method: 'tools/list', transport: 'http', header: { traceparent: CLIENT_PARENT, tracestate: 'vendor=abc' } }, async () => undefined);
    const [span] = await exported(tracing, 1);
    expect(span.traceId).toBe(CLIENT_TRACE);
    expect(span.parentSpanId).toBe(CLIENT_SPAN);
    expect(span.traceState).toBe('vendor=abc');
  });

  it('_meta and header disagree - _meta is the parent, the header context is linked', async () => {
    const metaTrace = 'aaaabbbbccccddddeeeeffff00001111';
    const meta = { traceparent: `00-${metaTrace}-1111222233334444-01` };
    await tracing.tracer.request({ method: 'tools/call', transport: 'http', meta, header: { traceparent: CLIENT_PARENT } }, async () => undefined);
    const [span] = await exported(tracing, 1);
    expect(span.traceId).toBe(metaTrace);
    expect(span.parentSpanId).toBe('1111222233334444');
    expect(span.links).toEqual([{ traceId: CLIENT_TRACE, spanId: CLIENT_SPAN, attributes: {} }]);
  });

  it('a broken traceparent, an odd method name - a new root trace, the method named unknown', async () => {
    await tracing.tracer.request({ method: 'Evil Method\n', transport: 'stdio', header: { traceparent: '00-zz-yy-01' } }, async () => undefined);
    const [span] = await exported(tracing, 1);
    expect(span.parentSpanId).toBeUndefined();
    expect(span.traceId).not.toBe(CLIENT_TRACE);
    expect(span.name).toBe('unknown');
    expect(span.attributes['network.transport']).toBe('pipe');
  });

  it('a failing handler - the error passes through unchanged; the span is an error typed by code, without the message', async () => {
    const failure = Object.assign(new Error('cannot open /etc/shadow: password=hunter2'), { code: 'workspace.denied' });
    const run = tracing.tracer.request({ method: 'tools/call', transport: 'http' }, () => tracing.tracer.handler('ExecuteToolCommand', () => Promise.reject(failure)));
    await expect(run).rejects.toBe(failure);

    const spans = await exported(tracing, 2);
    for (const span of spans) {
      expect(span.status).toEqual({ code: ERROR });
      expect(span.attributes['error.type']).toBe('workspace.denied');
    }
    expect(exportedText(spans)).not.toMatch(/hunter2|shadow/);
  });

  it('attributes outside the allow-list - dropped at export, allowed ones kept', async () => {
    await tracing.tracer.toolRun('write_file', async (span) => {
      span.setAttribute('tfo.tool.outcome', 'success');
      span.setAttribute('file.content', 'TOP-SECRET-FILE-BODY');
      span.setAttribute('url.full', 'https://x.example/?api_key=KEY-123');
    });
    const [span] = await exported(tracing, 1);
    expect(span.attributes).toEqual({ 'gen_ai.tool.name': 'write_file', 'gen_ai.operation.name': 'execute_tool', 'tfo.tool.outcome': 'success' });
    expect(exportedText([span])).not.toMatch(/TOP-SECRET|KEY-123/);
  });

  it('an HTTP client call inside a span - a CLIENT child span, traceparent sent on, no query string exported; outside a span nothing', async () => {
    const echo = await echoServer();
    try {
      await get(`${echo.url}/query?token=SECRET-TOKEN-9`);
      await tracing.tracer.request({ method: 'tools/call', transport: 'http' }, () => get(`${echo.url}/query?token=SECRET-TOKEN-9`));
      const spans = await exported(tracing, 2);
      const request = byName(spans, 'tools/call');
      const client = spans.find((span) => span.kind === CLIENT);
      expect(spans).toHaveLength(2);
      expect(client).toMatchObject({ traceId: request.traceId, parentSpanId: request.spanId, name: 'GET' });
      expect(client?.attributes).toMatchObject({ 'http.request.method': 'GET', 'http.response.status_code': 200, 'server.address': '127.0.0.1' });
      expect(client?.attributes['url.full']).toBeUndefined();
      expect(echo.seen[0]).toBeUndefined();
      expect(echo.seen[1]).toBe(`00-${request.traceId}-${client?.spanId}-01`);
      expect(exportedText(spans)).not.toContain('SECRET-TOKEN-9');
    } finally {
      await echo.close();
    }
  });

  it('current() and logFields() - the active span inside a helper, nothing outside; JSON log lines carry trace_id/span_id', async () => {
    const stream = new PassThrough();
    let text = '';
    stream.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
    const inner = createWinston({ level: 'info', format: 'json' });
    inner.clear().add(new winston.transports.Stream({ stream }));
    const log = new WinstonLogger(inner, tracing.tracer).child({ session_id: 's-1' });

    expect(tracing.tracer.current()).toBeUndefined();
    log.info('before');
    const inside = await tracing.tracer.handler('GetSystemStatusQuery', async () => {
      log.info('inside', { principal: 'key:ops' });
      return { current: tracing.tracer.current(), ids: tracing.tracer.logFields() };
    });
    log.info('after');
    const [span] = await exported(tracing, 1);

    expect(inside.current).toEqual({ traceparent: `00-${span.traceId}-${span.spanId}-01` });
    expect(inside.ids).toEqual({ trace_id: span.traceId, span_id: span.spanId });
    const lines = text.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.map((line) => [line.message, line.trace_id, line.span_id])).toEqual([
      ['before', undefined, undefined],
      ['inside', span.traceId, span.spanId],
      ['after', undefined, undefined],
    ]);
    expect(lines[1]).toMatchObject({ session_id: 's-1', principal: 'key:ops' });
  });

  it('TracedEventPublisher - one PRODUCER span per event under the span that recorded it; the publisher gets the publish context', async () => {
    const published: DomainEvent[] = [];
    const inner: EventPublisher = { publish: async (events) => void published.push(...events) };
    const publisher = new TracedEventPublisher(inner, tracing.tracer, 'nats');
    const recorded = await tracing.tracer.toolRun('write_file', async () => ({ ...testEvent('ev-1'), trace: tracing.tracer.current() }));
    const untraced = testEvent('ev-2');

    await publisher.publish([recorded, untraced]);
    const spans = await exported(tracing, 3);
    const tool = byName(spans, 'tool write_file');
    const publishes = spans.filter((span) => span.kind === PRODUCER);
    const underTool = publishes.find((span) => span.attributes['messaging.message.id'] === 'ev-1');
    const root = publishes.find((span) => span.attributes['messaging.message.id'] === 'ev-2');

    expect(underTool).toMatchObject({ name: 'publish test.happened', traceId: tool.traceId, parentSpanId: tool.spanId });
    expect(underTool?.attributes).toEqual({
      'messaging.system': 'nats',
      'messaging.operation.type': 'send',
      'messaging.operation.name': 'publish',
      'messaging.message.id': 'ev-1',
      'tfo.event.type': 'test.happened',
    });
    expect(root?.parentSpanId).toBeUndefined();
    expect(published.map((event) => event.trace?.traceparent)).toEqual([
      `00-${tool.traceId}-${underTool?.spanId}-01`,
      `00-${root?.traceId}-${root?.spanId}-01`,
    ]);
    expect(published[0].data).toBe(recorded.data);
  });

  it('TracedEventPublisher - the destination refuses - the same error, every publish span an error', async () => {
    const refusal = Object.assign(new Error('nope'), { code: 'nats.publish_failed' });
    const publisher = new TracedEventPublisher({ publish: () => Promise.reject(refusal) }, tracing.tracer, 'nats');
    await expect(publisher.publish([testEvent('a'), testEvent('b')])).rejects.toBe(refusal);
    const spans = await exported(tracing, 2);
    expect(spans.map((span) => [span.status.code, span.attributes['error.type']])).toEqual([
      [ERROR, 'nats.publish_failed'],
      [ERROR, 'nats.publish_failed'],
    ]);
  });

  it('tracedExecutor and tracedBus - spans named by backend and message class, the wrapped objects keep working', async () => {
    const result: ExecutionResult = { exitCode: 3, signal: null, stdout: 'secret-output', stderr: '', stdoutTruncated: false, stderrTruncated: false, timedOut: false, cancelled: false, durationMs: 1 };
    const executor: Executor = { backend: 'docker', isolation: { contained: true, description: 'test' }, execute: async () => result, shutdown: async () => undefined };
    class Ping extends Command<string> {}
    const bus = new CommandBus();
    const traced = tracedBus(bus, tracing.tracer);
    const handler: CommandHandler<Ping> = { handles: Ping, execute: async () => 'pong' };
    traced.register(handler);

    const wrapped = tracedExecutor(executor, tracing.tracer);
    expect(wrapped.health).toBeUndefined();
    await expect(wrapped.execute({ command: 'ls', args: ['--password=p4ss'], cwd: '/', timeoutMs: 1000, maxOutputBytes: 100 })).resolves.toBe(result);
    await expect(traced.execute(new Ping())).resolves.toBe('pong');
    await expect(bus.execute(new Ping())).resolves.toBe('pong');
    expect(traced).toBeInstanceOf(CommandBus);

    const spans = await exported(tracing, 2);
    expect(spans).toHaveLength(2);
    expect(byName(spans, 'execute docker').attributes).toEqual({ 'tfo.executor.backend': 'docker', 'tfo.execution.exit_code': 3, 'tfo.execution.timed_out': false });
    expect(byName(spans, 'Ping').attributes).toEqual({ 'tfo.message.name': 'Ping' });
    expect(exportedText(spans)).not.toMatch(/p4ss|secret-output/);
  });

  it('the collector fails - calls are unaffected, one warning a minute naming the endpoint, spans arrive again once it is back', async () => {
    receiver.failWith(500);
    for (let i = 0; i < 3; i++) {
      await expect(tracing.tracer.request({ method: 'ping', transport: 'http' }, async () => i)).resolves.toBe(i);
      // Each its own scheduled batch (20 ms), so each export fails on its own.
      await receiver.waitFor(() => receiver.requests.filter((r) => r.status === 500).length > i);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
    const warnings = tracing.logger.at('warn').filter((line) => line.message.startsWith('trace export failed'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0].fields.endpoint).toBe(`${receiver.endpoint}/v1/traces`);

    receiver.failWith(undefined);
    await tracing.tracer.request({ method: 'tools/list', transport: 'http' }, async () => undefined);
    const spans = await exported(tracing, 1);
    expect(spans.map((span) => span.name)).toEqual(['tools/list']);
  });
});

describe('tracing over OTLP http/json', () => {
  it('request and child - JSON on the wire, ids and parent link decoded the same', async () => {
    const tracing = await startTestTracing(receiver, { protocol: 'http/json', service_name: 'tfo-mcp-json', service_version: '1.2.3' });
    try {
      await tracing.tracer.request({ method: 'resources/read', transport: 'http', header: { traceparent: CLIENT_PARENT } }, () => tracing.tracer.handler('ReadResourceQuery', async () => undefined));
      const spans = await exported(tracing, 2);
      expect(receiver.requests[0].contentType).toMatch(/^application\/json/);
      const request = byName(spans, 'resources/read');
      expect(request).toMatchObject({ traceId: CLIENT_TRACE, parentSpanId: CLIENT_SPAN, kind: SERVER });
      expect(byName(spans, 'ReadResourceQuery').parentSpanId).toBe(request.spanId);
      expect(request.resource).toMatchObject({ 'service.name': 'tfo-mcp-json', 'service.version': '1.2.3' });
    } finally {
      await tracing.shutdown();
    }
  });
});

describe('sampling (parent-based over a trace-id ratio)', () => {
  it('ratio 0 - new traces are not exported, a sampled client trace is, an unsampled one is not; ids still reach the log', async () => {
    const tracing = await startTestTracing(receiver, { sampling_ratio: 0 });
    try {
      const ids = await tracing.tracer.request({ method: 'tools/list', transport: 'http' }, async () => tracing.tracer.logFields());
      await tracing.tracer.request({ method: 'tools/call', transport: 'http', header: { traceparent: CLIENT_PARENT } }, async () => undefined);
      await tracing.tracer.request({ method: 'prompts/list', transport: 'http', meta: { traceparent: CLIENT_PARENT.replace(/-01$/, '-00') } }, async () => undefined);
      await tracing.forceFlush();
      const spans = await receiver.waitFor((all) => all.length >= 1);
      await new Promise((resolve) => setTimeout(resolve, 100));

      expect(receiver.spans.map((span) => span.name)).toEqual(['tools/call']);
      expect(spans[0].traceId).toBe(CLIENT_TRACE);
      expect(ids?.trace_id).toMatch(/^[0-9a-f]{32}$/);
    } finally {
      await tracing.shutdown();
    }
  });
});

describe('shutdown', () => {
  it('takes the http patch off and frees the globals - tracing can start again', async () => {
    const first = await startTestTracing(receiver);
    await first.shutdown();
    const echo = await echoServer();
    try {
      await get(`${echo.url}/`);
      expect(echo.seen).toEqual([undefined]);
      const second = await startTestTracing(receiver);
      await second.tracer.request({ method: 'ping', transport: 'http' }, () => get(`${echo.url}/`));
      await second.shutdown();
      expect(echo.seen[1]).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    } finally {
      await echo.close();
    }
  });

  it('a second start in the same process - refused, the first keeps exporting', async () => {
    const first = await startTestTracing(receiver);
    try {
      await expect(startTestTracing(receiver)).rejects.toThrow(/already registered/);
      await first.tracer.request({ method: 'ping', transport: 'stdio' }, async () => undefined);
      await first.forceFlush();
      await receiver.waitFor((spans) => spans.some((span) => span.name === 'ping'));
    } finally {
      await first.shutdown();
    }
  });
});
