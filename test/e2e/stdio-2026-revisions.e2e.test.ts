import { readdir, readFile } from 'node:fs/promises';
import { Client as ModernClient } from '@modelcontextprotocol/client';
import { StdioClientTransport as ModernStdioTransport } from '@modelcontextprotocol/client/stdio';
import {
  builtServerPath,
  createTempWorkspace,
  delay,
  RawServer,
  serverEnv,
  startClient,
  stdoutProblems,
  type ClientHandle,
  type TempWorkspace,
} from '../support/spawn-server.js';

const META = {
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientInfo': { name: 'raw-2026', version: '1' },
  'io.modelcontextprotocol/clientCapabilities': {},
};

function envFor(ws: TempWorkspace): Record<string, string> {
  return {
    TELEMETRYFLOW_MCP_MCP__ROOTS: ws.root,
    TELEMETRYFLOW_MCP_LOGGING__FORMAT: 'json',
    TELEMETRYFLOW_MCP_SECURITY__ALLOWED_COMMANDS: 'echo,cat,sleep',
  };
}

/** Every process as /proc shows it: pid, parent and process group (no ps needed). */
async function processes(): Promise<{ pid: number; ppid: number; pgid: number }[]> {
  const found: { pid: number; ppid: number; pgid: number }[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    // pid (comm) state ppid pgrp ...; comm may hold spaces, so split after the last ')'.
    const close = stat.lastIndexOf(')');
    if (close < 0) continue;
    const [, ppid, pgid] = stat.slice(close + 2).split(' ');
    found.push({ pid: Number(entry), ppid: Number(ppid), pgid: Number(pgid) });
  }
  return found;
}

/** The process groups of `pid`'s children (a command runs in its own group, under unshare). */
async function childGroups(pid: number): Promise<number[]> {
  return (await processes()).filter((p) => p.ppid === pid).map((p) => p.pgid);
}

async function groupAlive(pgid: number): Promise<boolean> {
  return (await processes()).some((p) => p.pgid === pgid);
}

