import { existsSync } from 'node:fs';
import { appendFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  CallToolResultSchema,
  LATEST_PROTOCOL_VERSION,
  LoggingMessageNotificationSchema,
  ResourceUpdatedNotificationSchema,
  type CallToolResult,
  type LoggingMessageNotification,
  type Progress,
} from '@modelcontextprotocol/sdk/types.js';
import {
  UUID_V4,
  connectHttpClient,
  deleteSession,
  initializeRequest,
  nodeHttp,
  openRawSession,
  post,
  rawRequest,
  type HttpClientHandle,
} from '../support/http-client.js';
import { startHttpServer, type HttpServer } from '../support/http-server.js';
import { delay, within } from '../support/raw-server.js';
import { createTempWorkspace, type TempWorkspace } from '../support/temp-workspace.js';

const TOOLS = ['check_command_exists', 'claude_conversation', 'echo', 'execute_command', 'get_system_status', 'list_conversations', 'list_directory', 'read_file', 'search_files', 'system_info', 'write_file'];
const PROMPTS = ['code_review', 'debug_help', 'explain_code'];
const TRANSPORT_ERROR = -32000;

function envFor(ws: TempWorkspace, extra: Record<string, string> = {}): Record<string, string> {
  return {
    TELEMETRYFLOW_MCP_MCP__ROOTS: ws.root,
    TELEMETRYFLOW_MCP_LOGGING__LEVEL: 'debug',
    TELEMETRYFLOW_MCP_SECURITY__ALLOWED_COMMANDS: 'echo,cat,ls,false,sleep,tail',
    ...extra,
  };
}

function expectSuccess(result: CallToolResult): Record<string, unknown> {
  expect(result.isError).toBeFalsy();
  expect(result.structuredContent).toBeDefined();
  return result.structuredContent as Record<string, unknown>;
}

function expectFailure(result: CallToolResult, error: string | RegExp): void {
  expect(result.isError).toBe(true);
  expect((result.structuredContent as { error: string }).error).toMatch(error);
}

/** A transport-level refusal: this status and a JSON-RPC error body with id null. */
/** A transport-level error body; `id` is the request's when one request could be read, else null. */
function expectTransportError(response: { status: number; text: string }, status: number, message?: RegExp, id: string | number | null = null): void {
  expect({ status: response.status }).toEqual({ status });
  const body = JSON.parse(response.text) as { jsonrpc: string; id: unknown; error: { code: number; message: string } };
  expect(body).toEqual(expect.objectContaining({ jsonrpc: '2.0', id, error: expect.objectContaining({ code: expect.any(Number), message: expect.any(String) }) }));
  if (message) expect(body.error.message).toMatch(message);
}

type HealthReport = { status: string; sessions: Record<string, number>; components: { name: string; status: string }[] };

async function healthVia(h: HttpClientHandle): Promise<HealthReport> {
  const { contents } = await h.client.readResource({ uri: 'status://health' });
  return JSON.parse((contents[0] as { text: string }).text) as HealthReport;
}

async function until<T>(probe: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(50);
  }
}

