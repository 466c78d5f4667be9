import { startHttpServer, type HttpServer } from '../support/http-server.js';

/**
 * subscriptions/listen (2026-07-28) on the built server, fixture profile, as a client sees it over
 * HTTP: the SSE answer, the acknowledgement first, a tool added at runtime (test_trigger_tool_change)
 * announced on the stream that asked for it and on no other, and the graceful result on shutdown.
 */
const SUB = 'io.modelcontextprotocol/subscriptionId';
const META = {
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientInfo': { name: 'listen-e2e', version: '1' },
  'io.modelcontextprotocol/clientCapabilities': {},
};
type Frame = { id?: unknown; method?: string; params?: Record<string, unknown>; result?: Record<string, unknown> };

function headers(method: string, name?: string): Record<string, string> {
  return {
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    'mcp-protocol-version': '2026-07-28',
    'mcp-method': method,
    ...(name !== undefined ? { 'mcp-name': name } : {}),
  };
}

async function until(predicate: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A listen request's response, read frame by frame as it arrives. */
async function listen(server: HttpServer, id: string, notifications: Record<string, unknown>) {
  const controller = new AbortController();
  const res = await fetch(server.url, {
    method: 'POST',
    headers: headers('subscriptions/listen'),
    body: JSON.stringify({ jsonrpc: '2.0', id, method: 'subscriptions/listen', params: { notifications, _meta: META } }),
    signal: controller.signal,
  });
  const stream = { status: res.status, contentType: res.headers.get('content-type'), frames: [] as Frame[], ended: false, hangUp: () => controller.abort() };
  void (async () => {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        const lines = buffer.split('\n');
        buffer = lines.pop() ?? '';
        for (const line of lines) if (line.startsWith('data: ')) stream.frames.push(JSON.parse(line.slice(6)) as Frame);
      }
    } catch {
      // hung up
    }
    stream.ended = true;
  })();
  return stream;
}

async function callTool(server: HttpServer, name: string, id: number): Promise<Frame> {
  const res = await fetch(server.url, {
    method: 'POST',
    headers: headers('tools/call', name),
    body: JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: {}, _meta: META } }),
  });
  return (await res.json()) as Frame;
}

describe('subscriptions/listen over HTTP (built server, fixture profile)', () => {
  let server: HttpServer;

  beforeAll(async () => {
    server = await startHttpServer({ TELEMETRYFLOW_MCP_MCP__FIXTURES__CONFORMANCE: 'true' });
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('a tools stream hears a runtime tool change, tagged with its id; a prompts-only stream opened beside it never does', async () => {
    const tools = await listen(server, 'tools-1', { toolsListChanged: true });
    const prompts = await listen(server, 'prompts-1', { promptsListChanged: true });
    expect(tools).toMatchObject({ status: 200, contentType: 'text/event-stream' });
    await until(() => tools.frames.length === 1 && prompts.ended, 'both acknowledgements');

    const trigger = await callTool(server, 'test_trigger_tool_change', 11);
    await until(() => tools.frames.length === 2, 'notifications/tools/list_changed');

    expect(trigger.result).toMatchObject({ resultType: 'complete', content: [{ text: expect.stringMatching(/^Registered test_runtime_tool_\d+/) }] });
    expect(tools.frames).toEqual([
      { jsonrpc: '2.0', method: 'notifications/subscriptions/acknowledged', params: { notifications: { toolsListChanged: true }, _meta: { [SUB]: 'tools-1' } } },
      { jsonrpc: '2.0', method: 'notifications/tools/list_changed', params: { _meta: { [SUB]: 'tools-1' } } },
    ]);
    expect(prompts.frames.map((f) => f.method ?? 'result')).toEqual(['notifications/subscriptions/acknowledged', 'result']);
    expect(prompts.frames[0].params).toEqual({ notifications: {}, _meta: { [SUB]: 'prompts-1' } });
    expect(prompts.frames.some((f) => f.method === 'notifications/tools/list_changed')).toBe(false);

    const listed = await fetch(server.url, {
      method: 'POST',
      headers: headers('tools/list'),
      body: JSON.stringify({ jsonrpc: '2.0', id: 12, method: 'tools/list', params: { _meta: META } }),
    });
    const names = ((await listed.json()) as { result: { tools: { name: string }[] } }).result.tools.map((t) => t.name);
    expect(names).toContain('test_runtime_tool_1');
    tools.hangUp();
  });

  it('server shutdown (SIGTERM) - an open stream receives the listen result (its id, serverInfo), then ends', async () => {
    const own = await startHttpServer({ TELEMETRYFLOW_MCP_MCP__FIXTURES__CONFORMANCE: 'true' });
    try {
      const stream = await listen(own, 'bye', { toolsListChanged: true });
      await until(() => stream.frames.length === 1, 'the acknowledgement');

      await own.stop();

      await until(() => stream.ended, 'the stream to end');
      expect(stream.frames.at(-1)).toEqual({
        jsonrpc: '2.0',
        id: 'bye',
        result: { resultType: 'complete', _meta: { [SUB]: 'bye', 'io.modelcontextprotocol/serverInfo': { name: 'tfo-mcp', version: expect.any(String) } } },
      });
    } finally {
      await own.stop();
    }
  });
});
