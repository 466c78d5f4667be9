import type { JetStreamManager, NatsConnection as NatsClient } from 'nats';
import { domainEvent, type DomainEvent } from '../../../src/domain/shared/domain-event.js';
import { tailEvents, type TailLine } from '../../../src/infrastructure/messaging/nats/events-tail.js';
import { NatsConnection } from '../../../src/infrastructure/messaging/nats/nats-connection.js';
import { NatsEventPublisher } from '../../../src/infrastructure/messaging/nats/nats-event-publisher.js';
import { ensureStream, type StreamOptions } from '../../../src/infrastructure/messaging/nats/stream-setup.js';
import { RecordingLogger } from '../../support/builders.js';
import { adminClient, closedPort, deleteStream, NATS_URL, suffix, testStreamOptions, waitFor } from './nats-test-support.js';

const at = new Date('2025-06-01T10:00:00.000Z');
function event(type: string, aggregateType: string, data: unknown = {}): DomainEvent {
  return domainEvent(aggregateType, 'agg-1', type, data, { id: `tail-${suffix()}`, occurredAt: at }, 's-1');
}

describe('tailEvents (real NATS)', () => {
  let admin: { nc: NatsClient; jsm: JetStreamManager };
  let stream: StreamOptions;
  let connection: NatsConnection;
  let publisher: NatsEventPublisher;

  beforeAll(async () => {
    admin = await adminClient();
  });

  beforeEach(async () => {
    stream = testStreamOptions();
    await ensureStream(admin.jsm, stream);
    connection = new NatsConnection({ url: NATS_URL, name: 'tfo-mcp tail test' }, new RecordingLogger());
    connection.start();
    publisher = new NatsEventPublisher(connection, { subjectPrefix: stream.subjectPrefix, source: 'tfo-mcp-test', stream });
  });

  afterEach(async () => {
    await connection.close();
    await deleteStream(admin.jsm, stream.name);
  });

  afterAll(async () => {
    await admin.nc.close();
  });

  /** Runs a tail until `count` lines arrived (bounded), then aborts it; returns the parsed lines. */
  async function tail(count: number, options: { subject?: string; deliver: 'new' | 'all'; onReady?: () => Promise<void> }) {
    const lines: TailLine[] = [];
    const abort = new AbortController();
    let ready: Promise<void> = Promise.resolve();
    const running = tailEvents({
      url: NATS_URL,
      stream: stream.name,
      subject: options.subject,
      deliver: options.deliver,
      output: (line) => void lines.push(JSON.parse(line) as TailLine),
      signal: abort.signal,
      onReady: () => {
        ready = options.onReady?.() ?? Promise.resolve();
      },
    });
    // A tail that fails to start must fail the test, not outlive it.
    const failed = running.then(() => new Error('tail ended early'), (error: unknown) => error);
    try {
      await Promise.race([waitFor(() => lines.length >= count, 5_000, `${count} tail lines`), failed.then((e) => Promise.reject(e))]);
      await ready;
    } finally {
      abort.abort();
    }
    const result = await running;
    return { lines, printed: result.printed };
  }

  it('tailEvents - deliver all - prints every stored event as one JSON line, oldest first', async () => {
    const events = [event('session.created', 'session', { transport: 'stdio' }), event('session.ready', 'session')];
    await publisher.publish(events);

    const { lines, printed } = await tail(2, { deliver: 'all' });

    expect(printed).toBe(lines.length);
    expect(lines).toEqual([
      { stream_seq: 1, subject: `${stream.subjectPrefix}.session.created.v1`, event: expect.objectContaining({ id: events[0].id, type: 'session.created', data: { transport: 'stdio' } }) },
      { stream_seq: 2, subject: `${stream.subjectPrefix}.session.ready.v1`, event: expect.objectContaining({ id: events[1].id, source: 'tfo-mcp-test' }) },
    ]);
  });

  it('tailEvents - deliver new - prints only events stored after it started', async () => {
    await publisher.publish([event('session.created', 'session')]);
    const later = [event('tool.executed', 'tool_execution'), event('tool.failed', 'tool_execution')];

    const { lines } = await tail(2, { deliver: 'new', onReady: () => publisher.publish(later) });

    expect(lines.map((l) => (l.event as { id: string }).id)).toEqual(later.map((e) => e.id));
  });

  it('tailEvents - a subject filter - prints only matching events', async () => {
    const tool = event('tool.executed', 'tool_execution');
    await publisher.publish([event('session.created', 'session'), tool, event('session.ready', 'session')]);

    const { lines } = await tail(1, { deliver: 'all', subject: `${stream.subjectPrefix}.tool.>` });
    // Nothing else may follow: the two session events were stored before the tool one was delivered.
    await new Promise((resolve) => setTimeout(resolve, 200));

    expect(lines.map((l) => l.subject)).toEqual([`${stream.subjectPrefix}.tool.executed.v1`]);
  });

  it('tailEvents - a message that is not an envelope - prints an error line and goes on', async () => {
    await admin.nc.jetstream().publish(`${stream.subjectPrefix}.junk.v1`, new TextEncoder().encode('not json'));
    const good = event('session.ready', 'session');
    await publisher.publish([good]);

    const { lines } = await tail(2, { deliver: 'all' });

    expect(lines[0]).toEqual({ stream_seq: 1, subject: `${stream.subjectPrefix}.junk.v1`, error: 'message body is not JSON' });
    expect((lines[1].event as { id: string }).id).toBe(good.id);
  });

  it('tailEvents - stream does not exist - rejects naming it', async () => {
    const abort = new AbortController();

    await expect(tailEvents({ url: NATS_URL, stream: 'TFO_TEST_NOPE_' + suffix(), deliver: 'all', output: () => undefined, signal: abort.signal })).rejects.toThrow(
      /stream TFO_TEST_NOPE_\w+ on nats:\/\/127\.0\.0\.1:\d+ does not exist/,
    );
  });

  it('tailEvents - NATS unreachable - rejects at once without credentials', async () => {
    const port = await closedPort();
    const abort = new AbortController();

    const tail = tailEvents({ url: `nats://ops:t0ps3cret@127.0.0.1:${port}`, stream: stream.name, deliver: 'all', output: () => undefined, signal: abort.signal });

    await expect(tail).rejects.toMatchObject({ message: `NATS at nats://127.0.0.1:${port} is not reachable: connection refused (ECONNREFUSED)` });
  });

  it('tailEvents - aborted while idle - resolves promptly', async () => {
    const abort = new AbortController();
    let ready = false;
    const running = tailEvents({ url: NATS_URL, stream: stream.name, deliver: 'new', output: () => undefined, signal: abort.signal, onReady: () => (ready = true) });
    await waitFor(() => ready, 3_000, 'tail ready');
    const started = Date.now();

    abort.abort();

    await expect(running).resolves.toEqual({ printed: 0 });
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});
