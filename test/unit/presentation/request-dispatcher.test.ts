import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { McpError, type JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { RequestDispatcher, type RequestHandler } from '../../../src/presentation/mcp/request-dispatcher.js';
import type { Extra } from '../../../src/presentation/mcp/route.js';

type Reply = { id?: unknown; method?: string; params?: Record<string, unknown>; result?: Record<string, unknown>; error?: { code: number; message: string; data?: unknown } };

/** A real SDK Server on an in-memory pair, the dispatcher in front of it, and a raw client side. */
async function harness() {
  const server = new Server({ name: 'dispatch-test', version: '1' }, { capabilities: { tools: {}, logging: {} } });
  const errors: Error[] = [];
  const dispatcher = new RequestDispatcher(server, (error) => errors.push(error));
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  const received: Reply[] = [];
  clientSide.onmessage = (message) => received.push(message as Reply);
  await clientSide.start();
  await server.connect(serverSide);
  const observed: string[] = [];
  dispatcher.attach(serverSide as Transport, (message) => observed.push('method' in message ? message.method : 'response'));
  const send = (message: Record<string, unknown>) => clientSide.send({ jsonrpc: '2.0', ...message } as JSONRPCMessage);
  return { server, dispatcher, send, received, errors, observed, replyTo: (id: unknown) => received.find((m) => m.id === id && m.method === undefined) };
}

/** Lets the in-memory transport and the handlers' promise chains run. */
const settle = async () => {
  for (let i = 0; i < 5; i += 1) await new Promise((resolve) => setImmediate(resolve));
};

/** A handler that runs until released, recording what it saw of its extra. */
function blocking() {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const seen: { extra?: Extra; abortedAtEnd?: boolean } = {};
  const handler: RequestHandler = async (_request, extra) => {
    seen.extra = extra;
    await released;
    seen.abortedAtEnd = extra.signal.aborted;
    return { done: true };
  };
  return { handler, release, seen };
}

describe('RequestDispatcher', () => {
  it('a registered method - answered with the handler result; the SDK request path never sees it', async () => {
    const h = await harness();
    const sdkSaw: string[] = [];
    h.server.fallbackRequestHandler = async (request) => {
      sdkSaw.push(request.method);
      return {};
    };
    h.dispatcher.register('tools/list', async (request, extra) => ({ tools: [], echoedId: extra.requestId, params: request.params ?? null }));

    await h.send({ id: 7, method: 'tools/list', params: { cursor: 'c1' } });
    await settle();

    expect(h.replyTo(7)).toEqual({ jsonrpc: '2.0', id: 7, result: { tools: [], echoedId: 7, params: { cursor: 'c1' } } });
    expect(sdkSaw).toEqual([]);
    expect(h.observed).toEqual(['tools/list']);
  });

  it('handler errors - McpError keeps code, message and data; anything else is -32603 with its message', async () => {
    const h = await harness();
    h.dispatcher.register('a/typed', async () => {
      throw new McpError(-32602, 'bad cursor', { reason: 'params.invalid' });
    });
    h.dispatcher.register('a/plain', async () => {
      throw new Error('boom');
    });

    await h.send({ id: 1, method: 'a/typed' });
    await h.send({ id: 2, method: 'a/plain' });
    await settle();

    expect(h.replyTo(1)?.error).toEqual({ code: -32602, message: 'MCP error -32602: bad cursor', data: { reason: 'params.invalid' } });
    expect(h.replyTo(2)?.error).toEqual({ code: -32603, message: 'boom' });
  });

  it('methods not registered here - still the SDK: ping answers {}, an unknown method -32601', async () => {
    const h = await harness();

    await h.send({ id: 'p', method: 'ping' });
    await h.send({ id: 'u', method: 'no/such' });
    await settle();

    expect(h.replyTo('p')?.result).toEqual({});
    expect(h.replyTo('u')?.error?.code).toBe(-32601);
  });

  it('cancelled before the handler reads its signal - the signal is aborted with the reason on first read; no answer', async () => {
    const h = await harness();
    const run = blocking();
    h.dispatcher.register('slow/op', run.handler);

    await h.send({ id: 'long', method: 'slow/op' });
    await settle();
    await h.send({ method: 'notifications/cancelled', params: { requestId: 'long', reason: 'user gave up' } });
    await settle();
    const signal = run.seen.extra!.signal;
    run.release();
    await settle();

    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBe('user gave up');
    expect(run.seen.abortedAtEnd).toBe(true);
    expect(h.replyTo('long')).toBeUndefined();
  });

  it('cancelled after the signal was read - its abort event fires while the handler runs; no answer', async () => {
    const h = await harness();
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const aborts: unknown[] = [];
    h.dispatcher.register('slow/op', async (_request, extra) => {
      extra.signal.addEventListener('abort', () => aborts.push(extra.signal.reason));
      await released;
      return {};
    });

    await h.send({ id: 3, method: 'slow/op' });
    await settle();
    await h.send({ method: 'notifications/cancelled', params: { requestId: 3, reason: 'stop' } });
    await settle();
    expect(aborts).toEqual(['stop']);
    release();
    await settle();

    expect(h.replyTo(3)).toBeUndefined();
  });

  it('a cancellation naming another request - the running one is answered normally', async () => {
    const h = await harness();
    const run = blocking();
    h.dispatcher.register('slow/op', run.handler);

    await h.send({ id: 'mine', method: 'slow/op' });
    await settle();
    await h.send({ method: 'notifications/cancelled', params: { requestId: 'someone-else' } });
    run.release();
    await settle();

    expect(h.replyTo('mine')?.result).toEqual({ done: true });
    expect(run.seen.abortedAtEnd).toBe(false);
  });

  it('the connection closes - running handlers see their signal abort and nothing more is sent', async () => {
    const h = await harness();
    const run = blocking();
    h.dispatcher.register('slow/op', run.handler);

    await h.send({ id: 9, method: 'slow/op' });
    await settle();
    h.dispatcher.closeAll();
    run.release();
    await settle();

    expect(run.seen.abortedAtEnd).toBe(true);
    expect(h.replyTo(9)).toBeUndefined();
  });

  it('sendNotification from a handler - delivered to the client; after cancellation, dropped', async () => {
    const h = await harness();
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    h.dispatcher.register('talk', async (_request, extra) => {
      await extra.sendNotification({ method: 'notifications/message', params: { level: 'info', data: 'before' } });
      await released;
      await extra.sendNotification({ method: 'notifications/message', params: { level: 'info', data: 'after' } });
      return {};
    });

    await h.send({ id: 't', method: 'talk' });
    await settle();
    await h.send({ method: 'notifications/cancelled', params: { requestId: 't' } });
    await settle();
    release();
    await settle();

    const messages = h.received.filter((m) => m.method === 'notifications/message').map((m) => m.params?.['data']);
    expect(messages).toEqual(['before']);
  });

  it('a notification registered here - handled synchronously on arrival, before a request sent after it starts', async () => {
    const h = await harness();
    const order: string[] = [];
    h.dispatcher.onNotification('notifications/initialized', () => order.push('initialized'));
    h.dispatcher.register('tools/list', async () => {
      order.push('tools/list');
      return { tools: [] };
    });

    await h.send({ method: 'notifications/initialized' });
    await h.send({ id: 1, method: 'tools/list' });
    await settle();

    expect(order).toEqual(['initialized', 'tools/list']);
  });

  it('registering a method twice - refused, naming it', () => {
    const dispatcher = new RequestDispatcher(new Server({ name: 'x', version: '1' }, { capabilities: {} }), () => {});
    dispatcher.register('tools/list', async () => ({}));

    expect(() => dispatcher.register('tools/list', async () => ({}))).toThrow('a handler for tools/list is already registered');
  });

  it('afterAnswer - a task runs once the answer was sent, and also when the answer was dropped by a cancel', async () => {
    const h = await harness();
    const order: string[] = [];
    h.dispatcher.register('tools/call', async (_request, extra) => {
      extra.afterAnswer(() => order.push(`task: ${h.replyTo(1) ? 'answer sent' : 'no answer yet'}`));
      order.push('handler returns');
      return { ok: true };
    });
    await h.send({ id: 1, method: 'tools/call', params: {} });
    await settle();
    expect(order).toEqual(['handler returns', 'task: answer sent']);

    const b = blocking();
    let ran = 0;
    h.dispatcher.register('slow/call', async (request, extra) => {
      extra.afterAnswer(() => (ran += 1));
      return b.handler(request, extra);
    });
    await h.send({ id: 2, method: 'slow/call', params: {} });
    await settle();
    await h.send({ method: 'notifications/cancelled', params: { requestId: 2 } });
    b.release();
    await settle();
    expect(h.replyTo(2)).toBeUndefined();
    expect(ran).toBe(1);
  });
});
