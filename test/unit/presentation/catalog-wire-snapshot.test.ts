import { mkdtemp, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { buildApplication, type Application } from '../../../src/container.js';
import { loadConfig } from '../../../src/infrastructure/config/config-loader.js';
import { McpConnection } from '../../../src/presentation/mcp/mcp-connection.js';
import type { Transport } from '../../../src/presentation/transports/transport.js';
import { RecordingLogger } from '../../support/builders.js';

/**
 * The catalog exactly as clients receive it: the raw result frames of tools/list, prompts/list,
 * resources/list and resources/templates/list from the real application with its default config,
 * compared byte for byte with a committed copy. Tool names, input and output schemas are the
 * product's public API, so a refactoring of the families must leave every byte as it was.
 *
 * After a deliberate change of the public catalog, rewrite the copy with
 * TFO_WRITE_CATALOG_SNAPSHOT=1 and review its diff like any other API change.
 */
const SNAPSHOT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'snapshots', 'catalog-wire.json');

describe('catalog on the wire (default config)', () => {
  let root: string;
  let app: Application;
  let client: InMemoryTransport;
  const answers = new Map<number, (message: JSONRPCMessage) => void>();
  let nextId = 1;

  async function request(method: string, params: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    const id = nextId++;
    const answered = new Promise<JSONRPCMessage>((resolve) => answers.set(id, resolve));
    await client.send({ jsonrpc: '2.0', id, method, params });
    const message = (await answered) as { result?: Record<string, unknown>; error?: unknown };
    if (!message.result) throw new Error(`${method} failed: ${JSON.stringify(message.error)}`);
    return message.result;
  }

  /** Every page of a list, in order (the page size is part of the config, not of the catalog). */
  async function listAll(method: string, key: string): Promise<unknown[]> {
    const items: unknown[] = [];
    let cursor: string | undefined;
    do {
      const page = await request(method, cursor === undefined ? {} : { cursor });
      items.push(...(page[key] as unknown[]));
      cursor = page['nextCursor'] as string | undefined;
    } while (cursor !== undefined);
    return items;
  }

  beforeAll(async () => {
    root = await realpath(await mkdtemp(path.join(tmpdir(), 'tfo-mcp-catalog-')));
    const config = loadConfig({ env: { TELEMETRYFLOW_MCP_SERVER__NAME: 'tfo-mcp-catalog' }, cwd: root, version: '0.0.0-test' });
    app = await buildApplication(config, new RecordingLogger());
    await app.start();
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    client = clientSide;
    client.onmessage = (message) => {
      if ('id' in message && typeof message.id === 'number' && !('method' in message)) answers.get(message.id)?.(message);
    };
    await client.start();
    await new McpConnection(app.mcp, 'memory').connect(serverSide as unknown as Transport);
    await request('initialize', { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'catalog-snapshot', version: '1.0.0' } });
    await client.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
  });

  afterAll(async () => {
    await client?.close().catch(() => undefined);
    await app?.stop(1000);
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('tools, prompts, resources and templates - byte-identical to the committed copy', async () => {
    const catalog = {
      tools: await listAll('tools/list', 'tools'),
      prompts: await listAll('prompts/list', 'prompts'),
      resources: await listAll('resources/list', 'resources'),
      resourceTemplates: await listAll('resources/templates/list', 'resourceTemplates'),
    };
    const text = `${JSON.stringify(catalog, null, 2)}\n`;
    if (process.env['TFO_WRITE_CATALOG_SNAPSHOT'] === '1') await writeFile(SNAPSHOT, text);

    expect(text).toBe(await readFile(SNAPSHOT, 'utf8'));
  });
});