describe('Streamable HTTP – the built server over /mcp with the SDK client', () => {
  let ws: TempWorkspace;
  let server: HttpServer;
  let h: HttpClientHandle;
  const logs: LoggingMessageNotification['params'][] = [];
  const extra: HttpClientHandle[] = [];

  /** tools/call without the SDK's output-schema check, so failure envelopes are seen as sent. */
  const call = (name: string, args?: Record<string, unknown>) =>
    h.client.request({ method: 'tools/call', params: { name, ...(args ? { arguments: args } : {}) } }, CallToolResultSchema) as Promise<CallToolResult>;

  const another = async () => {
    const handle = await connectHttpClient(server.url);
    extra.push(handle);
    return handle;
  };

  beforeAll(async () => {
    ws = await createTempWorkspace('tfo-mcp-http-');
    server = await startHttpServer(envFor(ws));
    h = await connectHttpClient(server.url);
    h.client.setNotificationHandler(LoggingMessageNotificationSchema, (notification) => void logs.push(notification.params));
  });

  afterAll(async () => {
    for (const handle of extra) await handle.close();
    await h?.close();
    await server?.stop();
    await ws?.cleanup();
  });

  describe('initialize, ping and the session id', () => {
    it('initialize – SDK client – latest version negotiated, serverInfo and capabilities, Mcp-Session-Id a UUID v4', async () => {
      expect(h.client.getServerVersion()).toEqual(expect.objectContaining({ name: 'tfo-mcp' }));
      expect(h.client.getServerCapabilities()).toEqual(
        expect.objectContaining({ tools: expect.any(Object), resources: expect.objectContaining({ subscribe: true }), prompts: expect.any(Object), logging: {}, completions: {} }),
      );
      expect(h.transport.protocolVersion).toBe(LATEST_PROTOCOL_VERSION);
      expect(h.transport.sessionId).toMatch(UUID_V4);
      // The initialize answer carried the id; every later answer repeats it.
      expect(h.fetches[0]).toEqual(expect.objectContaining({ method: 'POST', status: 200, sessionId: h.transport.sessionId }));
    });

    it('Mcp-Session-Id – 16 raw sessions – all distinct UUID v4 values with no shared prefix (random, not sequential)', async () => {
      const ids = await Promise.all(Array.from({ length: 16 }, () => openRawSession(server.url).then((s) => s.sessionId)));
      for (const id of ids) expect(id).toMatch(UUID_V4);
      expect(new Set(ids).size).toBe(ids.length);
      // 122 random bits: the first 8 hex digits (32 random bits) of two ids agree by chance with probability 2^-32.
      expect(new Set(ids.map((id) => id.slice(0, 8))).size).toBe(ids.length);
      await Promise.all(ids.map((id) => deleteSession(server.url, id)));
    });

    it('ping – over the session – answers an empty result', async () => {
      await expect(h.client.ping()).resolves.toEqual({});
    });

    it('initialize – with an Mcp-Session-Id header – 400, no second session on that id', async () => {
      const response = await post(server.url, initializeRequest(), { sessionId: h.transport.sessionId });
      expect(response.status).toBe(400);
      expect(response.headers.get('mcp-session-id')).toBeNull();
    });
  });

  describe('tools', () => {
    it('tools/list – lists the eleven built-in tools with input and output schemas', async () => {
      const { tools } = await h.client.listTools();
      expect(tools.map((t) => t.name).sort()).toEqual(TOOLS);
      for (const tool of tools) {
        expect(tool.inputSchema.type).toBe('object');
        expect(tool.outputSchema?.type).toBe('object');
      }
    });

    it('echo – success returns the message; a missing message – isError invalid arguments', async () => {
      const message = 'héllo over http ✓';
      const result = (await h.client.callTool({ name: 'echo', arguments: { message } })) as CallToolResult;
      expect(expectSuccess(result)).toEqual({ message });
      expect(result.content).toEqual([{ type: 'text', text: message }]);
      expectFailure(await call('echo', {}), 'invalid arguments');
    });

    it('system_info – the server process answers; arguments that are not an object – -32602', async () => {
      const info = expectSuccess(await call('system_info', {})) as { node: { pid: number; version: string } };
      expect(info.node.pid).toBe(server.pid);
      await expect(
        h.client.request({ method: 'tools/call', params: { name: 'system_info', arguments: 'everything' } } as never, CallToolResultSchema),
      ).rejects.toMatchObject({ code: -32602 });
    });

    it('read_file – a file in the root – its content; a missing file – isError not found', async () => {
      const data = expectSuccess(await call('read_file', { path: 'hello.txt' }));
      expect(data['content']).toBe(await readFile(ws.files.text, 'utf8'));
      expectFailure(await call('read_file', { path: 'no/such.txt' }), 'not found');
    });

    it('write_file – inside the root – written; outside the root – isError and nothing written', async () => {
      const data = expectSuccess(await call('write_file', { path: 'http-written.txt', content: 'via http' }));
      expect(data).toEqual(expect.objectContaining({ path: path.join(ws.root, 'http-written.txt'), bytes_written: 8 }));
      await expect(readFile(path.join(ws.root, 'http-written.txt'), 'utf8')).resolves.toBe('via http');
      expectFailure(await call('write_file', { path: path.join(ws.outside, 'evil.txt'), content: 'x' }), 'path outside allowed roots');
      expect(existsSync(path.join(ws.outside, 'evil.txt'))).toBe(false);
    });

    it('list_directory – the root – its entries; outside the root – isError', async () => {
      const data = expectSuccess(await call('list_directory', { path: '.' })) as { entries: { name: string; type: string }[] };
      expect(Object.fromEntries(data.entries.map((e) => [e.name, e.type]))).toEqual(expect.objectContaining({ 'hello.txt': 'file', nested: 'directory' }));
      expectFailure(await call('list_directory', { path: ws.outside }), 'path outside allowed roots');
    });

    it('search_files – a content pattern – matches at any depth; a runaway regex – isError', async () => {
      const data = expectSuccess(await call('search_files', { content_pattern: 'needle' })) as { matches: { path: string; line?: number }[] };
      expect(data.matches.map((m) => `${m.path}:${m.line}`).sort()).toEqual(['hello.txt:3', 'nested/deep/inner.txt:1']);
      expectFailure(await call('search_files', { content_pattern: '(a+)+$', regex: true }), /invalid/);
    });

    it('execute_command – an allowed program – its output; a blocked one (rm) – isError denied', async () => {
      const data = expectSuccess(await call('execute_command', { command: 'echo', args: ['over', 'http'] }));
      expect(data).toEqual(expect.objectContaining({ exit_code: 0, stdout: 'over http\n' }));
      expectFailure(await call('execute_command', { command: 'rm', args: ['hello.txt'] }), 'command denied by policy');
      expect(existsSync(ws.files.text)).toBe(true);
    });

    it('tools/call – unknown tool – -32602', async () => {
      await expect(h.client.callTool({ name: 'no_such_tool', arguments: {} })).rejects.toMatchObject({ code: -32602 });
    });
  });

  describe('resources, prompts and completion', () => {
    it('resources/list, templates/list, read – server resources, the file template, a file by URI', async () => {
      const { resources } = await h.client.listResources();
      expect(resources.map((r) => r.uri).sort()).toEqual(['config://server', 'status://health']);
      const { resourceTemplates } = await h.client.listResourceTemplates();
      expect(resourceTemplates.map((t) => t.uriTemplate)).toEqual(['file:///{path}', 'conversation://{id}']);
      const uri = pathToFileURL(ws.files.text).href;
      const { contents } = await h.client.readResource({ uri });
      expect(contents).toEqual([expect.objectContaining({ uri, text: await readFile(ws.files.text, 'utf8') })]);
      const config = JSON.parse(((await h.client.readResource({ uri: 'config://server' })).contents[0] as { text: string }).text) as {
        server: { transport: string };
      };
      expect(config.server.transport).toBe('http');
      await expect(h.client.readResource({ uri: pathToFileURL(ws.files.outsideSecret).href })).rejects.toMatchObject({ code: -32002 });
    });

    it('prompts/list and prompts/get – the three prompts; a missing required argument – -32602', async () => {
      const { prompts } = await h.client.listPrompts();
      expect(prompts.map((p) => p.name).sort()).toEqual(PROMPTS);
      const result = await h.client.getPrompt({ name: 'code_review', arguments: { code: 'const http = 1;', language: 'typescript' } });
      expect((result.messages[0].content as { text: string }).text).toContain('const http = 1;');
      await expect(h.client.getPrompt({ name: 'code_review', arguments: {} })).rejects.toMatchObject({ code: -32602 });
    });

    it('completion/complete – a prompt argument prefix – the matching values', async () => {
      const { completion } = await h.client.complete({ ref: { type: 'ref/prompt', name: 'code_review' }, argument: { name: 'language', value: 'ty' } });
      expect(completion.values).toEqual(['typescript']);
    });
  });

  describe('notifications over HTTP', () => {
    it('logging/setLevel debug – a tool call – notifications/message at debug arrive; at error – none', async () => {
      await h.client.setLoggingLevel('debug');
      logs.length = 0;
      await call('echo', { message: 'log me' });
      expect(logs).toEqual(expect.arrayContaining([expect.objectContaining({ level: 'debug', logger: 'echo' })]));

      await h.client.setLoggingLevel('error');
      logs.length = 0;
      await call('echo', { message: 'quiet' });
      await call('read_file', { path: 'missing.txt' });
      await h.client.ping();
      expect(logs).toEqual([]);
      await h.client.setLoggingLevel('info');
    });

    it('execute_command with onprogress – the started notification and the bytes so far arrive before the result', async () => {
      const progress: Progress[] = [];
      const size = (await readFile(ws.files.text)).length;
      const result = (await h.client.callTool({ name: 'execute_command', arguments: { command: 'tail', args: ['-f', 'hello.txt'], timeout_ms: 600 } }, CallToolResultSchema, {
        onprogress: (p) => void progress.push(p),
      })) as CallToolResult;
      expectFailure(result, 'command timed out');
      expect(progress[0]).toEqual(expect.objectContaining({ progress: 0, message: 'execute_command started' }));
      expect(progress).toEqual(expect.arrayContaining([expect.objectContaining({ progress: size })]));
      for (let i = 1; i < progress.length; i += 1) expect(progress[i].progress).toBeGreaterThan(progress[i - 1].progress);
      // Notifications about a request travel on that request's POST, as an SSE stream.
      expect(h.fetches.some((f) => f.method === 'POST' && f.contentType.startsWith('text/event-stream'))).toBe(true);
    });

    it('a long execute_command – aborted through an AbortSignal – rejects quickly and the session keeps serving', async () => {
      const controller = new AbortController();
      const pending = h.client.callTool({ name: 'execute_command', arguments: { command: 'sleep', args: ['5'], timeout_ms: 10_000 } }, CallToolResultSchema, {
        signal: controller.signal,
      });
      await delay(300);
      const aborted = Date.now();
      controller.abort();
      await expect(pending).rejects.toMatchObject({ message: expect.stringMatching(/abort/i) });
      expect(Date.now() - aborted).toBeLessThan(1000);
      await expect(h.client.ping()).resolves.toEqual({});
      expect(expectSuccess((await call('echo', { message: 'still here' })) as CallToolResult)).toEqual({ message: 'still here' });
    });

    it('a cancelled request (raw) – the POST that carried it ends promptly, with no response for it', async () => {
      const { sessionId } = await openRawSession(server.url);
      const started = Date.now();
      const pending = post(
        server.url,
        { jsonrpc: '2.0', id: 'long', method: 'tools/call', params: { name: 'execute_command', arguments: { command: 'sleep', args: ['5'], timeout_ms: 10_000 } } },
        { sessionId, protocolVersion: LATEST_PROTOCOL_VERSION },
      );
      await delay(300);
      const cancel = await post(server.url, { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 'long', reason: 'user gave up' } }, { sessionId });
      expect(cancel.status).toBe(202);
      // The spec: no response to a cancelled request. The HTTP exchange must still end (not hang until
      // request_timeout_ms, holding a connection and keeping the session "busy").
      const finished = await within(pending, 3000);
      const elapsed = Date.now() - started;
      await deleteSession(server.url, sessionId);
      expect(finished).toBeDefined();
      expect(elapsed).toBeLessThan(3500);
      expect(finished!.messages.filter((m) => m.id === 'long')).toEqual([]);
    });

    it('resources/subscribe a file – the file changes – notifications/resources/updated; after unsubscribe – none', async () => {
      const watched = path.join(ws.root, 'watched.txt');
      await writeFile(watched, 'v1\n');
      const uri = pathToFileURL(watched).href;
      const c = await another();
      const updates: string[] = [];
      c.client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => void updates.push(n.params.uri));
      // Unsolicited notifications travel on the GET stream the transport opens after initialize.
      await within(c.standaloneStream, 5000);
      expect(c.fetches.some((f) => f.method === 'GET' && f.status === 200)).toBe(true);

      await expect(c.client.subscribeResource({ uri })).resolves.toEqual({});
      await appendFile(watched, 'v2\n');
      await until(async () => (updates.length > 0 ? true : undefined), 5000, 'notifications/resources/updated');
      expect(updates[0]).toBe(uri);

      await expect(c.client.unsubscribeResource({ uri })).resolves.toEqual({});
      await delay(200);
      updates.length = 0;
      await appendFile(watched, 'v3\n');
      await delay(800);
      expect(updates).toEqual([]);
    });
  });

  describe('HTTP-level rules', () => {
    it('DELETE (terminateSession) – then any request with that id – 404 with a JSON-RPC error body', async () => {
      const c = await another();
      const sessionId = c.transport.sessionId!;
      await c.client.ping();
      await c.transport.terminateSession();
      expect(c.transport.sessionId).toBeUndefined();
      const ping = await post(server.url, { jsonrpc: '2.0', id: 9, method: 'ping' }, { sessionId, protocolVersion: LATEST_PROTOCOL_VERSION });
      expectTransportError(ping, 404, /session/i, 9);
      const get = await fetch(server.url, { headers: { Accept: 'text/event-stream', 'Mcp-Session-Id': sessionId } });
      expectTransportError({ status: get.status, text: await get.text() }, 404);
      expectTransportError(await deleteSession(server.url, sessionId), 404);
    });

    it('a request without Mcp-Session-Id (not initialize) – 400; an unknown session – 404', async () => {
      expectTransportError(await post(server.url, { jsonrpc: '2.0', id: 1, method: 'tools/list' }), 400, /Mcp-Session-Id/, 1);
      expectTransportError(await post(server.url, { jsonrpc: '2.0', id: 'p-1', method: 'ping' }, { sessionId: '00000000-0000-4000-8000-000000000000' }), 404, undefined, 'p-1');
      // A notification or a batch has no single id to answer with.
      expectTransportError(await post(server.url, [{ jsonrpc: '2.0', id: 1, method: 'ping' }, { jsonrpc: '2.0', id: 2, method: 'ping' }], { sessionId: '00000000-0000-4000-8000-000000000000' }), 404);
    });

    it('an unsupported MCP-Protocol-Version header – 400; a supported one – 200', async () => {
      const sessionId = h.transport.sessionId!;
      expectTransportError(await post(server.url, { jsonrpc: '2.0', id: 1, method: 'ping' }, { sessionId, protocolVersion: '1999-01-01' }), 400, /MCP-Protocol-Version/, 1);
      const ok = await post(server.url, { jsonrpc: '2.0', id: 2, method: 'ping' }, { sessionId, protocolVersion: LATEST_PROTOCOL_VERSION });
      expect(ok.status).toBe(200);
      expect(ok.messages).toEqual([expect.objectContaining({ id: 2, result: {} })]);
    });

    it('Content-Type text/plain – 415; Accept without text/event-stream – 406', async () => {
      const sessionId = h.transport.sessionId!;
      expectTransportError(
        await post(server.url, { jsonrpc: '2.0', id: 1, method: 'ping' }, { sessionId, headers: { 'Content-Type': 'text/plain' } }),
        415,
      );
      expectTransportError(await post(server.url, { jsonrpc: '2.0', id: 1, method: 'ping' }, { sessionId, headers: { Accept: 'application/json' } }), 406);
      expectTransportError(await post(server.url, initializeRequest(), { headers: { Accept: 'application/json' } }), 406);
    });

    it('a hostile Host header (DNS rebinding) – 403, even for initialize; the loopback Host – accepted', async () => {
      const body = JSON.stringify(initializeRequest());
      const headers = { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' };
      const hostile = await nodeHttp({ port: server.port, method: 'POST', path: '/mcp', headers: { ...headers, Host: `evil.example:${server.port}` }, body });
      expectTransportError({ status: hostile.status, text: hostile.body }, 403, /Host/);
      expect(hostile.headers['mcp-session-id']).toBeUndefined();
      const local = await nodeHttp({ port: server.port, method: 'POST', path: '/mcp', headers: { ...headers, Host: `localhost:${server.port}` }, body });
      expect(local.status).toBe(200);
      await deleteSession(server.url, local.headers['mcp-session-id'] as string);
    });

    it('a hostile Origin – 403; a loopback Origin – accepted and echoed in Access-Control-Allow-Origin, never *', async () => {
      const hostile = await post(server.url, initializeRequest(), { headers: { Origin: 'http://evil.example' } });
      expectTransportError(hostile, 403, /Origin/);
      expect(hostile.headers.get('mcp-session-id')).toBeNull();

      const origin = 'http://localhost:5173';
      const allowed = await post(server.url, initializeRequest(), { headers: { Origin: origin } });
      expect(allowed.status).toBe(200);
      expect(allowed.headers.get('access-control-allow-origin')).toBe(origin);
      expect(allowed.headers.get('access-control-expose-headers') ?? '').toMatch(/Mcp-Session-Id/i);
      const sessionId = allowed.headers.get('mcp-session-id')!;
      const ping = await post(server.url, { jsonrpc: '2.0', id: 3, method: 'ping' }, { sessionId, headers: { Origin: origin } });
      expect(ping.status).toBe(200);
      expect(ping.headers.get('access-control-allow-origin')).toBe(origin);
      await deleteSession(server.url, sessionId);
    });

    it('OPTIONS preflight – loopback Origin – 204 with the methods and MCP headers allowed; hostile Origin – 403', async () => {
      const origin = 'http://127.0.0.1:3000';
      const preflight = await fetch(server.url, {
        method: 'OPTIONS',
        headers: { Origin: origin, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type, mcp-session-id' },
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get('access-control-allow-origin')).toBe(origin);
      expect(preflight.headers.get('access-control-allow-methods')).toEqual(expect.stringMatching(/POST/));
      for (const method of ['GET', 'DELETE']) expect(preflight.headers.get('access-control-allow-methods')).toContain(method);
      for (const name of ['Content-Type', 'Mcp-Session-Id', 'MCP-Protocol-Version', 'Last-Event-ID']) {
        expect(preflight.headers.get('access-control-allow-headers')?.toLowerCase()).toContain(name.toLowerCase());
      }
      const hostile = await fetch(server.url, { method: 'OPTIONS', headers: { Origin: 'http://evil.example', 'Access-Control-Request-Method': 'POST' } });
      expect(hostile.status).toBe(403);
      expect(hostile.headers.get('access-control-allow-origin')).toBeNull();
      await hostile.text();
    });

    it('PUT /mcp – 405 with Allow; an unknown path – 404; both JSON-RPC error bodies', async () => {
      const put = await fetch(server.url, { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: '{}' });
      expectTransportError({ status: put.status, text: await put.text() }, 405);
      expect(put.headers.get('allow')).toEqual(expect.stringContaining('POST'));
      const unknown = await fetch(`${server.base}/nope`);
      expectTransportError({ status: unknown.status, text: await unknown.text() }, 404);
    });

    it('/health and /ready – everything up – 200 with the report', async () => {
      const health = await fetch(`${server.base}/health`);
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual(expect.objectContaining({ status: 'up', live: true }));
      const ready = await fetch(`${server.base}/ready`);
      expect(ready.status).toBe(200);
      const report = (await ready.json()) as HealthReport & { ready: boolean };
      expect(report.ready).toBe(true);
      expect(report.components).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'workspace', status: 'up' })]));
    });
  });
});

