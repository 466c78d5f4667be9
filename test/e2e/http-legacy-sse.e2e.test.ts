import { readFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { UUID_V4, connectHttpClient, type HttpClientHandle } from '../support/http-client.js';
import { startHttpServer, type HttpServer } from '../support/http-server.js';
import { delay } from '../support/raw-server.js';
import { createTempWorkspace, type TempWorkspace } from '../support/temp-workspace.js';

type HealthReport = { sessions: Record<string, number> };

describe('legacy HTTP+SSE transport (GET /sse + POST /messages) with the SDK SSEClientTransport', () => {
  let ws: TempWorkspace;
  let server: HttpServer;
  let observer: HttpClientHandle;
  const clients: Client[] = [];

  /** A legacy client; `posts` records where it POSTed (the endpoint the server announced). */
  const connectLegacy = async () => {
    const posts: URL[] = [];
    const recording: typeof fetch = (input, init) => {
      if (init?.method === 'POST') posts.push(new URL(input instanceof Request ? input.url : String(input)));
      return fetch(input, init);
    };
    const transport = new SSEClientTransport(new URL(`${server.base}/sse`), { fetch: recording });
    const client = new Client({ name: 'legacy-e2e', version: '1.0.0' }, { capabilities: {} });
    clients.push(client);
    await client.connect(transport);
    const sessionId = () => posts[0]?.searchParams.get('sessionId') ?? undefined;
    return { client, transport, posts, sessionId };
  };

  /** Sessions by state, as another (Streamable HTTP) client sees them in status://health. */
  const sessionStates = async () => {
    const { contents } = await observer.client.readResource({ uri: 'status://health' });
    return (JSON.parse((contents[0] as { text: string }).text) as HealthReport).sessions;
  };

  beforeAll(async () => {
    ws = await createTempWorkspace('tfo-mcp-http-legacy-');
    server = await startHttpServer({ TELEMETRYFLOW_MCP_MCP__ROOTS: ws.root });
    observer = await connectHttpClient(server.url);
  });

  afterAll(async () => {
    for (const client of clients) await client.close().catch(() => undefined);
    await observer?.close();
    await server?.stop();
    await ws?.cleanup();
  });

  it('initialize, tools/list, tools/call echo, resources/read – all answered over the legacy stream', async () => {
    const { client, posts, sessionId } = await connectLegacy();
    expect(client.getServerVersion()).toEqual(expect.objectContaining({ name: 'tfo-mcp' }));
    expect(client.getServerCapabilities()).toEqual(expect.objectContaining({ tools: expect.any(Object), resources: expect.any(Object) }));
    // The endpoint event named /messages on this server, with the session as a query parameter.
    expect(posts[0].origin).toBe(server.base);
    expect(posts[0].pathname).toBe('/messages');
    expect(sessionId()).toMatch(UUID_V4);

    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual(expect.arrayContaining(['echo', 'read_file', 'execute_command']));
    const echo = (await client.callTool({ name: 'echo', arguments: { message: 'over the old transport' } })) as CallToolResult;
    expect(echo.structuredContent).toEqual({ message: 'over the old transport' });
    const uri = pathToFileURL(ws.files.text).href;
    const { contents } = await client.readResource({ uri });
    expect(contents).toEqual([expect.objectContaining({ uri, text: await readFile(ws.files.text, 'utf8') })]);
    await expect(client.ping()).resolves.toEqual({});
  });

  it('POST /messages with an unknown sessionId – 404 with a JSON-RPC error body', async () => {
    const response = await fetch(`${server.base}/messages?sessionId=00000000-0000-4000-8000-000000000000`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
    });
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual(expect.objectContaining({ jsonrpc: '2.0', id: null, error: expect.objectContaining({ code: expect.any(Number) }) }));
    const missing = await fetch(`${server.base}/messages`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
    expect(missing.status).toBe(404);
    await missing.text();
  });

  it('closing the client – the session is closed (CLOSED in status://health) and its /messages endpoint is gone', async () => {
    const legacy = await connectLegacy();
    const { client } = legacy;
    await client.ping();
    const sessionId = legacy.sessionId()!;
    expect(sessionId).toMatch(UUID_V4);
    const before = await sessionStates();
    await client.close();

    const deadline = Date.now() + 5000;
    let after = await sessionStates();
    while (after['CLOSED'] <= before['CLOSED'] && Date.now() < deadline) {
      await delay(50);
      after = await sessionStates();
    }
    expect(after['CLOSED']).toBe(before['CLOSED'] + 1);
    expect(after['READY']).toBe(before['READY'] - 1);

    const late = await fetch(`${server.base}/messages?sessionId=${encodeURIComponent(sessionId)}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'ping' }),
    });
    expect(late.status).toBe(404);
    await late.text();
  });

  it('GET /sse with a hostile Origin – 403, no stream opened', async () => {
    const response = await fetch(`${server.base}/sse`, { headers: { Accept: 'text/event-stream', Origin: 'http://evil.example' } });
    expect(response.status).toBe(403);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    await response.text();
  });
});
