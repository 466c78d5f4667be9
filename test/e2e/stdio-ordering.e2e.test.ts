import { RawServer, createTempWorkspace, stdoutProblems, type TempWorkspace } from '../support/spawn-server.js';

const INIT = {
  jsonrpc: '2.0',
  id: 'init',
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'pipe', version: '1' } },
};
const line = (message: unknown) => `${JSON.stringify(message)}\n`;

/** Clients that write everything at once (shell pipes, scripts) instead of waiting for each answer. */
describe('stdio message ordering', () => {
  let ws: TempWorkspace;
  const started: RawServer[] = [];
  const start = async (extra: Record<string, string> = {}) => {
    const server = await RawServer.start(
      { TELEMETRYFLOW_MCP_MCP__ROOTS: ws.root, TELEMETRYFLOW_MCP_SECURITY__ALLOWED_COMMANDS: 'sleep,echo', ...extra },
      { cwd: ws.root, timeoutMs: 10_000 },
    );
    started.push(server);
    return server;
  };

  beforeAll(async () => {
    ws = await createTempWorkspace('tfo-mcp-order-');
  });

  afterAll(async () => {
    for (const server of started) await server.stop();
    await ws.cleanup();
  });

  it('burst – initialize, initialized and requests in one write – session READY and every request answered', async () => {
    const server = await start();
    server.write(
      line(INIT) +
        line({ jsonrpc: '2.0', method: 'notifications/initialized' }) +
        line({ jsonrpc: '2.0', id: 'list', method: 'tools/list' }) +
        line({ jsonrpc: '2.0', id: 'health', method: 'resources/read', params: { uri: 'status://health' } }),
    );
    const list = await server.waitForResponse('list');
    expect(list.error).toBeUndefined();
    const health = await server.waitForResponse('health');
    const report = JSON.parse((health.result as { contents: { text: string }[] }).contents[0].text) as { sessions: Record<string, number> };
    expect(report.sessions).toMatchObject({ READY: 1, INITIALIZING: 0, CREATED: 0 });
    expect(stdoutProblems(server.lines, server.unterminated)).toEqual([]);
  });

  it('initialize with invalid params – answered -32602 – later requests are answered, not left waiting', async () => {
    const server = await start();
    server.write(
      line({ ...INIT, id: 'bad', params: { capabilities: {} } }) + line({ jsonrpc: '2.0', id: 'ping', method: 'ping' }) + line({ jsonrpc: '2.0', id: 'early', method: 'tools/list' }),
    );
    expect((await server.waitForResponse('bad')).error?.code).toBe(-32602);
    expect((await server.waitForResponse('ping')).result).toEqual({});
    const early = await server.waitForResponse('early');
    expect(early.error?.code).toBe(-32600);
    expect(early.error?.message).toContain('initialize');
  });

  it('end of input – a request still running – answered before the process exits 0', async () => {
    const server = await start();
    await server.initialize('2025-06-18');
    server.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    server.send({ jsonrpc: '2.0', id: 'slow', method: 'tools/call', params: { name: 'execute_command', arguments: { command: 'sleep', args: ['0.5'] } } });
    server.endInput();
    const slow = await server.waitForResponse('slow');
    expect(slow.error).toBeUndefined();
    expect((slow.result as { structuredContent: { exit_code: number } }).structuredContent.exit_code).toBe(0);
    expect((await server.waitForExit()).code).toBe(0);
  });
});
