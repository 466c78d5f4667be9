import { CallToolResultSchema, LATEST_PROTOCOL_VERSION, type CallToolResult, type Progress } from '@modelcontextprotocol/sdk/types.js';
import { connectHttpClient, deleteSession, openRawSession, post, type HttpClientHandle } from '../support/http-client.js';
import { startHttpServer, type HttpServer } from '../support/http-server.js';
import type { JsonRpcMessage } from '../support/raw-server.js';
import { createTempWorkspace, type TempWorkspace } from '../support/temp-workspace.js';

const SESSIONS = 64;
const ROUNDS = 6;
const SDK_CLIENTS = 8;

describe('Streamable HTTP – many concurrent sessions', () => {
  let ws: TempWorkspace;
  let server: HttpServer;

  beforeAll(async () => {
    ws = await createTempWorkspace('tfo-mcp-http-conc-');
    server = await startHttpServer({ TELEMETRYFLOW_MCP_MCP__ROOTS: ws.root, TELEMETRYFLOW_MCP_LOGGING__LEVEL: 'warn' });
  });

  afterAll(async () => {
    await server?.stop();
    await ws?.cleanup();
  });

  it(`${SESSIONS} raw sessions – interleaved echo calls all with JSON-RPC id 1 – every answer reaches its own session, none lost or crossed`, async () => {
    const sessions = await Promise.all(Array.from({ length: SESSIONS }, (_, i) => openRawSession(server.url, { name: `raw-${i}` })));
    const ids = sessions.map((s) => s.sessionId);
    expect(new Set(ids).size).toBe(SESSIONS);

    type Seen = { session: number; round: number; status: number; headerSession: string | null; messages: JsonRpcMessage[] };
    const seen: Seen[] = [];
    // Each session runs its rounds in order; the sessions run at once, so the server sees their
    // requests interleaved, every one of them with the same id.
    await Promise.all(
      sessions.map(async ({ sessionId }, session) => {
        for (let round = 0; round < ROUNDS; round += 1) {
          const message = `session ${session} round ${round} ${sessionId}`;
          // Odd rounds ask for progress with one token shared by every session: those answers come as
          // SSE streams carrying exactly one progress notification each.
          const meta = round % 2 === 1 ? { _meta: { progressToken: 'shared-token' } } : {};
          const response = await post(
            server.url,
            { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'echo', arguments: { message }, ...meta } },
            { sessionId, protocolVersion: LATEST_PROTOCOL_VERSION },
          );
          seen.push({ session, round, status: response.status, headerSession: response.headers.get('mcp-session-id'), messages: response.messages });
          // Yield a little at random so the rounds of different sessions really overlap.
          if (Math.random() < 0.5) await new Promise((resolve) => setImmediate(resolve));
        }
      }),
    );

    expect(seen).toHaveLength(SESSIONS * ROUNDS);
    const problems: string[] = [];
    for (const { session, round, status, headerSession, messages } of seen) {
      const expected = `session ${session} round ${round} ${ids[session]}`;
      const answers = messages.filter((m) => m.id === 1 && (m.result !== undefined || m.error !== undefined));
      const got = (answers[0]?.result?.['structuredContent'] as { message?: string } | undefined)?.message;
      const progress = messages.filter((m) => m.method === 'notifications/progress');
      const progressOk = round % 2 === 1 ? progress.length === 1 && progress[0].params?.['progressToken'] === 'shared-token' : progress.length === 0;
      if (status !== 200 || headerSession !== ids[session] || answers.length !== 1 || got !== expected || !progressOk) {
        problems.push(
          `session ${session} round ${round}: status ${status}, header ${headerSession}, ${answers.length} answer(s), got ${JSON.stringify(got)}, progress ${JSON.stringify(progress)}`,
        );
      }
    }
    expect(problems).toEqual([]);

    const deleted = await Promise.all(ids.map((id) => deleteSession(server.url, id)));
    expect(deleted.map((d) => d.status)).toEqual(ids.map(() => 200));
  });

  it(`${SDK_CLIENTS} SDK clients at once – concurrent calls with colliding ids and progress – each gets only its own results and notifications`, async () => {
    const clients: HttpClientHandle[] = [];
    try {
      for (const handle of await Promise.all(Array.from({ length: SDK_CLIENTS }, (_, i) => connectHttpClient(server.url, { name: `sdk-${i}` })))) {
        clients.push(handle);
      }
      expect(new Set(clients.map((c) => c.transport.sessionId)).size).toBe(SDK_CLIENTS);

      // Every SDK client numbers its requests from 0: the same ids are in flight on all sessions at once.
      const outcomes = await Promise.all(
        clients.map(async (c, i) => {
          const progress: Progress[] = [];
          const results = await Promise.all(
            Array.from({ length: 5 }, (_, k) =>
              c.client.callTool({ name: 'echo', arguments: { message: `client ${i} call ${k}` } }, CallToolResultSchema, {
                onprogress: (p) => void progress.push(p),
              }),
            ),
          );
          return { i, messages: (results as CallToolResult[]).map((r) => (r.structuredContent as { message: string }).message), progress };
        }),
      );
      for (const { i, messages, progress } of outcomes) {
        expect(messages).toEqual(Array.from({ length: 5 }, (_, k) => `client ${i} call ${k}`));
        // One "echo started" per call, each on the call it belongs to.
        expect(progress).toHaveLength(5);
        for (const p of progress) expect(p.message).toBe('echo started');
      }
      for (const c of clients) expect(c.clientErrors.filter((e) => !/SSE stream disconnected|aborted/i.test(e.message))).toEqual([]);
    } finally {
      await Promise.all(clients.map((c) => c.close()));
    }
  });
});
