import { appendFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';
import { ACCEPT_BOTH, SseReader, deleteSession, openRawSession, post, rawRequest, type SseEvent } from '../support/http-client.js';
import { startHttpServer, type HttpServer } from '../support/http-server.js';
import { delay } from '../support/raw-server.js';
import { createTempWorkspace, type TempWorkspace } from '../support/temp-workspace.js';

/** Time for the server to notice a dropped connection, and between two file changes (the watcher debounces 50 ms). */
const SETTLE_MS = 300;

const uriOf = (event: SseEvent) => (JSON.parse(event.data) as { params?: { uri?: string } }).params?.uri;
const methodOf = (event: SseEvent) => (JSON.parse(event.data) as { method?: string }).method;
const sequenceOf = (event: SseEvent) => Number(event.id!.slice(event.id!.lastIndexOf('_') + 1));

describe('Streamable HTTP – resuming a GET stream with Last-Event-ID', () => {
  let ws: TempWorkspace;
  let server: HttpServer;
  const readers: SseReader[] = [];
  const sessions: string[] = [];
  const files: string[] = [];

  const open = async (sessionId: string, lastEventId?: string) => {
    const reader = await SseReader.open(server.url, {
      'Mcp-Session-Id': sessionId,
      'MCP-Protocol-Version': LATEST_PROTOCOL_VERSION,
      ...(lastEventId !== undefined ? { 'Last-Event-ID': lastEventId } : {}),
    });
    readers.push(reader);
    expect(reader.status).toBe(200);
    expect(reader.headers?.get('content-type')).toMatch(/^text\/event-stream/);
    return reader;
  };

  /** A session subscribed to `count` fresh files; touching file i makes one resources/updated event for it. */
  const subscribedSession = async (count: number) => {
    const { sessionId } = await openRawSession(server.url);
    sessions.push(sessionId);
    const mine: string[] = [];
    for (let i = 0; i < count; i += 1) {
      const file = path.join(ws.root, `watched-${files.length}.txt`);
      files.push(file);
      mine.push(file);
      await writeFile(file, 'v0\n');
      const answer = await rawRequest(server.url, sessionId, 'resources/subscribe', { uri: pathToFileURL(file).href }, `sub-${i}`);
      expect(answer.result).toEqual({});
    }
    return { sessionId, files: mine, uris: mine.map((f) => pathToFileURL(f).href) };
  };

  const touch = async (file: string) => {
    await appendFile(file, 'changed\n');
    await delay(SETTLE_MS);
  };

  beforeAll(async () => {
    ws = await createTempWorkspace('tfo-mcp-http-resume-');
    server = await startHttpServer({ TELEMETRYFLOW_MCP_MCP__ROOTS: ws.root, TELEMETRYFLOW_MCP_LOGGING__LEVEL: 'info' });
  });

  afterAll(async () => {
    for (const reader of readers) reader.abort();
    for (const id of sessions) await deleteSession(server.url, id).catch(() => undefined);
    await server?.stop();
    await ws?.cleanup();
  });

  it('events on the GET stream – each carries an id naming this session, sequence increasing', async () => {
    const s = await subscribedSession(2);
    const reader = await open(s.sessionId);
    await touch(s.files[0]);
    await touch(s.files[1]);
    const events = await reader.waitForEvents(2);
    expect(events.map(uriOf)).toEqual(s.uris);
    expect(events.map(methodOf)).toEqual(['notifications/resources/updated', 'notifications/resources/updated']);
    for (const event of events) expect(event.id?.startsWith(`${s.sessionId}.`)).toBe(true);
    expect(sequenceOf(events[1])).toBeGreaterThan(sequenceOf(events[0]));
    reader.abort();
  });

  it('a client that kept only the first id – reconnects with it – the later events replayed in order, once, then live ones follow', async () => {
    const s = await subscribedSession(4);
    const first = await open(s.sessionId);
    for (const file of s.files.slice(0, 3)) await touch(file);
    const seen = await first.waitForEvents(3);
    expect(seen.map(uriOf)).toEqual(s.uris.slice(0, 3));
    first.abort();
    await delay(SETTLE_MS);

    const resumed = await open(s.sessionId, seen[0].id);
    const replayed = await resumed.waitForEvents(2);
    expect(replayed).toEqual([seen[1], seen[2]]);
    await touch(s.files[3]);
    const all = await resumed.waitForEvents(3);
    expect(all.map(uriOf)).toEqual([s.uris[1], s.uris[2], s.uris[3]]);
    expect(sequenceOf(all[2])).toBeGreaterThan(sequenceOf(all[1]));
    await delay(SETTLE_MS);
    const ids = resumed.events.map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(resumed.events).toHaveLength(3);
  });

  it('the GET stream dropped after the first event – events caused while disconnected – replayed in order after Last-Event-ID, none duplicated', async () => {
    const s = await subscribedSession(4);
    const first = await open(s.sessionId);
    await touch(s.files[0]);
    const [seen] = await first.waitForEvents(1);
    expect(uriOf(seen)).toBe(s.uris[0]);
    first.abort();
    await delay(SETTLE_MS);

    // Nobody is listening now: these must be kept for the stream that was dropped.
    await touch(s.files[1]);
    await touch(s.files[2]);

    const resumed = await open(s.sessionId, seen.id);
    await touch(s.files[3]);
    // Whatever arrived within 2 s: the assertion below then shows exactly what was missing.
    await resumed.waitForEvents(3, 2000).catch(() => undefined);
    const events = [...resumed.events];
    expect(events.map(uriOf)).toEqual([s.uris[1], s.uris[2], s.uris[3]]);
    expect(events.map((e) => e.id)).not.toContain(seen.id);
    const ids = events.map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (let i = 1; i < events.length; i += 1) expect(sequenceOf(events[i])).toBeGreaterThan(sequenceOf(events[i - 1]));
  });

  it("another session's Last-Event-ID – replays none of that session's events; the stream serves its own session", async () => {
    const a = await subscribedSession(2);
    const aStream = await open(a.sessionId);
    await touch(a.files[0]);
    await touch(a.files[1]);
    const aEvents = await aStream.waitForEvents(2);
    aStream.abort();

    const b = await subscribedSession(1);
    const bStream = await open(b.sessionId, aEvents[0].id);
    await delay(SETTLE_MS * 2);
    expect(bStream.events).toEqual([]);
    await touch(b.files[0]);
    const [own] = await bStream.waitForEvents(1);
    expect(uriOf(own)).toBe(b.uris[0]);
    expect(own.id?.startsWith(`${b.sessionId}.`)).toBe(true);
    expect(bStream.events.some((e) => e.id?.startsWith(a.sessionId) || a.uris.includes(uriOf(e) ?? ''))).toBe(false);
  });

  it('a GET without Accept: text/event-stream – 406; with an unknown session – 404', async () => {
    const s = await subscribedSession(0);
    const refused = await fetch(server.url, { headers: { Accept: 'application/json', 'Mcp-Session-Id': s.sessionId } });
    expect(refused.status).toBe(406);
    await refused.text();
    const unknown = await fetch(server.url, { headers: { Accept: 'text/event-stream', 'Mcp-Session-Id': '00000000-0000-4000-8000-000000000000' } });
    expect(unknown.status).toBe(404);
    await unknown.text();
  });
});

describe('Streamable HTTP – POST answered as SSE (response_mode=sse)', () => {
  let ws: TempWorkspace;
  let server: HttpServer;
  const readers: SseReader[] = [];
  const sessions: string[] = [];

  const session = async () => {
    const { sessionId } = await openRawSession(server.url);
    sessions.push(sessionId);
    return sessionId;
  };

  const slowCall = (id: string, seconds: string) =>
    JSON.stringify({
      jsonrpc: '2.0',
      id,
      method: 'tools/call',
      params: { name: 'execute_command', arguments: { command: 'sleep', args: [seconds], timeout_ms: 10_000 }, _meta: { progressToken: `${id}-progress` } },
    });

  const postStream = async (sessionId: string, body: string) => {
    const reader = await SseReader.open(
      server.url,
      { Accept: ACCEPT_BOTH, 'Content-Type': 'application/json', 'Mcp-Session-Id': sessionId, 'MCP-Protocol-Version': LATEST_PROTOCOL_VERSION },
      { method: 'POST', body },
    );
    readers.push(reader);
    expect(reader.status).toBe(200);
    expect(reader.headers?.get('content-type')).toMatch(/^text\/event-stream/);
    return reader;
  };

  const resume = async (sessionId: string, lastEventId: string) => {
    const reader = await SseReader.open(server.url, { 'Mcp-Session-Id': sessionId, 'MCP-Protocol-Version': LATEST_PROTOCOL_VERSION, 'Last-Event-ID': lastEventId });
    readers.push(reader);
    expect(reader.status).toBe(200);
    return reader;
  };

  const responsesTo = (reader: SseReader, id: string) => reader.messages.filter((m) => m.id === id && (m.result !== undefined || m.error !== undefined));

  beforeAll(async () => {
    ws = await createTempWorkspace('tfo-mcp-http-ssemode-');
    server = await startHttpServer({
      TELEMETRYFLOW_MCP_MCP__ROOTS: ws.root,
      TELEMETRYFLOW_MCP_SECURITY__ALLOWED_COMMANDS: 'echo,sleep',
      TELEMETRYFLOW_MCP_SERVER__HTTP__RESPONSE_MODE: 'sse',
    });
  });

  afterAll(async () => {
    for (const reader of readers) reader.abort();
    for (const id of sessions) await deleteSession(server.url, id).catch(() => undefined);
    await server?.stop();
    await ws?.cleanup();
  });

  it('ping – the answer – one SSE message event with an id naming the session, then the stream ends', async () => {
    const sessionId = await session();
    const response = await post(server.url, { jsonrpc: '2.0', id: 'p1', method: 'ping' }, { sessionId, protocolVersion: LATEST_PROTOCOL_VERSION });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(response.headers.get('mcp-session-id')).toBe(sessionId);
    expect(response.events).toEqual([expect.objectContaining({ event: 'message', id: expect.stringMatching(new RegExp(`^${sessionId}\\.[0-9a-f]+_\\d+$`)) })]);
    expect(response.messages).toEqual([{ jsonrpc: '2.0', id: 'p1', result: {} }]);
  });

  it('a POST stream dropped while the call runs – GET with its Last-Event-ID – the answer arrives there exactly once and the stream ends', async () => {
    const sessionId = await session();
    const first = await postStream(sessionId, slowCall('slow-1', '1'));
    const [started] = await first.waitForEvents(1);
    expect(JSON.parse(started.data)).toEqual(expect.objectContaining({ method: 'notifications/progress' }));
    expect(started.id).toBeDefined();
    first.abort();
    await delay(SETTLE_MS);

    const resumed = await resume(sessionId, started.id!);
    await resumed.waitForEnd(5000);
    expect(resumed.events.map((e) => e.id)).not.toContain(started.id);
    const answers = responsesTo(resumed, 'slow-1');
    expect(answers).toHaveLength(1);
    expect((answers[0].result as { structuredContent: { exit_code: number } }).structuredContent.exit_code).toBe(0);
  });

  it('a POST stream dropped, the call finishes meanwhile – GET with its Last-Event-ID – the answer is replayed once', async () => {
    const sessionId = await session();
    const first = await postStream(sessionId, slowCall('slow-2', '0.5'));
    const [started] = await first.waitForEvents(1);
    first.abort();
    await delay(1200);

    const resumed = await resume(sessionId, started.id!);
    await delay(SETTLE_MS);
    const answers = responsesTo(resumed, 'slow-2');
    expect(answers).toHaveLength(1);
    expect((answers[0].result as { structuredContent: { exit_code: number } }).structuredContent.exit_code).toBe(0);
    expect(resumed.events.map((e) => e.id)).not.toContain(started.id);
  });
});
