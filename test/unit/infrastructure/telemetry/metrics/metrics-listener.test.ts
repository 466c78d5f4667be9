import { Agent, request } from 'node:http';
import { createServer } from 'node:net';
import type { MetricsConfig } from '../../../../../src/infrastructure/config/telemetry.schema.js';
import { createMetrics } from '../../../../../src/infrastructure/telemetry/metrics/create-metrics.js';
import { metricsRequestHandler, type MetricsSource } from '../../../../../src/infrastructure/telemetry/metrics/metrics-exposition.js';
import { MetricsListenerError, startMetricsListener, type MetricsListener } from '../../../../../src/infrastructure/telemetry/metrics/metrics-listener.js';
import { RecordingLogger } from '../../../../support/builders.js';
import { parseExposition, valueOf } from '../../../../support/prometheus-text.js';

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

function call(port: number, path: string, options: { method?: string; host?: string; agent?: Agent } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: options.agent ?? false, method: options.method ?? 'GET', headers: { host: options.host ?? `127.0.0.1:${port}` } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const source = (render: () => Promise<string>): MetricsSource => ({ contentType: 'text/plain; version=0.0.4; charset=utf-8', render });

describe('metrics listener (telemetry.metrics.port)', () => {
  const open: MetricsListener[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((listener) => listener.close()));
  });

  async function listen(render: () => Promise<string> = async () => 'up_things 1\n', logger = new RecordingLogger(), host = '127.0.0.1') {
    const listener = await startMetricsListener({ host, port: 0, path: '/metrics' }, metricsRequestHandler(source(render), logger), logger);
    open.push(listener);
    return listener;
  }

  it('serves the exposition text at its path, with the Prometheus content type and no caching', async () => {
    const listener = await listen();
    const answer = await call(listener.port, '/metrics');
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(answer.headers['cache-control']).toBe('no-store');
    expect(answer.body).toBe('up_things 1\n');
    expect(listener.url).toBe(`http://127.0.0.1:${listener.port}/metrics`);
  });

  it('answers HEAD without a body, other methods with 405, and other paths with 404', async () => {
    const listener = await listen();
    const head = await call(listener.port, '/metrics', { method: 'HEAD' });
    expect([head.status, head.body, head.headers['content-length']]).toEqual([200, '', String('up_things 1\n'.length)]);
    const post = await call(listener.port, '/metrics', { method: 'POST' });
    expect([post.status, post.headers.allow]).toEqual([405, 'GET, HEAD']);
    expect((await call(listener.port, '/')).status).toBe(404);
    expect((await call(listener.port, '/mcp')).status).toBe(404);
    expect((await call(listener.port, '/metrics?debug=1')).status).toBe(200);
  });

  it('refuses a non-loopback Host header when bound to loopback (DNS rebinding)', async () => {
    const listener = await listen();
    expect((await call(listener.port, '/metrics', { host: 'evil.example' })).status).toBe(403);
    expect((await call(listener.port, '/metrics', { host: `localhost:${listener.port}` })).status).toBe(200);
  });

  it('answers 500 with a fixed text when rendering fails, and logs the reason', async () => {
    const logger = new RecordingLogger();
    const listener = await listen(async () => {
      throw new Error('registry exploded: secret detail');
    }, logger);
    const answer = await call(listener.port, '/metrics');
    expect(answer.status).toBe(500);
    expect(answer.body).toBe('metrics unavailable; details are in the server log\n');
    expect(logger.at('error')).toEqual([expect.objectContaining({ message: 'metrics scrape failed', fields: { error: 'registry exploded: secret detail' } })]);
  });

  it('fails to start with a typed error naming the keys when the port is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const started = startMetricsListener({ host: '127.0.0.1', port, path: '/metrics' }, async () => undefined, new RecordingLogger());
      await expect(started).rejects.toBeInstanceOf(MetricsListenerError);
      await expect(started).rejects.toMatchObject({ code: 'metrics.listen_failed', message: expect.stringContaining('already in use; choose another with telemetry.metrics.host / telemetry.metrics.port') });
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it('frees its port on close, with a scraper still connected', async () => {
    const listener = await startMetricsListener({ host: '127.0.0.1', port: 0, path: '/metrics' }, metricsRequestHandler(source(async () => 'a 1\n'), new RecordingLogger()), new RecordingLogger());
    const scraper = new Agent({ keepAlive: true });
    await call(listener.port, '/metrics', { agent: scraper });
    const closed = new Promise((resolve) => Object.values(scraper.freeSockets).flat()[0]?.once('close', resolve));
    await listener.close();
    await closed;
    scraper.destroy();
    const again = await startMetricsListener({ host: '127.0.0.1', port: listener.port, path: '/metrics' }, metricsRequestHandler(source(async () => 'a 1\n'), new RecordingLogger()), new RecordingLogger());
    open.push(again);
    expect((await call(again.port, '/metrics')).status).toBe(200);
  });
});

describe('createMetrics (the lazily imported entry)', () => {
  const config = (port?: number): MetricsConfig => ({ enabled: true, host: '127.0.0.1', path: '/prom', ...(port !== undefined ? { port } : {}) });

  it('with a port of its own: opens it on start, serves the registry there, and leaves the MCP listener alone', async () => {
    const setup = createMetrics(config(0), '1.2.3', new RecordingLogger());
    expect(setup.onMcpListener).toBe(false);
    await setup.start();
    try {
      setup.metrics.toolCallEnded(setup.metrics.toolCallStarted(), 'read_file', 'none', 'ok');
      const answer = await call(setup.listener!.port, '/prom');
      const samples = parseExposition(answer.body);
      expect(valueOf(samples, 'tfo_mcp_tool_calls_total', { tool: 'read_file', backend: 'none', outcome: 'ok' })).toBe(1);
      expect(valueOf(samples, 'tfo_mcp_build_info', { version: '1.2.3' })).toBe(1);
    } finally {
      await setup.close();
    }
    expect(setup.listener).toBeUndefined();
    await setup.close();
  });

  it('without a port: no listener, and the MCP listener serves the path', async () => {
    const setup = createMetrics(config(), '1.2.3', new RecordingLogger());
    await setup.start();
    expect(setup.listener).toBeUndefined();
    expect([setup.onMcpListener, setup.path]).toEqual([true, '/prom']);
  });
});
