import { ProtocolError, type ClientCapabilities } from '@modelcontextprotocol/server';
import type { TaskService } from '../../../src/application/tasks/task-service.js';
import type { TaskControl } from '../../../src/application/tasks/task-work.js';
import { DomainError } from '../../../src/domain/shared/domain-error.js';
import type { JsonObject } from '../../../src/domain/task/task.js';
import type { McpDependencies } from '../../../src/presentation/mcp/session-channel.js';
import { StatelessCall, type StatelessReply } from '../../../src/presentation/mcp/stateless/stateless-endpoint.js';
import { taskRoutes } from '../../../src/presentation/mcp/stateless/task.routes.js';
import { createTestApp, waitFor, type TestApp } from '../../support/test-app.js';

/**
 * tasks/get, tasks/update and tasks/cancel over a real TaskService (in-memory repository), each
 * called as the stateless endpoint calls a route: params parsed by the route's schema, then run
 * with a StatelessCall carrying what this one request declared and who sent it.
 */
const TASKS_EXTENSION = 'io.modelcontextprotocol/tasks';
const WITH_TASKS: ClientCapabilities = { elicitation: {}, extensions: { [TASKS_EXTENSION]: {} } };
const ORIGIN = { principal: 'alice', method: 'tools/call', name: 'confirm_delete' };
const ASK = { method: 'elicitation/create', params: { mode: 'form', message: 'Delete report.txt?', requestedSchema: { type: 'object', properties: { confirm: { type: 'boolean' } } } } };
const WIRE_KEYS = ['createdAt', 'lastUpdatedAt', 'pollIntervalMs', 'resultType', 'status', 'taskId', 'ttlMs'];

const QUIET: StatelessReply = { notify: async () => undefined, gone: false, onGone: () => undefined };

function depsOf(app: TestApp, tasks: TaskService): McpDependencies {
  return {
    commands: app.commands,
    queries: app.queries,
    logger: app.logger,
    settings: app.settings,
    features: { tools: true, resources: true, prompts: true, logging: true, completions: true },
    tasks,
  };
}