describe('2026-07-28 and 2025 clients on stdio, each on its own server process (built server)', () => {
  let ws: TempWorkspace;

  beforeAll(async () => {
    ws = await createTempWorkspace('tfo-stdio-2026-');
  });

  afterAll(async () => {
    await ws?.cleanup();
  });

  describe('an SDK v2 client pinned to 2026-07-28 and an SDK 1.x client at the same time', () => {
    let modern: ModernClient;
    let modernTransport: ModernStdioTransport;
    let legacy: ClientHandle;
    let modernStderr = '';

    beforeAll(async () => {
      modern = new ModernClient({ name: 'v2-stdio', version: '1.0.0' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
      modernTransport = new ModernStdioTransport({ command: process.execPath, args: [builtServerPath()], env: serverEnv(envFor(ws)), cwd: ws.root, stderr: 'pipe' });
      modernTransport.stderr?.on('data', (chunk: Buffer) => (modernStderr += chunk.toString('utf8')));
      const [, handle] = await Promise.all([modern.connect(modernTransport), startClient(envFor(ws), { cwd: ws.root, clientName: 'v1-stdio' })]);
      legacy = handle;
    });

    afterAll(async () => {
      await modern?.close().catch(() => undefined);
      await legacy?.close();
    });

    it('connect - the v2 client learned the server from server/discover (no initialize), the 1.x client from initialize', () => {
      expect(modern.getServerVersion()).toEqual({ name: 'tfo-mcp', version: expect.any(String) });
      expect(modern.getServerCapabilities()).toMatchObject({ tools: {} });
      expect(legacy.client.getServerVersion()).toEqual({ name: 'tfo-mcp', version: expect.any(String) });
      expect(legacy.sent.map((m) => ('method' in m ? m.method : undefined))).toContain('initialize');
    });

    it('tools/call from both clients interleaved - every call answered on its own revision', async () => {
      const calls = Array.from({ length: 10 }, (_, i) => [
        modern.callTool({ name: 'echo', arguments: { message: `modern ${i}` } }),
        legacy.client.callTool({ name: 'echo', arguments: { message: `legacy ${i}` } }),
      ]).flat();
      const results = await Promise.all(calls);
      const texts = results.map((r) => (r.content as { text: string }[])[0].text);
      for (let i = 0; i < 10; i += 1) expect(texts).toEqual(expect.arrayContaining([`modern ${i}`, `legacy ${i}`]));
      // Only the 2026-07-28 answers carry the revision's result contract.
      expect(results.filter((_, at) => at % 2 === 1).every((r) => !('resultType' in r))).toBe(true);
    });

    it('tools/list - the same tools on both revisions', async () => {
      const [modernTools, legacyTools] = await Promise.all([modern.listTools(), legacy.client.listTools()]);
      expect(modernTools.tools.map((t) => t.name).sort()).toEqual(legacyTools.tools.map((t) => t.name).sort());
      expect(modernTools.tools.map((t) => t.name)).toContain('read_file');
    });

    it('server/discover on the pinned connection - the supported revision, capabilities, and who answered', async () => {
      const discover = await modern.discover();
      expect(discover).toMatchObject({
        supportedVersions: ['2026-07-28'],
        capabilities: expect.objectContaining({ tools: expect.any(Object) }),
        _meta: { 'io.modelcontextprotocol/serverInfo': { name: 'tfo-mcp', version: expect.any(String) } },
      });
    });

    it('resources/read and a not-found - SEP-2164 on 2026-07-28 (-32602), -32002 on the 2025 session', async () => {
      const read = await modern.readResource({ uri: `file://${ws.files.text}` });
      expect(read.contents[0]).toMatchObject({ uri: `file://${ws.files.text}` });
      await expect(modern.readResource({ uri: 'nosuch://x' })).rejects.toMatchObject({ code: -32602 });
      await expect(legacy.client.readResource({ uri: 'nosuch://x' })).rejects.toMatchObject({ code: -32002 });
    });

    it('a long execute_command aborted by the v2 client - rejects quickly, the sleep is killed, the connection keeps serving', async () => {
      const pid = modernTransport.pid!;
      const controller = new AbortController();
      const pending = modern.callTool({ name: 'execute_command', arguments: { command: 'sleep', args: ['30'], timeout_ms: 60_000 } }, { signal: controller.signal });
      pending.catch(() => undefined);
      for (let i = 0; i < 50 && (await childGroups(pid)).length === 0; i += 1) await delay(50);
      const groups = await childGroups(pid);
      expect(groups).toHaveLength(1);
      const aborted = Date.now();
      controller.abort();
      await expect(pending).rejects.toMatchObject({ message: expect.stringMatching(/abort/i) });
      expect(Date.now() - aborted).toBeLessThan(1000);
      // The server heard notifications/cancelled and killed the command's process group (sleep included).
      for (let i = 0; i < 50 && (await groupAlive(groups[0])); i += 1) await delay(50);
      expect(await groupAlive(groups[0])).toBe(false);
      const after = await modern.callTool({ name: 'echo', arguments: { message: 'still here' } });
      expect((after.content as { text: string }[])[0].text).toBe('still here');
    });

    it('the logs - the v2 process pinned 2026-07-28 without a session, the 1.x process opened one; stdout of the 1.x process is all JSON-RPC', () => {
      const pinned = modernStderr.split('\n').filter((line) => line.includes('stdio connection pinned'));
      expect(pinned).toEqual([expect.stringContaining('"session":false')]);
      expect(legacy.stderr()).toMatch(/stdio connection pinned.*"session":true/);
      expect(stdoutProblems(legacy.stdoutLines, legacy.unterminated())).toEqual([]);
    });
  });

  describe('raw frames on a 2026-07-28 connection', () => {
    let server: RawServer;

    beforeAll(async () => {
      server = await RawServer.start(envFor(ws), { cwd: ws.root });
    });

    afterAll(async () => {
      await server?.stop();
    });

    it('the first claimed request pins the connection; progress before the answer; 2025 requests refused; listen held open; stdout only frames', async () => {
      const list = await server.request({ method: 'tools/list', params: { _meta: META } });
      expect(list.result).toMatchObject({ resultType: 'complete', ttlMs: expect.any(Number), cacheScope: 'private' });

      const call = await server.request({ id: 'p', method: 'tools/call', params: { name: 'echo', arguments: { message: 'hi' }, _meta: { ...META, progressToken: 'tok' } } });
      expect(call.result).toMatchObject({ structuredContent: { message: 'hi' }, resultType: 'complete' });
      const answerAt = server.messages.findIndex((m) => m.id === 'p');
      const progressAt = server.messages.findIndex((m) => m.method === 'notifications/progress' && m.params?.['progressToken'] === 'tok');
      expect(progressAt).toBeGreaterThanOrEqual(0);
      expect(progressAt).toBeLessThan(answerAt);

      const initialize = await server.request({ method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'late', version: '1' } } });
      expect(initialize.error).toMatchObject({ code: -32022, data: { supported: ['2026-07-28'], requested: '2025-11-25' } });
      const claimless = await server.request({ method: 'tools/list' });
      expect(claimless.error).toMatchObject({ code: -32602 });
      // subscriptions/listen stays open: acknowledged (tagged with its id), no answer until cancelled.
      server.send({ jsonrpc: '2.0', id: 'listen-1', method: 'subscriptions/listen', params: { notifications: { toolsListChanged: true }, _meta: META } });
      const acknowledged = () => server.messages.find((m) => m.method === 'notifications/subscriptions/acknowledged');
      await server.waitUntil(() => acknowledged() !== undefined, 5_000, 'the listen acknowledgement');
      expect(acknowledged()?.params).toMatchObject({ notifications: { toolsListChanged: true }, _meta: { 'io.modelcontextprotocol/subscriptionId': 'listen-1' } });
      server.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 'listen-1' } });
      expect(server.responsesFor('listen-1')).toEqual([]);

      await delay(100);
      expect(stdoutProblems(server.lines)).toEqual([]);
      expect(server.stderr).toMatch(/stdio connection pinned.*"session":false/);
      expect(server.stderr).not.toMatch(/"session":true/);
    });

    it('end of input with a 2026-07-28 request in flight - it is answered, then the server exits 0', async () => {
      server.send({ jsonrpc: '2.0', id: 'last', method: 'tools/call', params: { name: 'execute_command', arguments: { command: 'sleep', args: ['0.3'] }, _meta: META } });
      server.endInput();
      const last = await server.waitForResponse('last');
      expect(last.result).toMatchObject({ resultType: 'complete' });
      await expect(server.waitForExit()).resolves.toEqual({ code: 0, signal: null });
    });
  });

  it('a 2025 connection given a 2026-07-28 request - refused with -32022 naming its 2025 revisions; the session goes on', async () => {
    const server = await RawServer.start(envFor(ws), { cwd: ws.root });
    try {
      expect((await server.initialize('2025-11-25')).result).toMatchObject({ protocolVersion: '2025-11-25' });
      const claimed = await server.request({ method: 'tools/list', params: { _meta: META } });
      expect(claimed.error).toMatchObject({ code: -32022, data: { supported: expect.arrayContaining(['2025-11-25']), requested: '2026-07-28' } });
      expect((claimed.error?.data as { supported: string[] }).supported).not.toContain('2026-07-28');
      const echo = await server.request({ method: 'tools/call', params: { name: 'echo', arguments: { message: 'legacy' } } });
      expect(echo.result).toMatchObject({ structuredContent: { message: 'legacy' } });
      expect(echo.result).not.toHaveProperty('resultType');
      expect(stdoutProblems(server.lines)).toEqual([]);
    } finally {
      await server.stop();
    }
  });
});
