import { mkdtemp, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { McpServer, type JSONRPCMessage, type Transport as SdkTransport } from '@modelcontextprotocol/server';
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import { z } from 'zod';
import { CommandBus } from '../../../src/application/bus/message-bus.js';
import { buildApplication, type Application } from '../../../src/container.js';
import type { DomainEvent } from '../../../src/domain/shared/domain-event.js';
import { loadConfig } from '../../../src/infrastructure/config/config-loader.js';
import type { McpDependencies } from '../../../src/presentation/mcp/mcp-connection.js';
import { openingEra, StdioConnection } from '../../../src/presentation/mcp/stdio-connection.js';
import { StdioServerTransport } from '../../../src/presentation/transports/stdio.js';
import { RecordingLogger } from '../../support/builders.js';
import { waitFor } from '../../support/test-app.js';

const CLAIM = 'io.modelcontextprotocol/protocolVersion';
const CAPS = 'io.modelcontextprotocol/clientCapabilities';
const INFO = 'io.modelcontextprotocol/clientInfo';
const META = { [CLAIM]: '2026-07-28', [CAPS]: {}, [INFO]: { name: 'pin-test', version: '1.0.0' } };
const INIT_PARAMS = { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'legacy-test', version: '1.0.0' } };

type Frame = { jsonrpc?: string; id?: unknown; method?: string; result?: Record<string, unknown>; error?: { code: number; message: string; data?: unknown } };

const req = (id: number | string, method: string, params?: Record<string, unknown>): JSONRPCMessage =>
  (params === undefined ? { jsonrpc: '2.0', id, method } : { jsonrpc: '2.0', id, method, params }) as JSONRPCMessage;
const note = (method: string, params?: Record<string, unknown>): JSONRPCMessage =>
  (params === undefined ? { jsonrpc: '2.0', method } : { jsonrpc: '2.0', method, params }) as JSONRPCMessage;
const answerOf = (frames: Frame[], id: unknown) => frames.find((f) => f.id === id && f.method === undefined);
const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

/** SDK v2's own serveStdio over an in-memory transport: which eras its factory was asked for, and what it wrote. */
async function sdkServe(messages: readonly JSONRPCMessage[]) {
  const eras: string[] = [];
  const frames: Frame[] = [];
  const transport: SdkTransport = {
    start: async () => undefined,
    send: async (message) => void frames.push(message as Frame),
    close: async () => transport.onclose?.(),
  };
  const handle = serveStdio(
    (ctx) => {
      eras.push(ctx.era);
      const server = new McpServer({ name: 'sdk', version: '1.0.0' }, { capabilities: { tools: {} } });
      server.registerTool('echo', { inputSchema: z.object({ message: z.string() }) }, async ({ message }) => ({ content: [{ type: 'text', text: message }] }));
      return server;
    },
    { transport },
  );
  await tick();
  for (const message of messages) {
    transport.onmessage?.(message);
    if ('id' in message && 'method' in message) await waitFor(() => answerOf(frames, message.id) !== undefined, `v2's answer to ${String(message.id)}`);
    else await tick();
  }
  await handle.close();
  return { eras, frames };
}

