import { startHttpServer, type HttpServer } from '../support/http-server.js';
import { ListenStream, statelessHeaders, statelessMeta, type Frame } from '../support/stateless-http.js';

/**
 * subscriptions/listen (2026-07-28) on the built server, fixture profile, as a client sees it over
 * HTTP: the SSE answer, the acknowledgement first, a tool added at runtime (test_trigger_tool_change)
 * announced on the stream that asked for it and on no other, and the graceful result on shutdown.
 */
const SUB = 'io.modelcontextprotocol/subscriptionId';
const META = statelessMeta('listen-e2e');

function listen(server: HttpServer, id: string, notifications: Record<string, unknown>): Promise<ListenStream> {
  return ListenStream.open(server.url, id, notifications, META);
}

async function callTool(server: HttpServer, name: string, id: number): Promise<Frame> {
  const res = await fetch(server.url, {
    method: 'POST',
    headers: statelessHeaders('tools/call', name),
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
    await Promise.all([tools.frame(0), prompts.end()]);

    const trigger = await callTool(server, 'test_trigger_tool_change', 11);
    await tools.frame(1);

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
      headers: statelessHeaders('tools/list'),
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
      await stream.frame(0);

      await own.stop();

      await stream.end();
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
