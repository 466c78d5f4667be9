import type { ClientCapabilities, ServerCapabilities } from '@modelcontextprotocol/server';
import {
  SubscriptionHub,
  type ListenRequest,
  type ListenSink,
  type StreamMessage,
  type SubscriptionSources,
  type TaskStatusSource,
} from '../../../src/presentation/mcp/stateless/subscriptions.js';

const SUB = 'io.modelcontextprotocol/subscriptionId';
const TASKS = { extensions: { 'io.modelcontextprotocol/tasks': {} } } as unknown as ClientCapabilities;
const CAPABILITIES: ServerCapabilities = { tools: { listChanged: true }, prompts: { listChanged: false }, resources: { subscribe: true, listChanged: false } };
const SERVER_INFO = { name: 'tfo-mcp', version: '9.9.9' };

/** A change feed that counts who listens, so a leak is visible. */
class Feed {
  readonly listeners = new Set<() => void>();
  readonly source = (listener: () => void) => {
    const own = () => listener();
    this.listeners.add(own);
    return () => void this.listeners.delete(own);
  };
  fire(): void {
    for (const listener of [...this.listeners]) listener();
  }
}

class TaskFeed {
  readonly listeners = new Set<(principal: string, task: { taskId: string }) => void>();
  readonly source: TaskStatusSource = (listener) => {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  };
  fire(principal: string, task: { taskId: string; status: string }): void {
    for (const listener of [...this.listeners]) listener(principal, task);
  }
}

class RecordingSink implements ListenSink {
  readonly messages: StreamMessage[] = [];
  ended = false;
  send(message: StreamMessage): void {
    if (this.ended) throw new Error('sent after end');
    this.messages.push(message);
  }
  end(): void {
    this.ended = true;
  }
  methods(): string[] {
    return this.messages.map((m) => ('method' in m ? m.method : `result:${String(m.id)}`));
  }
}

function request(id: string | number, notifications: unknown, clientCapabilities: ClientCapabilities = {}, principal = 'anonymous'): ListenRequest {
  return { id, params: { notifications, _meta: {} }, principal, clientCapabilities };
}

function hubWith(sources: SubscriptionSources, maxOpen?: number) {
  return new SubscriptionHub({ capabilities: CAPABILITIES, serverInfo: SERVER_INFO, sources, ...(maxOpen !== undefined ? { maxOpen } : {}) });
}

