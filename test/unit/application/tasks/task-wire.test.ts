// Tests src/presentation/mcp/task-wire.ts (kept here, beside the service whose views it maps).
import type { TaskView } from '../../../../src/application/tasks/task-view.js';
import {
  CancelTaskParams,
  declaresTasksExtension,
  GetTaskParams,
  missingTasksCapability,
  taskAck,
  tasksServerCapability,
  toCreateTaskResult,
  toGetTaskResult,
  toTaskStatusNotification,
  UpdateTaskParams,
} from '../../../../src/presentation/mcp/task-wire.js';

const BASE: TaskView = {
  taskId: '786512e2-9e0d-44bd-8f29-789f320fe840',
  principal: 'alice',
  method: 'tools/call',
  name: 'execute_command',
  status: 'working',
  createdAt: '2026-11-25T10:30:00.000Z',
  lastUpdatedAt: '2026-11-25T10:40:00.000Z',
  ttlMs: 3_600_000,
  pollIntervalMs: 1_000,
};
const WIRE_BASE = {
  taskId: BASE.taskId,
  createdAt: BASE.createdAt,
  lastUpdatedAt: BASE.lastUpdatedAt,
  ttlMs: 3_600_000,
  pollIntervalMs: 1_000,
};
const ELICIT = { method: 'elicitation/create', params: { mode: 'form', message: 'Name?', requestedSchema: { type: 'object' } } };
/** Keys no task shape may carry: v1 names, the MRTR state, and our own internals. */
const FORBIDDEN = ['ttl', 'pollInterval', 'requestState', 'task', 'principal', 'method', 'name'];

describe('task wire', () => {
  it('toCreateTaskResult - flat Result & Task with resultType "task", and nothing status-specific even when the view has it', () => {
    const result = toCreateTaskResult({ ...BASE, status: 'input_required', statusMessage: 'waiting', inputRequests: { a: ELICIT } });

    expect(result).toEqual({ resultType: 'task', ...WIRE_BASE, status: 'input_required', statusMessage: 'waiting' });
    for (const key of [...FORBIDDEN, 'result', 'error', 'inputRequests']) expect(result).not.toHaveProperty(key);
  });

  it.each<[string, Partial<TaskView>, Record<string, unknown>]>([
    ['working', {}, {}],
    ['input_required', { status: 'input_required', inputRequests: { a: ELICIT } }, { inputRequests: { a: ELICIT } }],
    ['completed', { status: 'completed', result: { content: [{ type: 'text', text: 'exit 1' }], isError: true } }, { result: { content: [{ type: 'text', text: 'exit 1' }], isError: true } }],
    ['failed', { status: 'failed', statusMessage: 'boom', error: { code: -32603, message: 'boom' } }, { statusMessage: 'boom', error: { code: -32603, message: 'boom' } }],
    ['cancelled', { status: 'cancelled', statusMessage: 'cancelled at the client’s request' }, { statusMessage: 'cancelled at the client’s request' }],
  ])('toGetTaskResult - %s - resultType "complete", the base fields and exactly its status field', (status, view, extra) => {
    const result = toGetTaskResult({ ...BASE, ...view });

    expect(result).toEqual({ resultType: 'complete', ...WIRE_BASE, status, ...extra });
    for (const key of FORBIDDEN) expect(result).not.toHaveProperty(key);
  });

  it('toGetTaskResult - an inlined result loses the v1 related-task _meta key and keeps the rest', () => {
    const result = toGetTaskResult({
      ...BASE,
      status: 'completed',
      result: { content: [], _meta: { 'io.modelcontextprotocol/related-task': { taskId: BASE.taskId }, other: 1 } },
    });

    expect(result).toMatchObject({ result: { content: [], _meta: { other: 1 } } });
    expect((result as unknown as { result: { _meta: object } }).result._meta).not.toHaveProperty(['io.modelcontextprotocol/related-task']);
  });

  it('taskAck - only resultType "complete", no task envelope fields', () => {
    expect(taskAck()).toEqual({ resultType: 'complete' });
  });

  it('toTaskStatusNotification - notifications/tasks with the DetailedTask tasks/get would give, without resultType', () => {
    const view: TaskView = { ...BASE, status: 'completed', result: { content: [{ type: 'text', text: 'done' }] } };

    const notification = toTaskStatusNotification(view);

    expect(notification.method).toBe('notifications/tasks');
    const { resultType, ...detailed } = toGetTaskResult(view);
    expect(resultType).toBe('complete');
    expect(notification.params).toEqual(detailed);
  });

  it('params - taskId is required and non-empty; unknown fields and _meta are allowed', () => {
    expect(GetTaskParams.parse({ taskId: 't-1', _meta: { x: 1 }, extra: true })).toMatchObject({ taskId: 't-1' });
    expect(CancelTaskParams.safeParse({}).success).toBe(false);
    expect(GetTaskParams.safeParse({ taskId: '' }).success).toBe(false);
    expect(GetTaskParams.safeParse({ taskId: 12 }).success).toBe(false);
  });

  it('UpdateTaskParams - inputResponses is a map of objects; anything else is refused', () => {
    expect(UpdateTaskParams.parse({ taskId: 't', inputResponses: { a: { action: 'accept', content: { ok: true } }, 'unknown-key': { ignored: true } } })).toBeTruthy();
    expect(UpdateTaskParams.safeParse({ taskId: 't', inputResponses: { a: 12 } }).success).toBe(false);
    expect(UpdateTaskParams.safeParse({ taskId: 't', inputResponses: null }).success).toBe(false);
    expect(UpdateTaskParams.safeParse({ taskId: 't' }).success).toBe(false);
  });

  it.each<[unknown, boolean]>([
    [{ extensions: { 'io.modelcontextprotocol/tasks': {} } }, true],
    [{ extensions: { 'io.modelcontextprotocol/tasks': { future: 1 } }, sampling: {} }, true],
    [{ extensions: {} }, false],
    [{ extensions: { 'io.modelcontextprotocol/tasks': true } }, false],
    [{ tasks: {} }, false],
    [{}, false],
    [undefined, false],
    [null, false],
  ])('declaresTasksExtension(%j) - %s', (capabilities, expected) => {
    expect(declaresTasksExtension(capabilities)).toBe(expected);
  });

  it('missingTasksCapability and tasksServerCapability - name the extension under extensions', () => {
    expect(missingTasksCapability()).toEqual({ requiredCapabilities: { extensions: { 'io.modelcontextprotocol/tasks': {} } } });
    expect(tasksServerCapability()).toEqual({ extensions: { 'io.modelcontextprotocol/tasks': {} } });
  });
});
