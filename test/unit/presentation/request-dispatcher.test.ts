import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { ProtocolError } from '@modelcontextprotocol/server';
import { RequestDispatcher, type RequestHandler } from '../../../src/presentation/mcp/request-dispatcher.js';
import type { Extra } from '../../../src/presentation/mcp/route.js';
import type { Transport } from '../../../src/presentation/transports/transport.js';

type Reply = { id?: unknown; method?: string; params?: Record<string, unknown>; result?: Record<string, unknown>; error?: { code: number; message: string; data?: unknown } };

/** The dispatcher on one end of an in-memory pair, and a raw client on the other. */
async function harness() {
  const errors: Error[] = [];
  const dispatcher = new RequestDispatcher((error) => errors.push(error));
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  const received: Reply[] = [];
  clientSide.onmessage = (message) => received.push(message as Reply);
  await clientSide.start();
  const observed: string[] = [];
  let closed = 0;
  await dispatcher.attach(serverSide as unknown as Transport, (message) => observed.push('method' in message ? message.method : 'response'), () => (closed += 1));
  const send = (message: Record<string, unknown>) => clientSide.send({ jsonrpc: '2.0', ...message } as JSONRPCMessage);
  return {
    dispatcher,
    send,
    received,
    errors,
    observed,
    closeClient: () => clientSide.close(),
    closed: () => closed,
    replyTo: (id: unknown) => received.find((m) => m.id === id && m.method === undefined),
    requestsSent: () => received.filter((m) => m.method !== undefined && m.id !== undefined),
  };
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
  it('a registered method - answered with the handler result', async () => {
    const h = await harness();
    h.dispatcher.register('tools/list', async (request, extra) => ({ tools: [], echoedId: extra.requestId, params: request.params ?? null }));

    await h.send({ id: 7, method: 'tools/list', params: { cursor: 'c1' } });
    await settle();

    expect(h.replyTo(7)).toEqual({ jsonrpc: '2.0', id: 7, result: { tools: [], echoedId: 7, params: { cursor: 'c1' } } });
    expect(h.observed).toEqual(['tools/list']);
  });

  it('handler errors - a ProtocolError keeps code, message and data; anything else is -32603 with its message', async () => {
    const h = await harness();
    h.dispatcher.register('a/typed', async () => {
      throw new ProtocolError(-32602, 'bad cursor', { reason: 'params.invalid' });
    });
    h.dispatcher.register('a/plain', async () => {
      throw new Error('boom');
    });

    await h.send({ id: 1, method: 'a/typed' });
    await h.send({ id: 2, method: 'a/plain' });
    await settle();

    expect(h.replyTo(1)?.error).toEqual({ code: -32602, message: 'bad cursor', data: { reason: 'params.invalid' } });
    expect(h.replyTo(2)?.error).toEqual({ code: -32603, message: 'boom' });
  });

  it('ping answers {}; an unknown method -32601 naming it; an unknown notification is ignored', async () => {
    const h = await harness();

    await h.send({ id: 'p', method: 'ping' });
    await h.send({ id: 'u', method: 'no/such' });
    await h.send({ method: 'notifications/whatever' });
    await settle();

    expect(h.replyTo('p')?.result).toEqual({});
    expect(h.replyTo('u')?.error).toEqual({ code: -32601, message: 'Method not found: no/such' });
    expect(h.received).toHaveLength(2);
    expect(h.errors).toEqual([]);
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
    const dispatcher = new RequestDispatcher(() => {});
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

  describe('server→client requests', () => {
    it('the client answers - the result resolves the request, which went out on the related request with a fresh id', async () => {
      const h = await harness();
      const asked = h.dispatcher.request('roots/list', undefined, { relatedRequestId: 'r1' });
      await settle();
      const [sent] = h.requestsSent();
      expect(sent).toMatchObject({ method: 'roots/list' });
      await h.send({ id: sent.id, result: { roots: [{ uri: 'file:///w' }] } });

      await expect(asked).resolves.toEqual({ roots: [{ uri: 'file:///w' }] });
    });

    it('the client answers with an error - rejected with its code, message and data', async () => {
      const h = await harness();
      const asked = h.dispatcher.request('elicitation/create', { message: 'name?' });
      await settle();
      await h.send({ id: h.requestsSent()[0].id, error: { code: -32602, message: 'no forms here', data: { x: 1 } } });

      await expect(asked).rejects.toMatchObject({ code: -32602, message: 'no forms here', data: { x: 1 } });
    });

    it('a malformed answer - refused by the check, naming the problem', async () => {
      const h = await harness();
      const asked = h.dispatcher.request('roots/list', undefined, { check: (r) => (Array.isArray((r as { roots?: unknown }).roots) ? undefined : 'roots: expected an array') });
      await settle();
      await h.send({ id: h.requestsSent()[0].id, result: { roots: 'nope' } });

      await expect(asked).rejects.toMatchObject({ code: -32602, message: "the client's answer is malformed: roots: expected an array" });
    });

    it('no answer in time - rejected -32001, and the client is told with notifications/cancelled; a late answer is dropped', async () => {
      const h = await harness();
      const asked = h.dispatcher.request('sampling/createMessage', { messages: [] }, { timeoutMs: 30 });

      await expect(asked).rejects.toMatchObject({ code: -32001, message: 'Request timed out after 30 ms' });
      await settle();
      const id = h.requestsSent()[0].id;
      expect(h.received.find((m) => m.method === 'notifications/cancelled')?.params).toEqual({ requestId: id, reason: 'Request timed out after 30 ms' });
      await h.send({ id, result: {} });
      await settle();
      expect(h.errors).toEqual([]);
    });

    it('the request it serves is cancelled - the client request is cancelled too', async () => {
      const h = await harness();
      let outcome: unknown;
      h.dispatcher.register('tools/call', async (_request, extra) => {
        outcome = await extra.sendRequest('elicitation/create', { message: 'go on?' }).catch((error: unknown) => error);
        return {};
      });
      await h.send({ id: 'call', method: 'tools/call', params: {} });
      await settle();
      await h.send({ method: 'notifications/cancelled', params: { requestId: 'call' } });
      await settle();

      expect(outcome).toBeInstanceOf(ProtocolError);
      expect(h.received.filter((m) => m.method === 'notifications/cancelled')).toHaveLength(1);
      expect(h.replyTo('call')).toBeUndefined();
    });

    it('the connection closes - pending requests are rejected and onClosed runs once', async () => {
      const h = await harness();
      const asked = h.dispatcher.request('roots/list', undefined).catch((error: unknown) => error);
      await settle();
      await h.closeClient();
      await settle();

      expect(await asked).toMatchObject({ code: -32000, message: 'Connection closed' });
      expect(h.closed()).toBe(1);
    });
  });
});
