import type { JetStreamManager, NatsConnection as NatsClient } from 'nats';
import { NatsConnection } from '../../../src/infrastructure/messaging/nats/nats-connection.js';
import { NatsHealthCheck } from '../../../src/infrastructure/messaging/nats/nats-health-check.js';
import { ensureStream, type StreamOptions } from '../../../src/infrastructure/messaging/nats/stream-setup.js';
import { RecordingLogger } from '../../support/builders.js';
import { adminClient, closedPort, deleteStream, NATS_URL, testStreamOptions, waitFor } from './nats-test-support.js';

describe('NatsHealthCheck (real NATS)', () => {
  let admin: { nc: NatsClient; jsm: JetStreamManager };
  let stream: StreamOptions;
  let connection: NatsConnection;

  beforeAll(async () => {
    admin = await adminClient();
  });

  beforeEach(() => {
    stream = testStreamOptions();
  });

  afterEach(async () => {
    await connection.close();
    await deleteStream(admin.jsm, stream.name);
  });

  afterAll(async () => {
    await admin.nc.close();
  });

  function start(url: string): NatsConnection {
    connection = new NatsConnection({ url, name: 'tfo-mcp health test', reconnectWaitMs: 100, reconnectJitterMs: 50 }, new RecordingLogger());
    connection.start();
    return connection;
  }

  it('check - connected and the stream answers - up, with the stream size', async () => {
    await ensureStream(admin.jsm, stream);
    await admin.nc.jetstream().publish(`${stream.subjectPrefix}.session.ready.v1`, new Uint8Array([1]));
    await start(NATS_URL).ready(2_000);

    const health = await new NatsHealthCheck(connection, stream.name).check();

    expect(health).toEqual({ name: 'nats', status: 'up', detail: `${NATS_URL}; stream ${stream.name}: 1 message(s)` });
  });

  it('check - connected but the stream is missing - down, naming the stream', async () => {
    await start(NATS_URL).ready(2_000);

    const health = await new NatsHealthCheck(connection, stream.name).check();

    expect(health).toEqual({ name: 'nats', status: 'down', detail: `stream ${stream.name} not found on ${NATS_URL}` });
  });

  it('check - server unreachable - down at once with the reason, no credentials', async () => {
    const port = await closedPort();
    start(`nats://svc:pa55word@127.0.0.1:${port}`);
    await waitFor(() => connection.status().failedAttempts >= 1, 2_000, 'a failed attempt');
    const started = Date.now();

    const health = await new NatsHealthCheck(connection, stream.name).check();

    expect(Date.now() - started).toBeLessThan(100);
    expect(health.status).toBe('down');
    expect(health.detail).toMatch(new RegExp(`^connecting to nats://127\\.0\\.0\\.1:${port} since \\S+: connection refused \\(ECONNREFUSED\\)$`));
    expect(health.detail).not.toContain('pa55word');
  });
});
