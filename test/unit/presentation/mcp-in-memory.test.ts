import { mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { GetSessionQuery } from '../../../src/application/session/get-session.query.js';
import { buildApplication, type Application } from '../../../src/container.js';
import type { DomainEvent } from '../../../src/domain/shared/domain-event.js';
import { loadConfig } from '../../../src/infrastructure/config/config-loader.js';
import type { Transport } from '../../../src/presentation/transports/transport.js';
import { McpConnection } from '../../../src/presentation/mcp/mcp-connection.js';
import { RecordingLogger } from '../../support/builders.js';
import { waitFor } from '../../support/test-app.js';

/**
 * The fast twin of the stdio e2e test: the real application (container, buses, in-memory adapters,
 * tool families) behind a real McpConnection, driven by the SDK Client over InMemoryTransport.
 */
const API_KEY = 'sk-ant-twin-secret-0123456789';

describe('MCP over InMemoryTransport (in-process twin)', () => {
  let root: string;
  let app: Application;
  let connection: McpConnection;
  let client: Client;
  const logger = new RecordingLogger();
  const events: DomainEvent[] = [];
  const typesOf = (sessionId?: string) => events.filter((e) => sessionId === undefined || e.sessionId === sessionId).map((e) => e.type);

  beforeAll(async () => {
    root = await realpath(await mkdtemp(path.join(tmpdir(), 'tfo-mcp-twin-')));
    await writeFile(path.join(root, 'hello.txt'), 'hello from the twin\n');
    const config = loadConfig({ env: { TELEMETRYFLOW_MCP_SERVER__NAME: 'tfo-mcp-twin', TELEMETRYFLOW_MCP_CLAUDE__API_KEY: API_KEY }, cwd: root, version: '0.0.0-test' });
    app = await buildApplication(config, logger);
    app.events?.subscribe((event) => events.push(event));
    await app.start();

    connection = new McpConnection(app.mcp, 'memory');
    const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
    await connection.connect(serverTransport as unknown as Transport);
    client = new Client({ name: 'twin-client', version: '1.0.0' }, { capabilities: {} });
    await client.connect(clientTransport);
  });

  afterAll(async () => {
    await client?.close().catch(() => undefined);
    await app?.stop(1000);
    if (root) await rm(root, { recursive: true, force: true });
  });

  async function mcpErrorOf(attempt: Promise<unknown>): Promise<McpError> {
    try {
      await attempt;
    } catch (error) {
      if (error instanceof McpError) return error;
      throw error;
    }
    throw new Error('expected an MCP error response, got a result');
  }

  it('initialize - server info from the config and the capabilities it enables', () => {
    expect(client.getServerVersion()).toEqual({ name: 'tfo-mcp-twin', version: '0.0.0-test' });
    expect(client.getServerCapabilities()).toMatchObject({ tools: {}, resources: {}, prompts: {}, logging: {}, completions: {} });
  });

  it('session - reaches READY after notifications/initialized, with the client recorded', async () => {
    const session = () => app.mcp.queries.execute(new GetSessionQuery(connection.sessionId));

    await waitFor(async () => (await session()).state === 'READY', 'session READY');

    await expect(session()).resolves.toMatchObject({
      transport: 'memory',
      state: 'READY',
      clientInfo: { name: 'twin-client', version: '1.0.0' },
    });
  });

  it('ping - answered', async () => {
    await expect(client.ping()).resolves.toEqual({});
  });

  it('tools/list - the documented tools, each with an object input schema', async () => {
    const { tools } = await client.listTools();

    const names = tools.map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(['echo', 'system_info', 'read_file', 'write_file', 'list_directory', 'search_files', 'execute_command']));
    for (const tool of tools) expect(tool.inputSchema.type).toBe('object');
  });

  it('tools/call echo - returns the message', async () => {
    const result = await client.callTool({ name: 'echo', arguments: { message: 'hello twin' } });

    expect(result.isError).toBeFalsy();
    expect(result.content).toEqual([{ type: 'text', text: 'hello twin' }]);
  });

  it('tools/call read_file - reads a file inside the root', async () => {
    const result = await client.callTool({ name: 'read_file', arguments: { path: path.join(root, 'hello.txt') } });

    expect(result.isError).toBeFalsy();
    expect(JSON.stringify(result.content)).toContain('hello from the twin');
  });

  it('tools/call with invalid arguments - an isError result carrying the envelope', async () => {
    const result = await client.callTool({ name: 'echo', arguments: { wrong: 1 } });

    expect(result.isError).toBe(true);
    expect(result.structuredContent).toMatchObject({ error: 'invalid arguments', retryable: true });
  });

  it('tools/call of an unknown tool - JSON-RPC error -32602 (as the MCP specification says) naming the tool', async () => {
    const error = await mcpErrorOf(client.callTool({ name: 'no_such_tool', arguments: {} }));

    expect(error.code).toBe(-32602);
    expect(error.message).toContain('no_such_tool');
  });

  it('resources/list and resources/templates/list - server resources, the file and conversation templates', async () => {
    const { resources } = await client.listResources();
    const { resourceTemplates } = await client.listResourceTemplates();

    expect(resources.map((r) => r.uri)).toEqual(expect.arrayContaining(['config://server', 'status://health']));
    expect(resourceTemplates.map((t) => t.uriTemplate)).toEqual(['file:///{path}', 'conversation://{id}']);
  });

  it('resources/read config://server - the effective config, with roots and no secrets', async () => {
    const { contents } = await client.readResource({ uri: 'config://server' });

    const text = (contents[0] as { text: string }).text;
    const config = JSON.parse(text) as { server: { name: string }; mcp: { roots: string[] }; claude: { api_key?: string } };
    expect(config.server.name).toBe('tfo-mcp-twin');
    expect(config.mcp.roots).toEqual([root]);
    expect(config.claude.api_key).toBe('[redacted]');
    expect(text).not.toContain(API_KEY);
  });

  it('resources/read status://health - up, with this session counted as READY', async () => {
    const { contents } = await client.readResource({ uri: 'status://health' });

    const health = JSON.parse((contents[0] as { text: string }).text) as { status: string; sessions: Record<string, number> };
    expect(health.status).toBe('up');
    expect(health.sessions['READY']).toBe(1);
  });

  it('resources/read of a file URI - the file text', async () => {
    const uri = `file://${path.join(root, 'hello.txt')}`;

    const { contents } = await client.readResource({ uri });

    expect(contents).toEqual([expect.objectContaining({ uri, text: 'hello from the twin\n' })]);
  });

  it('resources/read of an unknown URI - JSON-RPC error -32002', async () => {
    const error = await mcpErrorOf(client.readResource({ uri: 'config://nope' }));
    expect(error.code).toBe(-32002);
  });

  it('prompts/list and prompts/get - renders code_review with the code fenced', async () => {
    const { prompts } = await client.listPrompts();
    const result = await client.getPrompt({ name: 'code_review', arguments: { code: 'let a = 1', language: 'typescript' } });

    expect(prompts.map((p) => p.name)).toEqual(['code_review', 'explain_code', 'debug_help']);
    expect(result.messages[0]?.content).toMatchObject({ type: 'text', text: expect.stringContaining('```typescript\nlet a = 1\n```') });
  });

  it('prompts/get without its required argument - JSON-RPC error -32602 naming it', async () => {
    const error = await mcpErrorOf(client.getPrompt({ name: 'code_review', arguments: {} }));

    expect(error.code).toBe(-32602);
    expect(error.message).toContain('code');
  });

  it('completion/complete - prompt argument values by prefix', async () => {
    const { completion } = await client.complete({ ref: { type: 'ref/prompt', name: 'code_review' }, argument: { name: 'language', value: 'type' } });

    expect(completion).toEqual({ values: ['typescript'], total: 1, hasMore: false });
  });

  it('completion/complete - file template path completes inside the root', async () => {
    const { completion } = await client.complete({
      ref: { type: 'ref/resource', uri: 'file:///{path}' },
      argument: { name: 'path', value: `${root.slice(1)}/hel` },
    });

    expect(completion.values).toEqual([`${root.slice(1)}/hello.txt`]);
  });

  it('logging/setLevel - stored on the session', async () => {
    await client.setLoggingLevel('error');

    await expect(app.mcp.queries.execute(new GetSessionQuery(connection.sessionId))).resolves.toMatchObject({ logLevel: 'error' });
  });

  it('events - the relay delivers the lifecycle and tool events to app.events', async () => {
    const sessionId = connection.sessionId;
    const wanted = ['session.created', 'session.initialized', 'session.ready', 'session.log_level_changed', 'tool.executed', 'tool.failed'];

    await waitFor(() => wanted.every((type) => typesOf(sessionId).includes(type)), `events ${wanted.join(', ')}`);

    expect(typesOf().filter((t) => t === 'tool.registered').length).toBeGreaterThanOrEqual(7);
    expect(typesOf(sessionId).slice(0, 3)).toEqual(['session.created', 'session.initialized', 'session.ready']);
    const failed = events.find((e) => e.type === 'tool.failed');
    expect(failed?.data).toMatchObject({ tool: 'echo', outcome: 'error', error: 'invalid arguments' });
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
  });

  it('client.close() - the session is CLOSED and session.closed is published', async () => {
    const sessionId = connection.sessionId;

    await client.close();

    await waitFor(() => typesOf(sessionId).includes('session.closed'), 'session.closed');
    await expect(app.mcp.queries.execute(new GetSessionQuery(sessionId))).resolves.toMatchObject({ state: 'CLOSED', closeReason: 'transport closed' });
    expect(typesOf(sessionId).slice(-2)).toEqual(['session.closing', 'session.closed']);
  });
});