describe('Streamable HTTP – limits (max_body_bytes=2048, max_sessions=2)', () => {
  let ws: TempWorkspace;
  let server: HttpServer;

  beforeAll(async () => {
    ws = await createTempWorkspace('tfo-mcp-http-limits-');
    server = await startHttpServer(envFor(ws, { TELEMETRYFLOW_MCP_SERVER__HTTP__MAX_BODY_BYTES: '2048', TELEMETRYFLOW_MCP_SERVER__HTTP__MAX_SESSIONS: '2' }));
  });

  afterAll(async () => {
    await server?.stop();
    await ws?.cleanup();
  });

  it('a body over max_body_bytes – declared or chunked – 413, and the session still serves small bodies', async () => {
    const { sessionId } = await openRawSession(server.url);
    try {
      const big = { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'echo', arguments: { message: 'x'.repeat(4000) } } };
      expectTransportError(await post(server.url, big, { sessionId }), 413, /2048/);
      // No Content-Length: the limit holds while the body streams in.
      const text = JSON.stringify(big);
      const chunked = await nodeHttp({
        port: server.port,
        method: 'POST',
        path: '/mcp',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream', 'Mcp-Session-Id': sessionId, 'Transfer-Encoding': 'chunked' },
        body: [text.slice(0, 1000), text.slice(1000, 2500), text.slice(2500)],
      });
      expectTransportError({ status: chunked.status, text: chunked.body }, 413);
      const small = await rawRequest(server.url, sessionId, 'tools/call', { name: 'echo', arguments: { message: 'fits' } }, 2);
      expect(small.result?.['structuredContent']).toEqual({ message: 'fits' });
    } finally {
      await deleteSession(server.url, sessionId);
    }
  });

  it('max_sessions=2 – a third initialize – the least recently used session makes room; the other keeps working', async () => {
    const a = await openRawSession(server.url);
    const b = await openRawSession(server.url);
    expect((await rawRequest(server.url, b.sessionId, 'ping')).result).toEqual({}); // a is now the least recently used
    const c = await openRawSession(server.url);
    expect(c.sessionId).toMatch(UUID_V4);
    expectTransportError(await post(server.url, { jsonrpc: '2.0', id: 9, method: 'ping' }, { sessionId: a.sessionId }), 404, /session/i, 9);
    expect((await rawRequest(server.url, b.sessionId, 'ping')).result).toEqual({});
    expect((await rawRequest(server.url, c.sessionId, 'ping')).result).toEqual({});
    await deleteSession(server.url, b.sessionId);
    await deleteSession(server.url, c.sessionId);
  });

  it('max_sessions=2 – both sessions with a request in flight – 503 with Retry-After, and the refused client took no slot', async () => {
    const a = await openRawSession(server.url);
    const b = await openRawSession(server.url);
    const slow = (sessionId: string) =>
      post(server.url, { jsonrpc: '2.0', id: 5, method: 'tools/call', params: { name: 'execute_command', arguments: { command: 'sleep', args: ['1.5'] } } }, { sessionId });
    const running = [slow(a.sessionId), slow(b.sessionId)];
    await delay(300);
    const third = await post(server.url, initializeRequest());
    expectTransportError(third, 503, undefined, 1);
    expect(third.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(third.headers.get('mcp-session-id')).toBeNull();
    await Promise.all(running);
    expect((await rawRequest(server.url, a.sessionId, 'ping')).result).toEqual({});
    expect((await rawRequest(server.url, b.sessionId, 'ping')).result).toEqual({});
    await deleteSession(server.url, a.sessionId);
    await deleteSession(server.url, b.sessionId);
  });
});

