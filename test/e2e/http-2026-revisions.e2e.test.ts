import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Client as ModernClient, StreamableHTTPClientTransport as ModernTransport } from '@modelcontextprotocol/client';
import { Client as LegacyClient } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as LegacyTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { startHttpServer, type HttpServer } from '../support/http-server.js';
import { createTempWorkspace, type TempWorkspace } from '../support/spawn-server.js';

const META = {
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientInfo': { name: 'raw-2026', version: '1' },
  'io.modelcontextprotocol/clientCapabilities': {},
};

/** One raw 2026-07-28 request: no session, the envelope in _meta, the routing headers set. */
async function raw(server: HttpServer, method: string, params: Record<string, unknown>, name?: string, id: number | string = 7) {
  const res = await fetch(server.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2026-07-28',
      'mcp-method': method,
      ...(name !== undefined ? { 'mcp-name': name } : {}),
    },
    body: JSON.stringify({ jsonrpc: '2.0', id, method, params: { ...params, _meta: META } }),
  });
  return { status: res.status, sessionId: res.headers.get('mcp-session-id'), body: (await res.json()) as { id: unknown; result?: Record<string, unknown>; error?: { code: number; message: string; data?: Record<string, unknown> } } };
}

describe('2026-07-28 and 2025-11-25 clients on one HTTP server (built server)', () => {
  let ws: TempWorkspace;
  let server: HttpServer;

  beforeAll(async () => {
    ws = await createTempWorkspace('tfo-2026-');
    await writeFile(path.join(ws.root, 'note.txt'), 'hello from both eras\n');
    server = await startHttpServer({ TELEMETRYFLOW_MCP_MCP__ROOTS: ws.root });
  });

  afterAll(async () => {
    await server?.stop();
    await ws?.cleanup();
  });

  it('an SDK v2 client pinned to 2026-07-28 and an SDK 1.x client with a session work side by side, each on its own revision', async () => {
    const modern = new ModernClient({ name: 'v2-client', version: '1.0.0' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
    const legacy = new LegacyClient({ name: 'v1-client', version: '1.0.0' });
    const legacyTransport = new LegacyTransport(new URL(server.url));
    await Promise.all([modern.connect(new ModernTransport(new URL(server.url))), legacy.connect(legacyTransport)]);
    try {
      expect(legacyTransport.sessionId).toMatch(/^[0-9a-f-]{36}$/);
      const calls = Array.from({ length: 10 }, (_, i) => [
        modern.callTool({ name: 'echo', arguments: { message: `modern ${i}` } }),
        legacy.callTool({ name: 'echo', arguments: { message: `legacy ${i}` } }),
      ]).flat();
      const results = await Promise.all(calls);
      const texts = results.map((r) => (r.content as { text: string }[])[0].text);
      for (let i = 0; i < 10; i += 1) {
        expect(texts).toContain(`modern ${i}`);
        expect(texts).toContain(`legacy ${i}`);
      }
      const [modernTools, legacyTools] = await Promise.all([modern.listTools(), legacy.listTools()]);
      expect(modernTools.tools.map((t) => t.name).sort()).toEqual(legacyTools.tools.map((t) => t.name).sort());
      const read = await modern.readResource({ uri: `file://${path.join(ws.root, 'note.txt')}` });
      expect(read.contents[0]).toMatchObject({ text: 'hello from both eras\n' });
      // SEP-2164 on 2026-07-28; the 2025 revisions keep -32002.
      await expect(modern.readResource({ uri: 'nosuch://x' })).rejects.toMatchObject({ code: -32602 });
      await expect(legacy.readResource({ uri: 'nosuch://x' })).rejects.toMatchObject({ code: -32002 });
    } finally {
      await Promise.all([modern.close(), legacy.close()]);
    }
  });

  it('a stateless request - no session is opened, the result carries resultType, cache hints and who answered', async () => {
    const list = await raw(server, 'tools/list', {});
    expect(list.status).toBe(200);
    expect(list.sessionId).toBeNull();
    expect(list.body.result).toMatchObject({ resultType: 'complete', ttlMs: 60_000, cacheScope: 'private', _meta: { 'io.modelcontextprotocol/serverInfo': { name: 'tfo-mcp' } } });
    const read = await raw(server, 'resources/read', { uri: `file://${path.join(ws.root, 'note.txt')}` }, `file://${path.join(ws.root, 'note.txt')}`);
    expect(read.body.result).toMatchObject({ resultType: 'complete', ttlMs: 0, cacheScope: 'private' });
    const discover = await raw(server, 'server/discover', {});
    expect(discover.body.result).toMatchObject({ supportedVersions: ['2026-07-28'], capabilities: { tools: { listChanged: true } }, cacheScope: 'public' });
    const capabilities = discover.body.result!['capabilities'] as Record<string, unknown>;
    // The tasks extension (on by default, mcp.tasks.enabled) under extensions, never a v1 `tasks` slot;
    // no resource subscriptions on this revision (a watch needs a session).
    expect(capabilities['extensions']).toEqual({ 'io.modelcontextprotocol/tasks': {} });
    expect(capabilities).not.toHaveProperty('tasks');
    expect(capabilities['resources']).toMatchObject({ subscribe: false });
  });

  it('edge errors carry the request id: unknown and removed methods 404/-32601, header mismatch 400/-32020, unserved revision 400/-32022', async () => {
    const unknown = await raw(server, 'no/such', {}, undefined, 'u1');
    expect(unknown).toMatchObject({ status: 404, body: { id: 'u1', error: { code: -32601 } } });
    const removed = await raw(server, 'logging/setLevel', { level: 'info' }, undefined, 'u2');
    expect(removed).toMatchObject({ status: 404, body: { id: 'u2', error: { code: -32601 } } });
    const mismatch = await raw(server, 'tools/call', { name: 'echo', arguments: { message: 'x' } }, 'not-echo', 'u3');
    expect(mismatch).toMatchObject({ status: 400, body: { id: 'u3', error: { code: -32020 } } });
    expect(mismatch.body.error?.message).toContain('Mcp-Name');

    const res = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2099-01-01', 'mcp-method': 'tools/list' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 'u4', method: 'tools/list', params: { _meta: { ...META, 'io.modelcontextprotocol/protocolVersion': '2099-01-01' } } }),
    });
    const body = (await res.json()) as { id: unknown; error: { code: number; data: { supported: string[]; requested: string } } };
    expect(res.status).toBe(400);
    expect(body).toMatchObject({ id: 'u4', error: { code: -32022, data: { supported: ['2026-07-28'], requested: '2099-01-01' } } });
  });

  it('a requestState this server did not sign is refused with -32602, naming the problem', async () => {
    const forged = await raw(server, 'tools/call', { name: 'echo', arguments: { message: 'x' }, requestState: 'v1.eyJ4IjoxfQ.AAAA' }, 'echo', 'f1');
    expect(forged.body).toMatchObject({ id: 'f1', error: { code: -32602, data: { reason: 'request_state.invalid' } } });
  });
});
