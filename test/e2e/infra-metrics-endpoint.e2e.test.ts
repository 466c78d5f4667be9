import { spawnSync } from 'node:child_process';
import { openRawSession, rawRequest } from '../support/http-client.js';
import { startHttpServer, type HttpServer } from '../support/http-server.js';
import { parseExposition, valueOf } from '../support/prometheus-text.js';
import { statelessHeaders, statelessMeta } from '../support/stateless-http.js';

/**
 * telemetry.metrics wired into the built server: GET /metrics on the MCP listener (or only on a port
 * of its own), counting what the hot path reports — both eras' requests, tool runs, the executor and
 * outbox probes — and accepted by `promtool check metrics` after a mixed workload.
 */
const METRICS_ON = { TELEMETRYFLOW_MCP_TELEMETRY__METRICS__ENABLED: 'true' };

async function stateless(server: HttpServer, id: number, method: string, params: Record<string, unknown>, name?: string) {
  const response = await fetch(server.url, {
    method: 'POST',
    headers: statelessHeaders(method, name),
    body: JSON.stringify({ jsonrpc: '2.0', id, method, params: { ...params, _meta: statelessMeta('metrics-e2e') } }),
  });
  return (await response.json()) as { result?: Record<string, unknown>; error?: { code: number } };
}

async function scrape(url: string): Promise<{ status: number; type: string | null; text: string }> {
  const response = await fetch(url);
  return { status: response.status, type: response.headers.get('content-type'), text: await response.text() };
}

