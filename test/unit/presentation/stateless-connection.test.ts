import type { JSONRPCMessage } from '@modelcontextprotocol/server';
import { StatelessConnection, type StatelessService } from '../../../src/presentation/mcp/stateless/stateless-connection.js';
import type { StatelessAnswer, StatelessReply, StatelessRequest } from '../../../src/presentation/mcp/stateless/stateless-endpoint.js';
import { SubscriptionHub } from '../../../src/presentation/mcp/stateless/subscriptions.js';
import type { Transport } from '../../../src/presentation/transports/transport.js';
import { RecordingLogger } from '../../support/builders.js';

const CLAIM = 'io.modelcontextprotocol/protocolVersion';
const CAPS = 'io.modelcontextprotocol/clientCapabilities';
const META = { [CLAIM]: '2026-07-28', [CAPS]: { sampling: {} }, traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' };

type Frame = { id?: unknown; method?: string; result?: Record<string, unknown>; error?: { code: number; message: string; data?: Record<string, unknown> } };

/** Our own Transport port, recording what the connection writes. */
class RecordingTransport implements Transport {
  onmessage?: (message: JSONRPCMessage) => void;
  readonly sent: Frame[] = [];
  async start(): Promise<void> {}
  async send(message: JSONRPCMessage): Promise<void> {
    this.sent.push(message as Frame);
  }
  async close(): Promise<void> {}
  answerTo(id: unknown): Frame | undefined {
    return this.sent.find((frame) => frame.id === id && frame.method === undefined);
  }
}

interface Served {
  readonly request: StatelessRequest;
  readonly reply: StatelessReply;
  finish(result?: Record<string, unknown>): void;
}

/** A StatelessService whose requests finish when the test says so. */
function fakeService(methods = ['tools/list', 'tools/call', 'server/discover']) {
  const served: Served[] = [];
  const settled: unknown[] = [];
  const service: StatelessService = {
    has: (method) => methods.includes(method),
    serve: (request, reply) =>
      new Promise<StatelessAnswer>((resolve) =>
        served.push({
          request,
          reply,
          finish: (result = { resultType: 'complete' }) =>
            resolve({ message: { jsonrpc: '2.0', id: request.message.id, result }, httpStatus: 200, settle: () => settled.push(request.message.id) }),
        }),
      ),
  };
  return { service, served, settled };
}

function setup(methods?: string[]) {
  const transport = new RecordingTransport();
  const fake = fakeService(methods);
  const connection = new StatelessConnection(fake.service, transport, new RecordingLogger(), ['2026-07-28']);
  return { transport, connection, ...fake };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));
const request = (id: number | string, method: string, params: Record<string, unknown> = {}) => ({ jsonrpc: '2.0', id, method, params }) as JSONRPCMessage;