describe('SubscriptionHub', () => {
  it('tools stream - acknowledged first with the honored filter, then each tool change, every message tagged with the listen request id', () => {
    const tools = new Feed();
    const hub = hubWith({ toolsListChanged: tools.source });
    const sink = new RecordingSink();

    const subscription = hub.open(request('listen-1', { toolsListChanged: true, promptsListChanged: true }), sink);

    expect(subscription.refused).toBe(false);
    expect(sink.messages[0]).toEqual({
      jsonrpc: '2.0',
      method: 'notifications/subscriptions/acknowledged',
      params: { notifications: { toolsListChanged: true }, _meta: { [SUB]: 'listen-1' } },
    });
    tools.fire();
    tools.fire();
    expect(sink.messages.slice(1)).toEqual([
      { jsonrpc: '2.0', method: 'notifications/tools/list_changed', params: { _meta: { [SUB]: 'listen-1' } } },
      { jsonrpc: '2.0', method: 'notifications/tools/list_changed', params: { _meta: { [SUB]: 'listen-1' } } },
    ]);
    expect(sink.ended).toBe(false);
    expect(hub.size).toBe(1);
  });

  it('prompts-only stream - never gets a tool change: nothing it asked for is deliverable, so it is acknowledged empty and ended gracefully', () => {
    const tools = new Feed();
    const hub = hubWith({ toolsListChanged: tools.source });
    const sink = new RecordingSink();

    const subscription = hub.open(request(7, { promptsListChanged: true }), sink);
    tools.fire();

    expect(subscription.refused).toBe(false);
    expect(sink.methods()).toEqual(['notifications/subscriptions/acknowledged', 'result:7']);
    expect(sink.messages[0]).toMatchObject({ params: { notifications: {}, _meta: { [SUB]: 7 } } });
    expect(sink.messages[1]).toEqual({ jsonrpc: '2.0', id: 7, result: { resultType: 'complete', _meta: { [SUB]: 7, 'io.modelcontextprotocol/serverInfo': SERVER_INFO } } });
    expect(sink.ended).toBe(true);
    expect(tools.listeners.size).toBe(0);
    expect(hub.size).toBe(0);
  });

  it('two streams with different filters - each gets only what it asked for', () => {
    const tools = new Feed();
    const prompts = new Feed();
    const hub = new SubscriptionHub({
      capabilities: { ...CAPABILITIES, prompts: { listChanged: true } },
      serverInfo: SERVER_INFO,
      sources: { toolsListChanged: tools.source, promptsListChanged: prompts.source },
    });
    const toolSink = new RecordingSink();
    const promptSink = new RecordingSink();
    hub.open(request('t', { toolsListChanged: true }), toolSink);
    hub.open(request('p', { promptsListChanged: true, toolsListChanged: false }), promptSink);

    tools.fire();
    prompts.fire();

    expect(toolSink.methods()).toEqual(['notifications/subscriptions/acknowledged', 'notifications/tools/list_changed']);
    expect(promptSink.methods()).toEqual(['notifications/subscriptions/acknowledged', 'notifications/prompts/list_changed']);
    expect(promptSink.messages[1]).toMatchObject({ params: { _meta: { [SUB]: 'p' } } });
  });

  it('a capability the server declares without listChanged, or with no source - not honored', () => {
    const hub = hubWith({});
    const sink = new RecordingSink();

    hub.open(request(1, { toolsListChanged: true, resourcesListChanged: true, resourceSubscriptions: ['file:///x'] }), sink);

    expect(sink.messages[0]).toMatchObject({ params: { notifications: {} } });
    expect(sink.ended).toBe(true);
  });

  it('close - unsubscribes from every source and sends nothing more; a second close is harmless', () => {
    const tools = new Feed();
    const tasks = new TaskFeed();
    const hub = hubWith({ toolsListChanged: tools.source, tasks: tasks.source });
    const sink = new RecordingSink();
    const subscription = hub.open(request(1, { toolsListChanged: true, taskIds: ['t1'] }, TASKS), sink);
    expect(tools.listeners.size).toBe(1);
    expect(tasks.listeners.size).toBe(1);
    if (subscription.refused) throw new Error('refused');

    subscription.close();
    subscription.close();
    tools.fire();

    expect(tools.listeners.size).toBe(0);
    expect(tasks.listeners.size).toBe(0);
    expect(hub.size).toBe(0);
    expect(sink.methods()).toEqual(['notifications/subscriptions/acknowledged']);
  });

  it('closeAll (server shutdown) - each open stream gets its listen result (subscription id, serverInfo), then ends; sources released', () => {
    const tools = new Feed();
    const hub = hubWith({ toolsListChanged: tools.source });
    const sinks = [new RecordingSink(), new RecordingSink()];
    hub.open(request('a', { toolsListChanged: true }), sinks[0]);
    hub.open(request('b', { toolsListChanged: true }), sinks[1]);

    hub.closeAll();

    for (const [i, id] of ['a', 'b'].entries()) {
      expect(sinks[i].messages.at(-1)).toEqual({ jsonrpc: '2.0', id, result: { resultType: 'complete', _meta: { [SUB]: id, 'io.modelcontextprotocol/serverInfo': SERVER_INFO } } });
      expect(sinks[i].ended).toBe(true);
    }
    expect(tools.listeners.size).toBe(0);
    expect(hub.size).toBe(0);
  });

  it('malformed filter or no filter - refused -32602 naming the field; the sink is never touched', () => {
    const hub = hubWith({ toolsListChanged: new Feed().source });
    const sink = new RecordingSink();

    const missing = hub.open({ id: 1, params: { _meta: {} }, principal: 'anonymous', clientCapabilities: {} }, sink);
    const wrongType = hub.open(request(2, { toolsListChanged: 'yes' }), sink);

    expect(missing).toMatchObject({ refused: true, httpStatus: 200, error: { code: -32602 } });
    expect(missing.refused && missing.error.message).toContain('notifications');
    expect(wrongType).toMatchObject({ refused: true, error: { code: -32602 } });
    expect(wrongType.refused && wrongType.error.message).toContain('notifications.toolsListChanged');
    expect(sink.messages).toEqual([]);
  });

  it('at the limit - refused 503 naming the limit; a stream closing makes room again', () => {
    const tools = new Feed();
    const hub = hubWith({ toolsListChanged: tools.source }, 2);
    const first = hub.open(request(1, { toolsListChanged: true }), new RecordingSink());
    hub.open(request(2, { toolsListChanged: true }), new RecordingSink());

    const third = hub.open(request(3, { toolsListChanged: true }), new RecordingSink());
    expect(third).toMatchObject({ refused: true, httpStatus: 503, error: { code: -32000 } });
    expect(third.refused && third.error.message).toContain('maximum of 2 subscriptions/listen streams');

    if (first.refused) throw new Error('refused');
    first.close();
    expect(hub.open(request(4, { toolsListChanged: true }), new RecordingSink())).toMatchObject({ refused: false });
    expect(tools.listeners.size).toBe(2);
  });

  describe('task notifications (taskIds, io.modelcontextprotocol/tasks)', () => {
    it('no task source - taskIds are not honored (left out of the acknowledgement)', () => {
      const hub = hubWith({ toolsListChanged: new Feed().source });
      const sink = new RecordingSink();
      hub.open(request(1, { toolsListChanged: true, taskIds: ['t1'] }, TASKS), sink);
      expect(sink.messages[0]).toMatchObject({ params: { notifications: { toolsListChanged: true } } });
      expect(sink.messages[0]).not.toHaveProperty('params.notifications.taskIds');
    });

    it('the request does not declare the extension - refused -32021 (HTTP 400) naming it', () => {
      const hub = hubWith({ tasks: new TaskFeed().source });
      const refusal = hub.open(request(1, { taskIds: ['t1'] }), new RecordingSink());
      expect(refusal).toMatchObject({
        refused: true,
        httpStatus: 400,
        error: { code: -32021, data: { requiredCapabilities: { extensions: { 'io.modelcontextprotocol/tasks': {} } } } },
      });
    });

    it('declared - acknowledges the ids; delivers notifications/tasks for those ids of this principal only, tagged', () => {
      const tasks = new TaskFeed();
      const hub = hubWith({ tasks: tasks.source });
      const sink = new RecordingSink();
      hub.open(request('L', { taskIds: ['t1', 't2', 't1'] }, TASKS, 'alice'), sink);

      tasks.fire('alice', { taskId: 't1', status: 'working' });
      tasks.fire('alice', { taskId: 't3', status: 'working' });
      tasks.fire('bob', { taskId: 't2', status: 'completed' });
      tasks.fire('alice', { taskId: 't2', status: 'completed' });

      expect(sink.messages[0]).toMatchObject({ params: { notifications: { taskIds: ['t1', 't2'] } } });
      expect(sink.messages.slice(1)).toEqual([
        { jsonrpc: '2.0', method: 'notifications/tasks', params: { taskId: 't1', status: 'working', _meta: { [SUB]: 'L' } } },
        { jsonrpc: '2.0', method: 'notifications/tasks', params: { taskId: 't2', status: 'completed', _meta: { [SUB]: 'L' } } },
      ]);
    });
  });
});
