import { GetHealthHandler, GetHealthQuery } from '../../../src/application/health/get-health.query.js';
import type { ComponentHealth, HealthCheck } from '../../../src/application/ports/health.js';
import { EmbeddedHealthCheck, InMemoryOutboxHealthCheck } from '../../../src/infrastructure/health/embedded-health-checks.js';
import { serverSettings, testEvent } from '../../support/builders.js';
import { FixedClock, T0 } from '../../support/fixed-clock.js';
import { createTestApp } from '../../support/test-app.js';

/** A dependency that never answers (a hung socket): no adapter can be made to hang on demand. */
const hung: HealthCheck = { name: 'hung-db', check: () => new Promise<ComponentHealth>(() => {}) };
/** A check whose probe itself throws, with internals in the message. */
const throwing: HealthCheck = {
  name: 'broken',
  check: () => Promise.reject(new Error('password authentication failed for user "admin"')),
};

describe('GetHealth', () => {
  it('all embedded adapters up - status up with name, version, uptime from the clock and session counts', async () => {
    const app = createTestApp();
    await app.readySession();
    await app.openSession();
    app.clock.advance(90_400);

    const report = await app.queries.execute(new GetHealthQuery());

    expect(report).toEqual({
      status: 'up',
      name: 'tfo-mcp-test',
      version: '0.0.0-test',
      uptimeSeconds: 90,
      sessions: { CREATED: 1, INITIALIZING: 0, READY: 1, CLOSING: 0, CLOSED: 0 },
      components: [
        { name: 'persistence', status: 'up', detail: 'memory' },
        { name: 'outbox', status: 'up', detail: expect.stringContaining('memory') },
      ],
      checkedAt: new Date(T0.getTime() + 90_400).toISOString(),
    });
  });

  it('a check hangs - reported down after the check timeout; the report still arrives', async () => {
    const app = createTestApp({ healthChecks: () => [new EmbeddedHealthCheck('persistence', 'memory'), hung], healthCheckTimeoutMs: 30 });

    const started = Date.now();
    const report = await app.queries.execute(new GetHealthQuery());

    expect(Date.now() - started).toBeLessThan(1_500);
    expect(report.status).toBe('down');
    expect(report.components).toEqual([
      { name: 'persistence', status: 'up', detail: 'memory' },
      { name: 'hung-db', status: 'down', detail: 'no answer within 30 ms' },
    ]);
  });

  it('several checks hang - they run concurrently, so the report takes about one timeout, not the sum', async () => {
    const app = createTestApp({ healthChecks: () => [hung, { ...hung, name: 'hung-2' }, { ...hung, name: 'hung-3' }, { ...hung, name: 'hung-4' }], healthCheckTimeoutMs: 300 });

    const started = Date.now();
    const report = await app.queries.execute(new GetHealthQuery());

    expect(Date.now() - started).toBeLessThan(1_000);
    expect(report.components.map((c) => c.status)).toEqual(['down', 'down', 'down', 'down']);
  });

  it('a check throws - reported down with a generic detail (no internal message)', async () => {
    const app = createTestApp({ healthChecks: () => [throwing] });

    const report = await app.queries.execute(new GetHealthQuery());

    expect(report.status).toBe('down');
    expect(report.components).toEqual([{ name: 'broken', status: 'down', detail: 'health check failed' }]);
    expect(JSON.stringify(report)).not.toContain('password');
  });

  it('outbox has a parked event - degraded, not down', async () => {
    const app = createTestApp({ healthChecks: (outbox) => [new EmbeddedHealthCheck('persistence', 'memory'), new InMemoryOutboxHealthCheck(outbox)] });
    await app.outbox.append([testEvent('e1')]);
    await app.outbox.claim(1);
    await app.outbox.release(['e1'], 'nats down', 1);

    const report = await app.queries.execute(new GetHealthQuery());

    expect(report.status).toBe('degraded');
    expect(report.components[1]).toEqual({ name: 'outbox', status: 'degraded', detail: 'memory; pending 0, parked 1, dropped 0' });
  });

  it('one degraded and one down - down wins', async () => {
    const app = createTestApp({ healthChecks: (outbox) => [new InMemoryOutboxHealthCheck(outbox), throwing], outboxCapacity: 100 });
    await app.outbox.append(Array.from({ length: 101 }, (_, i) => testEvent(`e${i}`)));

    const report = await app.queries.execute(new GetHealthQuery());

    expect(report.components.map((c) => c.status)).toEqual(['degraded', 'down']);
    expect(report.status).toBe('down');
  });

  it('no checks at all - up', async () => {
    const app = createTestApp({ healthChecks: () => [] });
    await expect(app.queries.execute(new GetHealthQuery())).resolves.toMatchObject({ status: 'up', components: [] });
  });
});

describe('GetHealth – the session store itself is down', () => {
  it('countByState rejects – the report still comes back: sessions null, status from the components', async () => {
    const failingStore = {
      get: async () => {
        throw new Error('ECONNREFUSED');
      },
      save: async () => undefined,
      countByState: async () => {
        throw new Error('connect ECONNREFUSED 127.0.0.1:5432');
      },
    };
    const down: HealthCheck = { name: 'postgres', check: async () => ({ name: 'postgres', status: 'down', detail: 'no connection' }) };
    const handler = new GetHealthHandler(failingStore, [down], serverSettings(), new FixedClock());
    const report = await handler.execute();
    expect(report.sessions).toBeNull();
    expect(report.status).toBe('down');
    expect(report.components).toEqual([{ name: 'postgres', status: 'down', detail: 'no connection' }]);
  });
});