describe('StatelessConnection (stdio pinned to 2026-07-28)', () => {
  it('a claimed request - served as principal anonymous with its envelope, the answer written once it is ready', async () => {
    const h = setup();
    h.connection.receive(request(1, 'tools/call', { name: 'echo', arguments: {}, _meta: META }));
    expect(h.served).toHaveLength(1);
    expect(h.served[0].request).toEqual({
      message: expect.objectContaining({ id: 1, method: 'tools/call' }),
      protocolVersion: '2026-07-28',
      clientCapabilities: { sampling: {} },
      trace: { traceparent: META.traceparent },
      principal: 'anonymous',
    });
    await tick();
    expect(h.transport.sent).toEqual([]);
    h.served[0].finish({ content: [], resultType: 'complete' });
    await tick();
    expect(h.transport.sent).toEqual([{ jsonrpc: '2.0', id: 1, result: { content: [], resultType: 'complete' } }]);
    expect(h.settled).toEqual([1]);
  });

  it('a notification while the request runs - written before its answer', async () => {
    const h = setup();
    h.connection.receive(request(2, 'tools/call', { name: 'echo', _meta: META }));
    await h.served[0].reply.notify({ jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: 't', progress: 1 } });
    h.served[0].finish();
    await tick();
    expect(h.transport.sent.map((frame) => frame.method ?? `answer ${String(frame.id)}`)).toEqual(['notifications/progress', 'answer 2']);
  });

  it('notifications/cancelled for a running request - the handler is told, nothing more is written for it, the deferred work still runs', async () => {
    const h = setup();
    h.connection.receive(request('a', 'tools/call', { name: 'sleep', _meta: META }));
    h.connection.receive(request('b', 'tools/call', { name: 'other', _meta: META }));
    let told = 0;
    h.served[0].reply.onGone(() => (told += 1));
    h.connection.receive({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 'a', reason: 'user', _meta: META } } as JSONRPCMessage);
    expect(h.served[0].reply.gone).toBe(true);
    expect(told).toBe(1);
    expect(h.served[1].reply.gone).toBe(false);
    await h.served[0].reply.notify({ jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: 't', progress: 2 } });
    h.served[0].finish();
    h.served[1].finish();
    await tick();
    expect(h.transport.sent).toEqual([{ jsonrpc: '2.0', id: 'b', result: { resultType: 'complete' } }]);
    expect(h.settled).toEqual(expect.arrayContaining(['a', 'b']));
  });

  it('a cancellation naming no running request, or a response from the client - ignored', async () => {
    const h = setup();
    h.connection.receive({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 99 } } as JSONRPCMessage);
    h.connection.receive({ jsonrpc: '2.0', id: 5, result: {} } as JSONRPCMessage);
    await tick();
    expect(h.transport.sent).toEqual([]);
    expect(h.served).toEqual([]);
  });

  it('a 2025 initialize - -32022 naming the served revision and the one asked for; without a version, no requested', async () => {
    const h = setup();
    h.connection.receive(request(3, 'initialize', { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'c', version: '1' } }));
    h.connection.receive(request(4, 'initialize', { capabilities: {} }));
    await tick();
    expect(h.transport.answerTo(3)?.error).toEqual({
      code: -32022,
      message: expect.stringMatching(/^Unsupported protocol version: 2025-11-25; .*pinned by its first request.*initialize needs a new connection/),
      data: { supported: ['2026-07-28'], requested: '2025-11-25' },
    });
    expect(h.transport.answerTo(4)?.error).toEqual({ code: -32022, message: expect.stringContaining('did not name one'), data: { supported: ['2026-07-28'] } });
    expect(h.served).toEqual([]);
  });

  it('claim-less requests - -32602 naming the missing envelope keys for a served method, -32601 for an unknown one', async () => {
    const h = setup();
    h.connection.receive(request(5, 'tools/list'));
    h.connection.receive(request(6, 'ping'));
    await tick();
    expect(h.transport.answerTo(5)?.error).toEqual({
      code: -32602,
      message: expect.stringContaining('missing the required _meta envelope for protocol revision 2026-07-28'),
      data: { envelope: { missing: [CLAIM, CAPS] } },
    });
    expect(h.transport.answerTo(6)?.error).toMatchObject({ code: -32601 });
  });

  it('broken or unserved claims - -32602 and -32022 as on HTTP, nothing served', async () => {
    const h = setup();
    h.connection.receive(request(7, 'tools/list', { _meta: { [CLAIM]: '2026-07-28' } }));
    h.connection.receive(request(8, 'tools/list', { _meta: { ...META, [CLAIM]: '2027-01-01' } }));
    await tick();
    expect(h.transport.answerTo(7)?.error).toMatchObject({ code: -32602, data: { envelope: { key: CAPS, problem: 'missing' } } });
    expect(h.transport.answerTo(8)?.error).toEqual({ code: -32022, message: 'Unsupported protocol version: 2027-01-01', data: { supported: ['2026-07-28'], requested: '2027-01-01' } });
    expect(h.served).toEqual([]);
  });

  it('subscriptions/listen without a hub - -32601, never reaches the endpoint', async () => {
    const h = setup(['tools/list', 'subscriptions/listen']);
    h.connection.receive(request(9, 'subscriptions/listen', { notifications: { toolsListChanged: true }, _meta: META }));
    await tick();
    expect(h.transport.answerTo(9)?.error).toEqual({ code: -32601, message: expect.stringContaining('subscriptions/listen') });
    expect(h.served).toEqual([]);
  });

  describe('subscriptions/listen with a hub', () => {
    function withHub() {
      const transport = new RecordingTransport();
      const fake = fakeService();
      const listeners = new Set<() => void>();
      const hub = new SubscriptionHub({
        capabilities: { tools: { listChanged: true } },
        serverInfo: { name: 'tfo-mcp', version: 'test' },
        sources: {
          toolsListChanged: (listener) => {
            listeners.add(listener);
            return () => listeners.delete(listener);
          },
        },
      });
      const connection = new StatelessConnection(fake.service, transport, new RecordingLogger(), ['2026-07-28'], () => hub);
      const changed = () => [...listeners].forEach((listener) => listener());
      return { transport, connection, listeners, changed };
    }
    const notifications = (t: RecordingTransport, method: string) => t.sent.filter((frame) => frame.method === method) as { params: Record<string, unknown> }[];

    it('acknowledged first, then each tool change as a frame tagged with the listen id; no answer while it is open', async () => {
      const h = withHub();
      h.connection.receive(request('L1', 'subscriptions/listen', { notifications: { toolsListChanged: true }, _meta: META }));
      h.changed();
      await tick();
      expect(h.transport.sent[0]).toMatchObject({ method: 'notifications/subscriptions/acknowledged' });
      const changes = notifications(h.transport, 'notifications/tools/list_changed');
      expect(changes).toHaveLength(1);
      expect(changes[0].params['_meta']).toMatchObject({ 'io.modelcontextprotocol/subscriptionId': 'L1' });
      expect(h.transport.answerTo('L1')).toBeUndefined();
    });

    it('notifications/cancelled for the listen id - released: no listener left, nothing more written', async () => {
      const h = withHub();
      h.connection.receive(request('L2', 'subscriptions/listen', { notifications: { toolsListChanged: true }, _meta: META }));
      expect(h.listeners.size).toBe(1);
      h.connection.receive({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 'L2' } } as JSONRPCMessage);
      expect(h.listeners.size).toBe(0);
      const before = h.transport.sent.length;
      h.changed();
      await tick();
      expect(h.transport.sent).toHaveLength(before);
    });

    it('drain (shutdown) - every open listen gets its graceful result; closeAll releases the sources', async () => {
      const h = withHub();
      h.connection.receive(request('L3', 'subscriptions/listen', { notifications: { toolsListChanged: true }, _meta: META }));
      await expect(h.connection.drain(100)).resolves.toBe(true);
      expect(h.transport.answerTo('L3')?.result).toMatchObject({ resultType: 'complete', _meta: { 'io.modelcontextprotocol/subscriptionId': 'L3' } });
      expect(h.listeners.size).toBe(0);
    });

    it('a bad filter - the hub refusal answers the listen id (-32602)', async () => {
      const h = withHub();
      h.connection.receive(request('L4', 'subscriptions/listen', { notifications: 'all', _meta: META }));
      await tick();
      expect(h.transport.answerTo('L4')?.error).toMatchObject({ code: -32602 });
    });
  });

  it('drain - waits for the request in flight, refuses new ones with -32600, true once idle', async () => {
    const h = setup();
    h.connection.receive(request(10, 'tools/call', { name: 'slow', _meta: META }));
    let drained: boolean | undefined;
    const draining = h.connection.drain(5_000).then((result) => (drained = result));
    h.connection.receive(request(11, 'tools/list', { _meta: META }));
    await tick();
    expect(drained).toBeUndefined();
    expect(h.transport.answerTo(11)?.error).toMatchObject({ code: -32600, message: expect.stringContaining('shutting down') });
    h.served[0].finish();
    await draining;
    expect(drained).toBe(true);
    expect(h.transport.answerTo(10)?.result).toEqual({ resultType: 'complete' });
  });

  it('drain with a request that never ends - false after the timeout', async () => {
    const h = setup();
    h.connection.receive(request(12, 'tools/call', { name: 'stuck', _meta: META }));
    await expect(h.connection.drain(20)).resolves.toBe(false);
  });

  it('closeAll (the connection is gone) - every running request is told, their answers are dropped', async () => {
    const h = setup();
    h.connection.receive(request(13, 'tools/call', { name: 'x', _meta: META }));
    h.connection.receive(request(14, 'tools/list', { _meta: META }));
    h.connection.closeAll();
    expect(h.served.map((s) => s.reply.gone)).toEqual([true, true]);
    for (const s of h.served) s.finish();
    await tick();
    expect(h.transport.sent).toEqual([]);
  });
});