describe('stdio era pinning', () => {
  let root: string;
  let app: Application;
  const events: DomainEvent[] = [];

  beforeAll(async () => {
    root = await realpath(await mkdtemp(path.join(tmpdir(), 'tfo-mcp-pin-')));
    const config = loadConfig({ env: {}, cwd: root, version: '0.0.0-test' });
    app = await buildApplication(config, new RecordingLogger());
    app.events?.subscribe((event) => events.push(event));
    await app.start();
  });

  afterAll(async () => {
    await app?.stop(1000);
    if (root) await rm(root, { recursive: true, force: true });
  });

  /** Our StdioConnection on the real application, behind the real stdio transport over in-process streams. */
  async function ours(deps: McpDependencies = app.mcp) {
    const input = new PassThrough();
    const output = new PassThrough();
    const frames: Frame[] = [];
    let partial = '';
    output.setEncoding('utf8');
    output.on('data', (chunk: string) => {
      const parts = (partial + chunk).split('\n');
      partial = parts.pop() ?? '';
      frames.push(...parts.map((line) => JSON.parse(line) as Frame));
    });
    const ended: string[] = [];
    const transport = new StdioServerTransport(input, output, { maxMessageBytes: 1 << 20, onInputEnd: () => undefined });
    const connection = new StdioConnection(deps, transport, (reason) => ended.push(reason));
    await connection.start();
    const opened = () => events.filter((e) => e.type === 'session.created' && e.aggregateId === connection.sessionId);
    return {
      connection,
      frames,
      ended,
      opened,
      /** All messages in one chunk, as a pipelining client writes them. */
      write: (...messages: JSONRPCMessage[]) => input.write(`${messages.map((m) => JSON.stringify(m)).join('\n')}\n`),
      answer: async (id: unknown) => {
        await waitFor(() => answerOf(frames, id) !== undefined, `the answer to ${String(id)}`);
        return answerOf(frames, id)!;
      },
      stop: async () => {
        await connection.drain(1000);
        await connection.close('test over');
        await connection.closeTransport();
      },
    };
  }

  describe('openingEra (the decision on one message)', () => {
    it.each<[string, JSONRPCMessage, string]>([
      ['a 2025 initialize', req(1, 'initialize', INIT_PARAMS), 'session'],
      ['a claim-less tools/list', req(1, 'tools/list'), 'session'],
      ['a claim-less notification', note('notifications/initialized'), 'session'],
      ['an initialize whose claim is not a valid envelope', req(1, 'initialize', { ...INIT_PARAMS, _meta: { [CLAIM]: '2026-07-28' } }), 'session'],
      ['a claimed tools/list', req(1, 'tools/list', { _meta: META }), 'stateless'],
      ['an initialize with a valid 2026 envelope', req(1, 'initialize', { ...INIT_PARAMS, _meta: META }), 'stateless'],
      ['a claimed notification', note('notifications/cancelled', { requestId: 1, _meta: META }), 'stateless'],
      ['a claimed server/discover', req(1, 'server/discover', { _meta: META }), 'probe'],
      ['a response', { jsonrpc: '2.0', id: 1, result: {} } as JSONRPCMessage, 'ignore'],
      ['a claim without clientCapabilities', req(1, 'tools/list', { _meta: { [CLAIM]: '2026-07-28' } }), 'reject'],
      ['a claim of an unserved revision', req(1, 'tools/list', { _meta: { ...META, [CLAIM]: '2027-01-01' } }), 'reject'],
    ])('%s - %s', (_, message, kind) => {
      expect(openingEra(message).kind).toBe(kind);
    });

    it('a 2025 initialize - decided without v2 classifier work (the claim test reads params and _meta only)', () => {
      const read: string[] = [];
      const spy = <T extends object>(target: T): T =>
        new Proxy(target, {
          get: (t, key) => {
            read.push(String(key));
            const value = Reflect.get(t, key) as unknown;
            return value !== null && typeof value === 'object' && !Array.isArray(value) ? spy(value) : value;
          },
        });
      expect(openingEra(spy(req(1, 'initialize', INIT_PARAMS) as object) as JSONRPCMessage)).toEqual({ kind: 'session' });
      expect(read).not.toContain('jsonrpc');
      expect(read).not.toContain('id');
    });
  });

  describe('differential against SDK v2 serveStdio (same opening rules)', () => {
    const openings: [string, JSONRPCMessage][] = [
      ['initialize 2025-11-25', req(1, 'initialize', INIT_PARAMS)],
      ['initialize 2024-11-05', req(1, 'initialize', { ...INIT_PARAMS, protocolVersion: '2024-11-05' })],
      ['claim-less tools/list', req(1, 'tools/list')],
      ['claim-less notification', note('notifications/initialized')],
      ['claimed tools/list', req(1, 'tools/list', { _meta: META })],
      ['claimed tools/call with logLevel and trace', req(1, 'tools/call', { name: 'echo', arguments: { message: 'x' }, _meta: { ...META, 'io.modelcontextprotocol/logLevel': 'info', traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' } })],
      ['claimed server/discover', req(1, 'server/discover', { _meta: META })],
      ['claimed notification', note('notifications/cancelled', { requestId: 9, _meta: META })],
      ['initialize with a valid 2026 envelope', req(1, 'initialize', { ...INIT_PARAMS, _meta: META })],
      ['initialize with a broken claim', req(1, 'initialize', { ...INIT_PARAMS, _meta: { [CLAIM]: '2026-07-28' } })],
      ['claim without clientCapabilities', req(1, 'tools/list', { _meta: { [CLAIM]: '2026-07-28' } })],
      ['claim with a non-string revision', req(1, 'tools/list', { _meta: { ...META, [CLAIM]: 42 } })],
      ['claim of 2027-01-01', req(1, 'tools/list', { _meta: { ...META, [CLAIM]: '2027-01-01' } })],
      ['claim of 2025-11-25', req(1, 'tools/list', { _meta: { ...META, [CLAIM]: '2025-11-25' } })],
      ['a response', { jsonrpc: '2.0', id: 1, result: {} } as JSONRPCMessage],
    ];

    it.each(openings)('opening with %s - the same era, and the same refusal when refused', async (_, message) => {
      const sdk = await sdkServe([message]);
      const verdict = openingEra(message);
      const era = { session: ['legacy'], stateless: ['modern'], probe: ['modern'], reject: [], ignore: [] }[verdict.kind];
      expect(era).toEqual(sdk.eras);
      if (verdict.kind === 'reject') {
        const refusal = answerOf(sdk.frames, 1)?.error;
        expect({ code: verdict.code, message: verdict.message, data: verdict.data }).toEqual({ code: refusal?.code, message: refusal?.message, data: refusal?.data });
      }
      if (verdict.kind === 'ignore') expect(sdk.frames).toEqual([]);
    });

    it('server/discover then initialize - v2 discards its probe and pins 2025; here the discover is answered and a Session opens', async () => {
      const sdk = await sdkServe([req(1, 'server/discover', { _meta: META }), req(2, 'initialize', INIT_PARAMS)]);
      expect(sdk.eras).toEqual(['modern', 'legacy']);
      const h = await ours();
      h.write(req(1, 'server/discover', { _meta: META }));
      expect((await h.answer(1)).result).toMatchObject({ supportedVersions: ['2026-07-28'], resultType: 'complete' });
      h.write(req(2, 'initialize', INIT_PARAMS));
      expect((await h.answer(2)).result).toMatchObject({ protocolVersion: '2025-11-25' });
      expect(h.connection.sessionId).toEqual(expect.any(String));
      expect(h.opened()).toHaveLength(1);
      await h.stop();
    });

    it('after a 2026-07-28 opening - the same codes as v2 for what a 2025 client or a broken claim sends', async () => {
      const follow = [
        req(2, 'initialize', INIT_PARAMS),
        req(3, 'tools/list'),
        req(4, 'ping'),
        req(5, 'ping', { _meta: META }),
        req(7, 'tools/list', { _meta: { [CLAIM]: '2026-07-28' } }),
        req(8, 'initialize', { ...INIT_PARAMS, _meta: META }),
      ];
      const sdk = await sdkServe([req(1, 'tools/list', { _meta: META }), ...follow]);
      const h = await ours();
      h.write(req(1, 'tools/list', { _meta: META }));
      await h.answer(1);
      for (const message of follow) h.write(message);
      const codes = async (frames: Frame[], answer: (id: unknown) => Promise<Frame> | Frame | undefined) =>
        Promise.all(follow.map(async (m) => (await answer((m as { id: unknown }).id))?.error?.code));
      expect(await codes(h.frames, h.answer)).toEqual(await codes(sdk.frames, (id) => answerOf(sdk.frames, id)));
      expect((await h.answer(2)).error?.data).toEqual(answerOf(sdk.frames, 2)?.error?.data);
      // Stricter than v2 2.4.0, which serves a pinned connection's later requests whatever revision they claim:
      // the spec's MUST (Versioning) and the HTTP edge answer a revision not served with -32022.
      h.write(req(6, 'tools/list', { _meta: { ...META, [CLAIM]: '2027-01-01' } }));
      expect((await h.answer(6)).error).toMatchObject({ code: -32022, data: { supported: ['2026-07-28'], requested: '2027-01-01' } });
      await h.stop();
    });
  });

  describe('StdioConnection on the real application', () => {
    it('pinned to 2026-07-28 - tools/list and tools/call answered statelessly, no Session opened; a later initialize -32022', async () => {
      const before = events.filter((e) => e.type === 'session.created').length;
      const h = await ours();
      h.write(req(1, 'tools/list', { _meta: META }), req(2, 'tools/call', { name: 'echo', arguments: { message: 'modern' }, _meta: META }));
      expect((await h.answer(1)).result).toMatchObject({ tools: expect.arrayContaining([expect.objectContaining({ name: 'echo' })]), resultType: 'complete', ttlMs: expect.any(Number) });
      expect((await h.answer(2)).result).toMatchObject({ structuredContent: { message: 'modern' }, resultType: 'complete', _meta: { 'io.modelcontextprotocol/serverInfo': expect.any(Object) } });
      h.write(req(3, 'initialize', INIT_PARAMS));
      expect((await h.answer(3)).error).toMatchObject({ code: -32022, data: { supported: ['2026-07-28'], requested: '2025-11-25' } });
      expect(h.connection.sessionId).toBeUndefined();
      expect(events.filter((e) => e.type === 'session.created')).toHaveLength(before);
      await h.stop();
    });

    it('pinned to 2025 by initialize, the rest pipelined in the same chunk - held until the session is open, served in order; the claimed request refused -32022', async () => {
      const h = await ours();
      h.write(
        req(1, 'initialize', INIT_PARAMS),
        note('notifications/initialized'),
        req(2, 'tools/call', { name: 'echo', arguments: { message: 'legacy' } }),
        req(3, 'tools/list', { _meta: META }),
        req(4, 'tools/list', { _meta: { [CLAIM]: '2026-07-28' } }),
      );
      expect((await h.answer(1)).result).toMatchObject({ protocolVersion: '2025-11-25', serverInfo: expect.any(Object) });
      const echo = await h.answer(2);
      expect(echo.result).toMatchObject({ structuredContent: { message: 'legacy' } });
      expect(echo.result).not.toHaveProperty('resultType');
      expect((await h.answer(3)).error).toEqual({
        code: -32022,
        message: expect.stringMatching(/^Unsupported protocol version: 2026-07-28; this connection was opened with initialize/),
        data: { supported: app.mcp.settings.supportedProtocolVersions, requested: '2026-07-28' },
      });
      // A broken envelope is refused as on HTTP.
      expect((await h.answer(4)).error).toMatchObject({ code: -32602, data: { envelope: { key: CAPS, problem: 'missing' } } });
      expect(h.opened()).toHaveLength(1);
      await h.stop();
      await waitFor(() => events.some((e) => e.type === 'session.closed' && e.aggregateId === h.connection.sessionId), 'session.closed');
    });

    it('a refused claim first - no era chosen; an initialize after it still opens a Session', async () => {
      const h = await ours();
      h.write(req(1, 'tools/list', { _meta: { ...META, [CLAIM]: '2027-01-01' } }));
      expect((await h.answer(1)).error).toMatchObject({ code: -32022, data: { supported: ['2026-07-28'], requested: '2027-01-01' } });
      expect(h.connection.sessionId).toBeUndefined();
      h.write(req(2, 'initialize', INIT_PARAMS));
      expect((await h.answer(2)).result).toMatchObject({ protocolVersion: '2025-11-25' });
      expect(h.opened()).toHaveLength(1);
      await h.stop();
    });

    it('the session cannot be opened (no handler for OpenSessionCommand) - the initialize is answered -32603, the transport closes, the owner is told', async () => {
      const h = await ours({ ...app.mcp, commands: new CommandBus() });
      h.write(req(1, 'initialize', INIT_PARAMS), req(2, 'tools/list'));
      expect((await h.answer(1)).error).toEqual({ code: -32603, message: 'Internal error: the session could not be opened' });
      await waitFor(() => h.ended.length > 0, 'the owner told');
      expect(h.ended).toEqual(['transport closed']);
      expect(answerOf(h.frames, 2)).toBeUndefined();
    });

    it('the transport closes on a 2026-07-28 connection - the owner is told once', async () => {
      const h = await ours();
      h.write(req(1, 'tools/list', { _meta: META }));
      await h.answer(1);
      await h.connection.closeTransport();
      expect(h.ended).toEqual(['transport closed']);
    });
  });
});
