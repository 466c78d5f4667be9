import { connect, type Socket } from 'node:net';
import { deleteSession, initializeRequest, openRawSession, post, rawRequest } from '../support/http-client.js';
import { startHttpServer, type HttpServer } from '../support/http-server.js';
import { delay, within } from '../support/raw-server.js';
import { createTempWorkspace, type TempWorkspace } from '../support/temp-workspace.js';

/** Opens a raw TCP connection and resolves once it is connected. */
function socketTo(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Resolves with what the server sent before it closed the connection. */
function closedBy(socket: Socket): Promise<string> {
  let received = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => (received += chunk));
  socket.on('error', () => undefined);
  return new Promise((resolve) => socket.once('close', () => resolve(received)));
}

describe('HTTP bounds (built server)', () => {
  let ws: TempWorkspace;
  let server: HttpServer;

  beforeAll(async () => {
    ws = await createTempWorkspace('tfo-http-bounds-');
    server = await startHttpServer({
      TELEMETRYFLOW_MCP_MCP__ROOTS: ws.root,
      TELEMETRYFLOW_MCP_SERVER__HTTP__MAX_SESSIONS: '10',
      TELEMETRYFLOW_MCP_SERVER__HTTP__INIT_TIMEOUT_MS: '400',
      TELEMETRYFLOW_MCP_SERVER__HTTP__HEADERS_TIMEOUT_MS: '500',
      TELEMETRYFLOW_MCP_SERVER__HTTP__BODY_TIMEOUT_MS: '1000',
      TELEMETRYFLOW_MCP_SERVER__HTTP__MAX_CONNECTIONS: '30',
    });
  });

  afterAll(async () => {
    await server?.stop();
    await ws?.cleanup();
  });

  it('a session that never completes initialization expires within seconds; an initialized one stays', async () => {
    const bare = await post(server.url, initializeRequest(1));
    const bareId = bare.headers.get('mcp-session-id');
    expect(bareId).toBeTruthy();
    const live = await openRawSession(server.url);
    await delay(1500);
    const gone = await post(server.url, { jsonrpc: '2.0', id: 2, method: 'ping' }, { sessionId: bareId! });
    expect(gone.status).toBe(404);
    expect((await rawRequest(server.url, live.sessionId, 'ping')).result).toEqual({});
    await deleteSession(server.url, live.sessionId);
  });

  it('one client holding the whole session table does not lock a new client out', async () => {
    const hog = [];
    for (let i = 0; i < 10; i += 1) hog.push(await openRawSession(server.url));
    // The hog keeps every session warm except by touching them; a newcomer still gets in.
    for (const { sessionId } of hog.slice(1)) await rawRequest(server.url, sessionId, 'ping');
    const newcomer = await openRawSession(server.url);
    expect((await rawRequest(server.url, newcomer.sessionId, 'tools/call', { name: 'echo', arguments: { message: 'in' } })).result).toBeDefined();
    // The least recently used hog session made room.
    expect((await post(server.url, { jsonrpc: '2.0', id: 3, method: 'ping' }, { sessionId: hog[0].sessionId })).status).toBe(404);
    await Promise.all([...hog.slice(1), newcomer].map(({ sessionId }) => deleteSession(server.url, sessionId)));
  });

  it('a body that trickles in is cut off at body_timeout_ms, and the server keeps answering', async () => {
    const socket = await socketTo(server.port);
    const closed = closedBy(socket);
    socket.write(
      `POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nContent-Length: 1000\r\n\r\n{"jsonrpc":`,
    );
    const started = Date.now();
    const answer = await within(closed, 5000);
    expect(Date.now() - started).toBeLessThan(4000);
    expect(answer).toMatch(/^HTTP\/1\.1 408|^$/);
    expect((await fetch(`${server.base}/health`)).status).toBe(200);
  });

  it('headers that never finish are cut off at headers_timeout_ms', async () => {
    const socket = await socketTo(server.port);
    const closed = closedBy(socket);
    socket.write(`GET /health HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nX-Slow: `);
    const started = Date.now();
    await within(closed, 5000);
    expect(Date.now() - started).toBeLessThan(4000);
  });

  it('connections beyond max_connections are closed at once; the cap frees up when they go', async () => {
    const held = await Promise.all(Array.from({ length: 30 }, () => socketTo(server.port)));
    await delay(100);
    const extra = await socketTo(server.port).catch(() => undefined);
    if (extra) await within(closedBy(extra), 3000);
    for (const socket of held) socket.destroy();
    await delay(200);
    expect((await fetch(`${server.base}/health`)).status).toBe(200);
  });
});
