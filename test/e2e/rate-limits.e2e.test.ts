import { answerOf, authEnv, bearer, postWith, statelessRequest, testApiKey, type TestApiKey } from '../support/auth-http.js';
import { startHttpServer, type HttpServer } from '../support/http-server.js';
import { createTempWorkspace, startClient, type TempWorkspace } from '../support/spawn-server.js';

/**
 * rate_limits through the built server, counting in memory: the request bucket answers 429 with
 * Retry-After before the body is read, per principal; tool buckets and the concurrency cap answer
 * the retryable `rate_limited` envelope, on HTTP and on stdio alike; /ready shows the limits.
 * (Redis-shared budgets across replicas: auth-replicas.e2e.test.ts.)
 */
let ws: TempWorkspace;
let server: HttpServer;
let flood: TestApiKey;
let calm: TestApiKey;
let single: TestApiKey;

const limitsEnv = {
  TELEMETRYFLOW_MCP_RATE_LIMITS__ENABLED: 'true',
  // Unlimited unless a class or a tool says otherwise.
  TELEMETRYFLOW_MCP_RATE_LIMITS__DEFAULT__REQUESTS_PER_MINUTE: '0',
  TELEMETRYFLOW_MCP_RATE_LIMITS__DEFAULT__TOOL_CALLS_PER_MINUTE: '0',
  TELEMETRYFLOW_MCP_RATE_LIMITS__DEFAULT__MAX_CONCURRENT: '0',
  TELEMETRYFLOW_MCP_RATE_LIMITS__CLASSES__LIMITED__REQUESTS_PER_MINUTE: '60',
  TELEMETRYFLOW_MCP_RATE_LIMITS__CLASSES__LIMITED__BURST: '5',
  TELEMETRYFLOW_MCP_RATE_LIMITS__CLASSES__SINGLE__MAX_CONCURRENT: '1',
  TELEMETRYFLOW_MCP_RATE_LIMITS__TOOLS__SYSTEM_INFO__CALLS_PER_MINUTE: '60',
  TELEMETRYFLOW_MCP_RATE_LIMITS__TOOLS__SYSTEM_INFO__BURST: '2',
};

beforeAll(async () => {
  ws = await createTempWorkspace('tfo-rate-limits-');
  [flood, calm, single] = await Promise.all([
    testApiKey('flood', ['tools:*'], { rate_limit_class: 'limited' }),
    testApiKey('calm', ['tools:*']),
    testApiKey('single', ['tools:*'], { rate_limit_class: 'single' }),
  ]);
  server = await startHttpServer({
    ...authEnv([flood, calm, single]),
    ...limitsEnv,
    TELEMETRYFLOW_MCP_MCP__ROOTS: ws.root,
    TELEMETRYFLOW_MCP_EXECUTION__SECURITY__ALLOWED_COMMANDS: 'sleep',
  });
}, 30_000);

afterAll(async () => {
  await server?.stop();
  await ws?.cleanup();
});

const echo = (key: TestApiKey, message = 'x') => statelessRequest(server.url, bearer(key.key), 'tools/call', { name: 'echo', arguments: { message } });

/** The tool-error envelope a refused call answers with (structured, or as the text content). */
function envelopeOf(result: unknown): Record<string, unknown> {
  const r = result as { isError?: boolean; structuredContent?: Record<string, unknown>; content?: { text?: string }[] };
  expect(r.isError).toBe(true);
  return r.structuredContent ?? (JSON.parse(r.content?.[0]?.text ?? '{}') as Record<string, unknown>);
}

describe('request buckets (HTTP)', () => {
  it('a class with a burst of 5 – five answered, the sixth 429 with Retry-After and retry_after_ms, before its (broken) body is read; another key is untouched', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 5; i += 1) statuses.push((await echo(flood)).status);

    const refused = await postWith(server.url, 'this is not JSON', bearer(flood.key));

    expect(statuses).toEqual([200, 200, 200, 200, 200]);
    expect(refused.status).toBe(429);
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(5);
    expect(answerOf(refused).error).toMatchObject({ code: -32000, data: { code: 'rate_limited', retry_after_ms: expect.any(Number) } });
    expect(answerOf(refused).error?.message).toContain('rate_limits.classes.limited.requests_per_minute');
    expect((await echo(calm)).status).toBe(200);
  });

  it('after Retry-After – the limited key is served again (a fixed window: its burst comes back whole)', async () => {
    let refused = await echo(flood);
    while (refused.status === 200) refused = await echo(flood);
    expect(refused.status).toBe(429);
    await new Promise((resolve) => setTimeout(resolve, Number(refused.headers.get('retry-after')) * 1000 + 100));
    expect((await echo(flood)).status).toBe(200);
  }, 15_000);
});

describe('tool buckets and the concurrency cap (the retryable envelope)', () => {
  it('tools.system_info with a burst of 2 – the third call answers rate_limited with retry_after_ms naming the tool\'s limit; echo is not counted', async () => {
    const call = () => statelessRequest(server.url, bearer(calm.key), 'tools/call', { name: 'system_info', arguments: {} });
    const first = answerOf(await call());
    const second = answerOf(await call());
    const third = await call();

    expect([first.result, second.result].map((r) => (r as { isError?: boolean }).isError ?? false)).toEqual([false, false]);
    expect(third.status).toBe(200);
    expect(envelopeOf(answerOf(third).result)).toMatchObject({ error: 'rate_limited', retryable: true, retry_after_ms: expect.any(Number), context: { limit: 'rate_limits.tools.system_info.calls_per_minute' } });
    expect((await echo(calm)).status).toBe(200);
  });

  it('a class capped at one concurrent call – a second call while `sleep 1` runs answers rate_limited naming max_concurrent; after it, calls pass', async () => {
    const long = statelessRequest(server.url, bearer(single.key), 'tools/call', { name: 'execute_command', arguments: { command: 'sleep', args: ['1'] } });
    await new Promise((resolve) => setTimeout(resolve, 300));

    const meanwhile = answerOf(await echo(single));

    expect(envelopeOf(meanwhile.result)).toMatchObject({ error: 'rate_limited', context: { limit: 'rate_limits.classes.single.max_concurrent' } });
    expect(JSON.stringify(answerOf(await long).result)).not.toContain('rate_limited');
    expect((answerOf(await echo(single)).result as { isError?: boolean }).isError).toBeFalsy();
  });
});

describe('what operators see', () => {
  it('/ready – rate limits enabled, the store, the default and each class and tool', async () => {
    const body = (await (await fetch(`${server.base}/ready`)).json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      ready: true,
      rate_limits: {
        enabled: true,
        store: 'memory',
        default: { requests_per_minute: 'unlimited' },
        classes: { limited: { requests_per_minute: 60, burst: 5 }, single: { max_concurrent: 1 } },
        tools: { system_info: { calls_per_minute: 60, burst: 2 } },
      },
    });
  });
});

describe('stdio', () => {
  it('the local user against tools.system_info with a burst of 2 – the third call answers the same retryable envelope', async () => {
    const h = await startClient({ ...limitsEnv, TELEMETRYFLOW_MCP_MCP__ROOTS: ws.root });
    try {
      const results = [];
      for (let i = 0; i < 3; i += 1) results.push(await h.client.callTool({ name: 'system_info', arguments: {} }));
      expect(results.slice(0, 2).map((r) => r.isError ?? false)).toEqual([false, false]);
      expect(envelopeOf(results[2])).toMatchObject({ error: 'rate_limited', retryable: true, retry_after_ms: expect.any(Number) });
    } finally {
      await h.close();
    }
  });
});