function promtoolCheck(text: string): { status: number | null; output: string } {
  const run = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8', timeout: 30_000 });
  if (run.error) throw run.error;
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

describe('GET /metrics on the built server', () => {
  const started: HttpServer[] = [];
  const server = async (env: Record<string, string>) => {
    const s = await startHttpServer(env);
    started.push(s);
    return s;
  };

  afterAll(async () => {
    for (const s of started) await s.stop();
  });

  it('a mixed workload of both eras - counted by method, era and outcome; tool runs by tool, backend and outcome; promtool check metrics passes', async () => {
    const s = await server(METRICS_ON);
    const { sessionId } = await openRawSession(s.url);
    for (let i = 0; i < 3; i += 1) {
      const answer = await rawRequest(s.url, sessionId, 'tools/call', { name: 'echo', arguments: { message: `legacy ${i}` } });
      expect(answer.error).toBeUndefined();
    }
    expect((await rawRequest(s.url, sessionId, 'tools/list', {})).error).toBeUndefined();
    expect((await rawRequest(s.url, sessionId, 'no/such/method', {})).error?.code).toBe(-32601);
    for (let i = 0; i < 2; i += 1) {
      const answer = await stateless(s, 100 + i, 'tools/call', { name: 'echo', arguments: { message: `modern ${i}` } }, 'echo');
      expect(answer.error).toBeUndefined();
    }
    const refused = await stateless(s, 200, 'tools/call', { name: 'no_such_tool', arguments: {} }, 'no_such_tool');
    expect(refused.error?.code).toBeDefined();

    const { status, type, text } = await scrape(`${s.base}/metrics`);
    expect(status).toBe(200);
    expect(type).toMatch(/^text\/plain; version=0\.0\.4/);
    const samples = parseExposition(text);
    expect(valueOf(samples, 'tfo_mcp_requests_total', { method: 'tools/call', era: 'legacy', outcome: 'ok' })).toBe(3);
    expect(valueOf(samples, 'tfo_mcp_requests_total', { method: 'tools/call', era: 'modern', outcome: 'ok' })).toBe(2);
    expect(valueOf(samples, 'tfo_mcp_requests_total', { method: 'tools/call', era: 'modern', outcome: 'client_error' })).toBe(1);
    expect(valueOf(samples, 'tfo_mcp_requests_total', { method: 'initialize', era: 'legacy', outcome: 'ok' })).toBe(1);
    expect(valueOf(samples, 'tfo_mcp_requests_total', { method: 'tools/list', era: 'legacy', outcome: 'ok' })).toBe(1);
    // An unknown method is a bounded label, never the string the client sent.
    expect(text).not.toContain('no/such/method');
    expect(valueOf(samples, 'tfo_mcp_tool_calls_total', { tool: 'echo', backend: 'none', outcome: 'ok' })).toBe(5);
    expect(valueOf(samples, 'tfo_mcp_tool_call_duration_seconds_count', { tool: 'echo', backend: 'none' })).toBe(5);
    expect(valueOf(samples, 'tfo_mcp_executor_executions_max')).toBeGreaterThan(0);
    expect(valueOf(samples, 'tfo_mcp_outbox_pending_events')).toBeGreaterThanOrEqual(0);
    expect(valueOf(samples, 'tfo_mcp_sessions', { state: 'READY' })).toBe(1);
    expect(valueOf(samples, 'tfo_mcp_tasks', { status: 'working' })).toBe(0);
    expect(text).toContain('process_cpu_seconds_total');
    expect(text).not.toContain(sessionId);
    expect(promtoolCheck(text)).toEqual({ status: 0, output: '' });
  });

  it('rate limits - refusals counted by the limit that refused: the tool bucket, then the request bucket at the edge', async () => {
    const s = await server({
      ...METRICS_ON,
      TELEMETRYFLOW_MCP_RATE_LIMITS__ENABLED: 'true',
      TELEMETRYFLOW_MCP_RATE_LIMITS__DEFAULT__REQUESTS_PER_MINUTE: '60',
      TELEMETRYFLOW_MCP_RATE_LIMITS__DEFAULT__BURST: '3',
      TELEMETRYFLOW_MCP_RATE_LIMITS__DEFAULT__TOOL_CALLS_PER_MINUTE: '0',
      TELEMETRYFLOW_MCP_RATE_LIMITS__DEFAULT__MAX_CONCURRENT: '0',
      TELEMETRYFLOW_MCP_RATE_LIMITS__TOOLS__ECHO__CALLS_PER_MINUTE: '60',
      TELEMETRYFLOW_MCP_RATE_LIMITS__TOOLS__ECHO__BURST: '1',
    });
    const first = await stateless(s, 1, 'tools/call', { name: 'echo', arguments: { message: 'a' } }, 'echo');
    expect((first.result as { isError?: boolean } | undefined)?.isError).toBeFalsy();
    const second = await stateless(s, 2, 'tools/call', { name: 'echo', arguments: { message: 'b' } }, 'echo');
    expect((second.result as { isError?: boolean } | undefined)?.isError).toBe(true);
    const statuses: number[] = [];
    for (let i = 0; i < 3; i += 1) {
      const response = await fetch(s.url, { method: 'POST', headers: statelessHeaders('tools/list'), body: JSON.stringify({ jsonrpc: '2.0', id: 10 + i, method: 'tools/list', params: { _meta: statelessMeta('metrics-e2e') } }) });
      statuses.push(response.status);
      await response.arrayBuffer();
    }
    expect(statuses).toContain(429);
    const samples = parseExposition((await scrape(`${s.base}/metrics`)).text);
    expect(valueOf(samples, 'tfo_mcp_rate_limit_rejections_total', { limit: 'tool_call' })).toBe(1);
    expect(valueOf(samples, 'tfo_mcp_rate_limit_rejections_total', { limit: 'request' })).toBe(statuses.filter((status) => status === 429).length);
  });

  it('Host checked as for /health: a foreign Host header is refused before the scrape', async () => {
    const s = await server(METRICS_ON);
    const { request } = await import('node:http');
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${s.base}/metrics`, { headers: { host: 'evil.example' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(403);
  });

  it('metrics off (the default) - /metrics is not served', async () => {
    const s = await server({});
    expect((await scrape(`${s.base}/metrics`)).status).toBe(404);
  });

  it('telemetry.metrics.port set - served there only, not on the MCP listener', async () => {
    const s = await server({ ...METRICS_ON, TELEMETRYFLOW_MCP_TELEMETRY__METRICS__PORT: '0' });
    expect((await scrape(`${s.base}/metrics`)).status).toBe(404);
    // The ready log names no metrics port; a port in use is what start-up refuses instead (next test).
  });

  it('telemetry.metrics.port in use - start-up ends with exit 1 and the reason', async () => {
    const holder = await server(METRICS_ON);
    const { spawn } = await import('node:child_process');
    const { builtServerPath, serverEnv } = await import('../support/server-path.js');
    const child = spawn(process.execPath, [builtServerPath(), '--transport', 'http'], {
      env: serverEnv({ ...METRICS_ON, TELEMETRYFLOW_MCP_SERVER__HTTP__PORT: '0', TELEMETRYFLOW_MCP_TELEMETRY__METRICS__PORT: String(holder.port) }),
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    expect(code).toBe(1);
    expect(stderr).toMatch(/metrics/i);
    expect(stderr).toContain(String(holder.port));
  });
});