describe('taskRoutes (tasks/* on 2026-07-28 requests)', () => {
  let app: TestApp;
  let tasks: TaskService;
  let routes: ReturnType<typeof taskRoutes>;

  /** Runs `method` as `principal` with `capabilities` declared in this request's _meta. */
  async function route(method: string, params: Record<string, unknown>, principal = 'alice', capabilities: ClientCapabilities = WITH_TASKS): Promise<Record<string, unknown>> {
    const handler = routes.get(method);
    if (!handler) throw new Error(`no route for ${method}`);
    const message = { jsonrpc: '2.0' as const, id: 7, method, params };
    const call = new StatelessCall(depsOf(app, tasks), { message, protocolVersion: '2026-07-28', clientCapabilities: capabilities, principal }, QUIET, true);
    return handler.run(handler.params.parse(params), call);
  }

  async function rejection(attempt: Promise<unknown>): Promise<unknown> {
    return attempt.then(
      (value) => {
        throw new Error(`expected a rejection, got ${JSON.stringify(value)}`);
      },
      (error: unknown) => error,
    );
  }

  /** A task of alice's, parked in input_required on the key `confirm`, and the answers its work received. */
  async function parkedTask(): Promise<{ taskId: string; answered: Promise<Record<string, JsonObject>> }> {
    let answered!: Promise<Record<string, JsonObject>>;
    const outcome = await tasks.run(ORIGIN, async (control: TaskControl) => {
      answered = control.requestInput({ confirm: ASK });
      const answers = await answered;
      return { content: [{ type: 'text', text: `answered: ${JSON.stringify(answers['confirm'])}` }] };
    });
    if (outcome.kind !== 'task') throw new Error('expected the work to become a task');
    await waitFor(async () => (await tasks.get(outcome.task.taskId, 'alice')).status === 'input_required', 'input_required');
    return { taskId: outcome.task.taskId, answered };
  }

  /** A task of alice's that keeps working until its signal aborts. */
  async function workingTask(): Promise<string> {
    const outcome = await tasks.run(ORIGIN, (control) => new Promise<JsonObject>((_resolve, reject) => control.signal.addEventListener('abort', () => reject(control.signal.reason))));
    if (outcome.kind !== 'task') throw new Error('expected the work to become a task');
    return outcome.task.taskId;
  }

  beforeEach(() => {
    app = createTestApp({ tasks: {} });
    tasks = app.tasks!;
    routes = taskRoutes(tasks);
  });

  afterEach(async () => {
    await tasks.stop();
  });

  describe('the extension must be declared by each request', () => {
    it.each([
      ['tasks/get', { taskId: 'placeholder' }],
      ['tasks/update', { taskId: 'placeholder', inputResponses: { confirm: { action: 'accept', content: { confirm: true } } } }],
      ['tasks/cancel', { taskId: 'placeholder' }],
    ])('%s without it - -32021 naming the extension in data.requiredCapabilities; the task is untouched', async (method, params) => {
      const taskId = await workingTask();

      for (const capabilities of [{ elicitation: {} }, { tasks: {} } as ClientCapabilities, { extensions: { 'io.example/other': {} } }]) {
        const error = await rejection(route(method, { ...params, taskId }, 'alice', capabilities));

        expect(error).toBeInstanceOf(ProtocolError);
        expect(error).toMatchObject({ code: -32021, data: { requiredCapabilities: { extensions: { [TASKS_EXTENSION]: {} } } } });
        expect((error as Error).message).toContain(method);
      }
      await expect(tasks.get(taskId, 'alice')).resolves.toMatchObject({ status: 'working' });
    });
  });

  describe('tasks/get', () => {
    it('own task - the wire task with resultType complete, nothing about who owns it', async () => {
      const taskId = await workingTask();

      const result = await route('tasks/get', { taskId });

      expect(result).toMatchObject({ resultType: 'complete', taskId, status: 'working', ttlMs: 60_000, pollIntervalMs: 500 });
      expect(Object.keys(result).sort()).toEqual(WIRE_KEYS);
    });

    it('input_required task - carries its pending inputRequests', async () => {
      const { taskId } = await parkedTask();

      await expect(route('tasks/get', { taskId })).resolves.toMatchObject({ status: 'input_required', inputRequests: { confirm: ASK } });
    });
  });

  describe('another principal', () => {
    it.each([
      ['tasks/get', {}],
      ['tasks/update', { inputResponses: { confirm: { action: 'accept', content: { confirm: true } } } }],
      ['tasks/cancel', {}],
    ])('%s on alice\'s task as bob - the same not-found as an unknown id, and the task is untouched', async (method, extra) => {
      const { taskId } = await parkedTask();

      const foreign = await rejection(route(method, { taskId, ...extra }, 'bob'));
      const unknown = await rejection(route(method, { taskId: 'no-such-task', ...extra }, 'bob'));

      expect(foreign).toBeInstanceOf(DomainError);
      expect(foreign).toMatchObject({ code: 'task.not_found' });
      expect(unknown).toMatchObject({ code: 'task.not_found' });
      expect((foreign as Error).message.replace(taskId, '<id>')).toBe((unknown as Error).message.replace('no-such-task', '<id>'));
      await expect(tasks.get(taskId, 'alice')).resolves.toMatchObject({ status: 'input_required', inputRequests: { confirm: ASK } });
    });
  });

  describe('tasks/update', () => {
    it('a valid answer to the pending key - the exact ack; the work receives it and the task completes', async () => {
      const { taskId, answered } = await parkedTask();
      const answer = { action: 'accept', content: { confirm: true } };

      await expect(route('tasks/update', { taskId, inputResponses: { confirm: answer } })).resolves.toEqual({ resultType: 'complete' });

      await expect(answered).resolves.toEqual({ confirm: answer });
      await waitFor(async () => (await tasks.get(taskId, 'alice')).status === 'completed', 'the task to complete');
    });

    it('an answer that is not a valid ElicitResult for the pending key - -32602 naming the key; nothing is stored', async () => {
      const { taskId } = await parkedTask();

      const error = await rejection(route('tasks/update', { taskId, inputResponses: { confirm: { action: 'maybe' } } }));

      expect(error).toBeInstanceOf(ProtocolError);
      expect(error).toMatchObject({ code: -32602 });
      expect((error as Error).message).toContain('inputResponses["confirm"]');
      expect((error as Error).message).toContain('elicitation/create');
      await expect(tasks.get(taskId, 'alice')).resolves.toMatchObject({ status: 'input_required', inputRequests: { confirm: ASK } });
    });

    it('an answer to a key that is not pending - acknowledged and ignored: the task still waits for its own key', async () => {
      const { taskId } = await parkedTask();

      const ack = await route('tasks/update', { taskId, inputResponses: { other_key: { whatever: true } } });

      expect(ack).toEqual({ resultType: 'complete' });
      await expect(tasks.get(taskId, 'alice')).resolves.toMatchObject({ status: 'input_required', inputRequests: { confirm: ASK } });
    });
  });

  describe('tasks/cancel', () => {
    it('a working task - the exact ack, the task is cancelled; again on the now terminal task - the same ack', async () => {
      const taskId = await workingTask();

      await expect(route('tasks/cancel', { taskId })).resolves.toEqual({ resultType: 'complete' });
      await expect(tasks.get(taskId, 'alice')).resolves.toMatchObject({ status: 'cancelled' });

      await expect(route('tasks/cancel', { taskId })).resolves.toEqual({ resultType: 'complete' });
      await expect(tasks.get(taskId, 'alice')).resolves.toMatchObject({ status: 'cancelled' });
    });
  });
});