describe('Streamable HTTP – idle expiry (session_idle_ms=1000)', () => {
  let ws: TempWorkspace;
  let server: HttpServer;

  beforeAll(async () => {
    ws = await createTempWorkspace('tfo-mcp-http-idle-');
    server = await startHttpServer(envFor(ws, { TELEMETRYFLOW_MCP_SERVER__HTTP__SESSION_IDLE_MS: '1000' }));
  });

  afterAll(async () => {
    await server?.stop();
    await ws?.cleanup();
  });

  it('an idle session – after ~2 s – gone (404) and counted CLOSED; a session kept busy – still READY', async () => {
    const idle = await openRawSession(server.url);
    const before = JSON.parse(
      ((await rawRequest(server.url, idle.sessionId, 'resources/read', { uri: 'status://health' })).result as { contents: { text: string }[] }).contents[0].text,
    ) as HealthReport;
    expect(before.sessions['CLOSED']).toBe(0);

    const busy = await openRawSession(server.url);
    const deadline = Date.now() + 2200;
    while (Date.now() < deadline) {
      expect((await rawRequest(server.url, busy.sessionId, 'ping')).result).toEqual({});
      await delay(300);
    }
    expectTransportError(await post(server.url, { jsonrpc: '2.0', id: 1, method: 'ping' }, { sessionId: idle.sessionId }), 404, undefined, 1);

    const fresh = await openRawSession(server.url);
    const after = JSON.parse(
      ((await rawRequest(server.url, fresh.sessionId, 'resources/read', { uri: 'status://health' })).result as { contents: { text: string }[] }).contents[0].text,
    ) as HealthReport;
    // Closed sessions are retained for inspection: the expired one is counted; the busy and the new one are READY.
    expect(after.sessions).toEqual(expect.objectContaining({ CLOSED: 1, READY: 2 }));
    expect(server.logRecords().some((r) => r['message'] === 'closing idle session' && r['sessionId'] === idle.sessionId)).toBe(true);
  });
});

