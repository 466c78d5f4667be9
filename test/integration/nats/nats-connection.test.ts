import { NatsConnection } from '../../../src/infrastructure/messaging/nats/nats-connection.js';
import { RecordingLogger } from '../../support/builders.js';
import { closedPort, NATS_URL, OwnNatsServer, suffix, waitFor } from './nats-test-support.js';

const MONITOR_URL = process.env.TFO_NATS_MONITOR_URL ?? 'http://127.0.0.1:58222';

describe('NatsConnection (real NATS)', () => {
  const opened: NatsConnection[] = [];
  let logger: RecordingLogger;

  function connection(url: string, name = `tfo-mcp test ${suffix()}`): NatsConnection {
    const c = new NatsConnection({ url, name, reconnectWaitMs: 100, reconnectJitterMs: 50, connectTimeoutMs: 1_000 }, logger);
    opened.push(c);
    return c;
  }

  beforeEach(() => {
    logger = new RecordingLogger();
  });

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((c) => c.close()));
  });

  it('start - reachable server - becomes connected under its client name', async () => {
    const name = `tfo-mcp test ${suffix()}`;
    const c = connection(NATS_URL, name);
    expect(c.status().state).toBe('idle');

    c.start();
    await c.ready(2_000);

    expect(c.status()).toMatchObject({ state: 'connected', server: NATS_URL, failedAttempts: 0 });
    const connz = (await (await fetch(`${MONITOR_URL}/connz?limit=1024`)).json()) as { connections: { name?: string }[] };
    expect(connz.connections.map((conn) => conn.name)).toContain(name);
  });

  it('ready - server refuses connections - rejects after the timeout with the reason, keeps retrying', async () => {
    const port = await closedPort();
    const c = connection(`nats://127.0.0.1:${port}`);
    c.start();
    const started = Date.now();

    await expect(c.ready(400)).rejects.toThrow(`NATS at nats://127.0.0.1:${port} not connected within 400 ms (connecting: connection refused (ECONNREFUSED))`);

    expect(Date.now() - started).toBeGreaterThanOrEqual(390);
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(c.status().state).toBe('connecting');
    expect(c.status().failedAttempts).toBeGreaterThanOrEqual(2);
    expect(logger.at('warn').map((l) => l.message)).toContain('nats not reachable; retrying');
  });

  it('close - while still trying to connect - stops retrying and ready() says closed', async () => {
    const c = connection(`nats://127.0.0.1:${await closedPort()}`);
    c.start();
    await waitFor(() => c.status().failedAttempts >= 1, 2_000, 'a failed attempt');

    await c.close();
    const attempts = c.status().failedAttempts;
    await new Promise((resolve) => setTimeout(resolve, 400));

    expect(c.status().state).toBe('closed');
    expect(c.status().failedAttempts).toBe(attempts);
    await expect(c.ready(100)).rejects.toThrow(/is closed/);
  });

  it('status - the client is closed behind its back - logs it and connects again', async () => {
    const c = connection(NATS_URL);
    c.start();
    const first = await c.ready(2_000);

    await first.close();
    await waitFor(() => logger.at('error').some((l) => l.message === 'nats connection closed unexpectedly; reconnecting'), 2_000, 'the error log');
    const second = await c.ready(3_000);

    expect(second).not.toBe(first);
    expect(second.isClosed()).toBe(false);
    expect(c.status().state).toBe('connected');
  });

  it('ready - called before start - rejects at once', async () => {
    await expect(connection(NATS_URL).ready(1_000)).rejects.toThrow(/was not started/);
  });

  describe('with a server of its own', () => {
    let server: OwnNatsServer;

    beforeEach(async () => {
      server = await OwnNatsServer.create();
    });

    afterEach(async () => {
      await Promise.all(opened.splice(0).map((c) => c.close()));
      await server.dispose();
    });

    it('start - server comes up after us - the first connection is retried until it succeeds', async () => {
      const c = connection(server.url);
      c.start();
      await waitFor(() => c.status().failedAttempts >= 2, 3_000, 'two failed attempts');

      await server.start();

      await expect(c.ready(3_000)).resolves.toBeDefined();
      expect(c.status()).toMatchObject({ state: 'connected', failedAttempts: 0 });
    });

    it('status - server stops and restarts - reconnecting, then connected again', async () => {
      await server.start();
      const c = connection(server.url);
      c.start();
      await c.ready(2_000);

      await server.stop();
      await waitFor(() => c.status().state === 'reconnecting', 3_000, 'state reconnecting');
      await expect(c.ready(200)).rejects.toThrow(/not connected within 200 ms \(reconnecting/);
      await server.start();

      await expect(c.ready(5_000)).resolves.toBeDefined();
      expect(c.status().state).toBe('connected');
      expect(logger.lines.map((l) => l.message)).toEqual(expect.arrayContaining(['nats disconnected; reconnecting', 'nats reconnected']));
    });
  });
});