describe('Streamable HTTP – readiness when the workspace root disappears', () => {
  let ws: TempWorkspace;
  let server: HttpServer;

  beforeAll(async () => {
    ws = await createTempWorkspace('tfo-mcp-http-ready-');
    server = await startHttpServer(envFor(ws));
  });

  afterAll(async () => {
    await server?.stop();
    await ws?.cleanup();
  });

  it('the configured root deleted – /ready 503 with workspace down; /health still 200', async () => {
    expect((await fetch(`${server.base}/ready`)).status).toBe(200);
    await rm(ws.root, { recursive: true, force: true });
    const ready = await fetch(`${server.base}/ready`);
    expect(ready.status).toBe(503);
    const report = (await ready.json()) as HealthReport & { ready: boolean };
    expect(report.ready).toBe(false);
    expect(report.status).toBe('down');
    expect(report.components).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'workspace', status: 'down' })]));
    const health = await fetch(`${server.base}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual(expect.objectContaining({ live: true, status: 'down' }));

    // The dependency is back: ready again, without a restart.
    await mkdir(ws.root, { recursive: true });
    const back = await fetch(`${server.base}/ready`);
    expect(back.status).toBe(200);
    expect(await back.json()).toEqual(expect.objectContaining({ ready: true }));
  });
});

describe('Streamable HTTP – graceful shutdown', () => {
  let ws: TempWorkspace;
  let server: HttpServer;
  let h: HttpClientHandle | undefined;

  beforeAll(async () => {
    ws = await createTempWorkspace('tfo-mcp-http-shutdown-');
    server = await startHttpServer(envFor(ws));
  });

  afterAll(async () => {
    await h?.close();
    await server?.kill();
    await ws?.cleanup();
  });

  it('SIGTERM during a 1 s execute_command – the call completes successfully, then the process exits 0', async () => {
    h = await connectHttpClient(server.url);
    const started = Date.now();
    const pending = h.client.request(
      { method: 'tools/call', params: { name: 'execute_command', arguments: { command: 'sleep', args: ['1'], timeout_ms: 10_000 } } },
      CallToolResultSchema,
    ) as Promise<CallToolResult>;
    await delay(300);
    server.child.kill('SIGTERM');
    const result = await pending;
    expect(expectSuccess(result)).toEqual(expect.objectContaining({ exit_code: 0, timed_out: false }));
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    await expect(within(server.exited, 8000)).resolves.toEqual({ code: 0, signal: null });
    expect(server.stderr()).toMatch(/shutting down/);
  });
});
