import { ApplicationError, ToolFailure } from '../../../src/application/application.errors.js';
import type { RequestOrigin } from '../../../src/application/origin.js';
import { ClientAnswerPending, type ClientRequests } from '../../../src/application/ports/client-requests.js';
import type { TaskView } from '../../../src/application/tasks/task-view.js';
import { ExecuteToolCommand, isToolCallTask, type TaskHandles, type ToolCallOutcome, type ToolCallResult } from '../../../src/application/tools/execute-tool.command.js';
import { RegisterToolCommand } from '../../../src/application/tools/register-tool.command.js';
import type { ToolContext, ToolDefinition, ToolOutput } from '../../../src/application/tools/tool-definition.js';
import type { DomainEvent } from '../../../src/domain/shared/domain-event.js';
import { textOutput, toolContext, toolDefinition } from '../../support/builders.js';
import { createTestApp, waitFor, type TestApp } from '../../support/test-app.js';

/**
 * ExecuteToolHandler over a real TaskService (in-memory task repository): which calls become tasks,
 * what a task's result or error is, where a task-running tool's questions, progress and logs go,
 * and that each call is still one recorded execution.
 */
const TRACE = { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' };
const ORIGIN: RequestOrigin = { principal: 'alice', requestId: 'req-1', protocolVersion: '2026-07-28', trace: TRACE };
const DECLARED: TaskHandles = { declared: true };
const ARGS = { message: 'hi' };
const SECRET = 'ECONNRESET 10.0.0.7:5432 password=hunter2';
const NAME_FORM = { mode: 'form', message: 'What is your name?', requestedSchema: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] } };

function deferred<T = void>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((res) => {
    resolve = res;
  });
  return { promise, resolve };
}

function withSupport(definition: ToolDefinition<unknown>, taskSupport: 'optional' | 'required'): ToolDefinition<unknown> {
  return { ...definition, taskSupport };
}

/** A tool that answers once the test opens its gate (at once when `open`); the output carries structuredContent. */
function gated(name: string, taskSupport: 'optional' | 'required', open = false) {
  const gate = deferred();
  if (open) gate.resolve();
  const definition = withSupport(
    toolDefinition(name, async ({ message }) => {
      await gate.promise;
      return { content: [{ type: 'text', text: `done: ${message}` }], structuredContent: { echoed: message } };
    }),
    taskSupport,
  );
  return { definition, open: () => gate.resolve() };
}

/** A tool that fails with `failure` once the test opens its gate. */
function failingAfterGate(name: string, failure: Error) {
  const gate = deferred();
  const definition = withSupport(
    toolDefinition(name, async () => {
      await gate.promise;
      throw failure;
    }),
    'optional',
  );
  return { definition, open: () => gate.resolve() };
}

/** The request's own client: answers elicitations with `answer` (or throws it), and counts the asks. */
function requestClient(answer: (params: Readonly<Record<string, unknown>>) => Promise<{ action: 'accept' | 'decline' | 'cancel'; content?: Record<string, unknown> }>) {
  const asked: Readonly<Record<string, unknown>>[] = [];
  const client: ClientRequests = {
    supports: { elicitation: true, sampling: false, roots: false },
    answersLater: true,
    elicit: (params) => {
      asked.push(params);
      return answer(params);
    },
    createMessage: () => Promise.reject(new Error('sampling was not expected')),
    listRoots: () => Promise.reject(new Error('roots were not expected')),
  };
  return { client, asked };
}

async function appWith(definitions: ToolDefinition<unknown>[], tasks: boolean = true): Promise<TestApp> {
  const app = createTestApp(tasks ? { tasks: {} } : {});
  apps.push(app);
  for (const definition of definitions) await app.commands.execute(new RegisterToolCommand(definition));
  await app.takeEvents();
  return app;
}

/** A tools/call: by default a stateless request that declared the tasks extension. */
function call(app: TestApp, tool: string, context: ToolContext = toolContext('request:req-1').context, via: { origin: RequestOrigin | string; tasks?: TaskHandles } = { origin: ORIGIN, tasks: DECLARED }): Promise<ToolCallOutcome> {
  return app.commands.execute(new ExecuteToolCommand(via.origin, tool, ARGS, context, via.tasks));
}

function taskOf(outcome: ToolCallOutcome): TaskView {
  if (!isToolCallTask(outcome)) throw new Error(`expected a task, got ${JSON.stringify(outcome)}`);
  return outcome.task;
}

function resultOf(outcome: ToolCallOutcome): ToolCallResult {
  if (isToolCallTask(outcome)) throw new Error(`expected an inline result, got task ${outcome.task.taskId}`);
  return outcome;
}

async function settled(app: TestApp, taskId: string, status: TaskView['status']): Promise<TaskView> {
  await waitFor(async () => (await app.tasks!.get(taskId, 'alice')).status === status, `task ${taskId} to be ${status}`);
  return app.tasks!.get(taskId, 'alice');
}

const toolEvents = (events: DomainEvent[]) => events.filter((e) => e.type.startsWith('tool.')) as DomainEvent<string, Record<string, unknown>>[];
const taskEvents = (events: DomainEvent[]) => events.filter((e) => e.type.startsWith('task.'));

const apps: TestApp[] = [];

afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.tasks?.stop()));
});

describe('ExecuteTool under the TaskService (2026-07-28 tasks extension)', () => {
  it('optional tool, stateless request with the extension, done within the sync budget - the inline ToolCallResult, no task', async () => {
    const quick = gated('quick', 'optional', true);
    const app = await appWith([quick.definition]);

    const outcome = await call(app, 'quick');

    expect(outcome).toEqual({ content: [{ type: 'text', text: 'done: hi' }], structuredContent: { echoed: 'hi' } });
    await expect(app.taskRepository!.countLive('alice')).resolves.toBe(0);
    const events = await app.takeEvents();
    expect(taskEvents(events)).toEqual([]);
    expect(toolEvents(events).map((e) => [e.type, e.data['principal'], e.trace])).toEqual([['tool.executed', 'alice', TRACE]]);
  });

  it('optional tool that outlasts the sync budget - answers a working task, which completes with the inline result shape', async () => {
    const slow = gated('slow', 'optional');
    const app = await appWith([slow.definition]);

    const task = taskOf(await call(app, 'slow'));

    expect(task).toMatchObject({ principal: 'alice', method: 'tools/call', name: 'slow', status: 'working' });
    expect(task).not.toHaveProperty('result');
    slow.open();
    const done = await settled(app, task.taskId, 'completed');
    expect(done.result).toEqual({ content: [{ type: 'text', text: 'done: hi' }], structuredContent: { echoed: 'hi' } });
  });

  it('ToolFailure inside a task - the task completes (not fails) with the isError result carrying the envelope', async () => {
    const envelope = { error: 'file not found', reason: 'no such file: a.txt', suggested_actions: ['list the directory'], retryable: false };
    const failing = failingAfterGate('missing', new ToolFailure(envelope));
    const app = await appWith([failing.definition]);
    const task = taskOf(await call(app, 'missing'));

    failing.open();

    const done = await settled(app, task.taskId, 'completed');
    expect(done.error).toBeUndefined();
    expect(done.result).toEqual({
      content: [{ type: 'text', text: 'Error: file not found. no such file: a.txt. Try: list the directory.' }],
      structuredContent: envelope,
      isError: true,
    });
  });

  it('unexpected Error inside a task - the task fails with a generic -32603; the cause is in the log, never in the task', async () => {
    const failing = failingAfterGate('broken', new Error(SECRET));
    const app = await appWith([failing.definition]);
    const task = taskOf(await call(app, 'broken'));

    failing.open();

    const failed = await settled(app, task.taskId, 'failed');
    expect(failed.error?.code).toBe(-32603);
    expect(failed.result).toBeUndefined();
    expect(JSON.stringify(failed)).not.toContain('hunter2');
    expect(app.logger.at('error').map((line) => line.message)).toContain('tool failed unexpectedly');
    expect(JSON.stringify(app.logger.at('error'))).toContain(SECRET);
    expect(app.logger.at('error').find((line) => line.message === 'tool failed unexpectedly')?.fields).toMatchObject({ tool: 'broken', requestId: 'req-1', principal: 'alice', traceparent: TRACE.traceparent });
  });

  it('unexpected Error while still inline (within the budget) - the isError "internal error" envelope as for any inline call, logged once', async () => {
    const broken = withSupport(
      toolDefinition('broken-now', async () => {
        throw new Error(SECRET);
      }),
      'optional',
    );
    const app = await appWith([broken]);

    const result = resultOf(await call(app, 'broken-now'));

    expect(result).toMatchObject({ isError: true, structuredContent: { error: 'internal error' } });
    expect(JSON.stringify(result)).not.toContain('hunter2');
    expect(app.logger.at('error').map((line) => line.message)).toEqual(['tool failed unexpectedly']);
    await expect(app.taskRepository!.countLive('alice')).resolves.toBe(0);
  });

  it('request cancelled while the call is still inline - the tool is stopped and the call ends cancelled, no task is left', async () => {
    const sleeper = withSupport(
      toolDefinition('sleeper-inline', (_input, ctx) => new Promise<ToolOutput>((_resolve, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason)))),
      'optional',
    );
    const app = await appWith([sleeper], true);
    const request = new AbortController();
    setTimeout(() => request.abort(new Error('client gone')), 5);

    const outcome = await call(app, 'sleeper-inline', toolContext('request:req-1', request.signal).context);

    expect(resultOf(outcome)).toMatchObject({ isError: true, structuredContent: { error: 'cancelled' } });
    await expect(app.taskRepository!.countLive('alice')).resolves.toBe(0);
    expect(app.executions.list().map((row) => row.outcome)).toEqual(['cancelled']);
  });

  it('session origin with task handles claimed - still inline (a session never holds a task), no crash', async () => {
    const quick = gated('quick-session', 'optional', true);
    const app = await appWith([quick.definition]);
    const sessionId = await app.readySession();

    const outcome = await call(app, 'quick-session', toolContext(sessionId).context, { origin: sessionId, tasks: DECLARED });

    expect(resultOf(outcome)).toMatchObject({ content: [{ type: 'text', text: 'done: hi' }] });
  });

  it('required tool, request without the extension (declared: false) - ApplicationError task.required; nothing runs or is recorded', async () => {
    let runs = 0;
    const only = withSupport(toolDefinition('only_task', async () => (runs++, textOutput('ran'))), 'required');
    const app = await appWith([only]);

    const attempt = call(app, 'only_task', undefined, { origin: ORIGIN, tasks: { declared: false } });

    await expect(attempt).rejects.toBeInstanceOf(ApplicationError);
    await expect(attempt).rejects.toMatchObject({ code: 'task.required' });
    expect(runs).toBe(0);
    expect(app.executions.list()).toEqual([]);
    expect(await app.takeEvents()).toEqual([]);
  });

  it('required tool, declared: false, no TaskService configured - runs inline (tasks are not served at all)', async () => {
    const only = withSupport(toolDefinition('only_task', async ({ message }) => textOutput(`ran: ${message}`)), 'required');
    const app = await appWith([only], false);

    await expect(call(app, 'only_task', undefined, { origin: ORIGIN, tasks: { declared: false } })).resolves.toEqual(textOutput('ran: hi'));
  });

  it('session origin (no task handles) - even a required tool that outlasts the budget runs inline', async () => {
    const slow = gated('slow', 'required');
    const app = await appWith([slow.definition]);
    const sessionId = await app.readySession();

    const pending = call(app, 'slow', toolContext(sessionId).context, { origin: sessionId });
    await new Promise((resolve) => setTimeout(resolve, 60)); // twice the test sync budget
    slow.open();

    expect(resultOf(await pending)).toEqual({ content: [{ type: 'text', text: 'done: hi' }], structuredContent: { echoed: 'hi' } });
    await expect(app.taskRepository!.countLive('alice')).resolves.toBe(0);
    expect(taskEvents(await app.takeEvents())).toEqual([]);
  });

  it('one execution per call - inline, completed task, tool-error task and failed task each record one row and one tool.* event', async () => {
    const quick = gated('quick', 'optional', true);
    const slow = gated('slow', 'optional');
    const missing = failingAfterGate('missing', new ToolFailure({ error: 'nope', reason: 'refused', suggested_actions: [], retryable: false }));
    const broken = failingAfterGate('broken', new Error(SECRET));
    const app = await appWith([quick.definition, slow.definition, missing.definition, broken.definition]);

    resultOf(await call(app, 'quick'));
    const tasks = [taskOf(await call(app, 'slow')), taskOf(await call(app, 'missing')), taskOf(await call(app, 'broken'))];
    [slow, missing, broken].forEach((tool) => tool.open());
    await settled(app, tasks[0]!.taskId, 'completed');
    await settled(app, tasks[1]!.taskId, 'completed');
    await settled(app, tasks[2]!.taskId, 'failed');

    const rows = app.executions.list().reverse();
    expect(rows.map((row) => [row.tool, row.outcome, row.principal])).toEqual([
      ['quick', 'success', 'alice'],
      ['slow', 'success', 'alice'],
      ['missing', 'error', 'alice'],
      ['broken', 'error', 'alice'],
    ]);
    expect(rows[3]?.error).toBe('internal error');
    const recorded = toolEvents(await app.takeEvents());
    expect(recorded.map((e) => [e.type, e.data['tool']])).toEqual([
      ['tool.executed', 'quick'],
      ['tool.executed', 'slow'],
      ['tool.failed', 'missing'],
      ['tool.failed', 'broken'],
    ]);
    expect(new Set(recorded.map((e) => e.aggregateId)).size).toBe(4);
  });

  it('optional tool asking ctx.client.elicit inside a task - input_required with the elicitation/create ask; update with the answer completes it', async () => {
    const greeter = withSupport(
      toolDefinition('greeter', async (_input, ctx) => {
        const answer = await ctx.client!.elicit(NAME_FORM);
        return textOutput(`Hello, ${String(answer.content?.['name'])} (${answer.action})`);
      }),
      'optional',
    );
    const app = await appWith([greeter]);
    const own = requestClient(() => Promise.reject(new Error('a task must not ask the request')));
    const { context } = toolContext('request:req-1');

    const task = taskOf(await call(app, 'greeter', { ...context, client: own.client }));

    const parked = await settled(app, task.taskId, 'input_required');
    expect(parked.inputRequests).toEqual({ 'elicitation-1': { method: 'elicitation/create', params: NAME_FORM } });
    expect(own.asked).toEqual([]);

    await app.tasks!.update(task.taskId, 'alice', { 'elicitation-1': { action: 'accept', content: { name: 'Ada' } } });

    const done = await settled(app, task.taskId, 'completed');
    expect(done.result).toEqual(textOutput('Hello, Ada (accept)'));
    expect(done.inputRequests).toBeUndefined();
  });

  it('required tool whose first ask the request client answers (gathered on the request) - then works and becomes a task with that answer', async () => {
    const gate = deferred();
    const greeter = withSupport(
      toolDefinition('greeter', async (_input, ctx) => {
        const answer = await ctx.client!.elicit(NAME_FORM, { key: 'user_name' });
        await gate.promise;
        return textOutput(`Hello, ${String(answer.content?.['name'])}`);
      }),
      'required',
    );
    const app = await appWith([greeter]);
    const own = requestClient(async () => ({ action: 'accept', content: { name: 'Grace' } }));
    const { context } = toolContext('request:req-1');

    const task = taskOf(await call(app, 'greeter', { ...context, client: own.client }));

    expect(own.asked).toEqual([NAME_FORM]);
    expect(task.status).toBe('working');
    gate.resolve();
    const done = await settled(app, task.taskId, 'completed');
    expect(done.result).toEqual(textOutput('Hello, Grace'));
    expect(taskEvents(await app.takeEvents()).map((e) => e.type)).not.toContain('task.input_requested');
  });

  it('required tool whose first ask is not answered yet (ClientAnswerPending) - the command rejects with that same error and no task exists', async () => {
    const pending = new ClientAnswerPending();
    let afterAsk = false;
    const greeter = withSupport(
      toolDefinition('greeter', async (_input, ctx) => {
        await ctx.client!.elicit(NAME_FORM, { key: 'user_name' });
        afterAsk = true;
        return textOutput('unreachable');
      }),
      'required',
    );
    const app = await appWith([greeter]);
    const own = requestClient(() => Promise.reject(pending));
    const { context } = toolContext('request:req-1');

    await expect(call(app, 'greeter', { ...context, client: own.client })).rejects.toBe(pending);

    expect(afterAsk).toBe(false);
    await expect(app.taskRepository!.countLive('alice')).resolves.toBe(0);
    const events = await app.takeEvents();
    expect(taskEvents(events)).toEqual([]);
    expect(toolEvents(events).map((e) => [e.type, e.data['outcome'], e.data['error']])).toEqual([['tool.failed', 'cancelled', 'waiting for client input']]);
  });

  it('progress and log - reach the request while the call is inline, not once it became a task', async () => {
    const gate = deferred();
    const chatty = withSupport(
      toolDefinition('chatty', async (_input, ctx) => {
        ctx.progress(1, 2, 'half');
        ctx.log('info', 'before');
        await gate.promise;
        ctx.progress(2, 2, 'all');
        ctx.log('info', 'after');
        return textOutput('said it all');
      }),
      'optional',
    );
    const app = await appWith([chatty]);
    const request = toolContext('request:req-1');

    const task = taskOf(await call(app, 'chatty', request.context));
    gate.resolve();
    await settled(app, task.taskId, 'completed');

    expect(request.progress).toEqual([[1, 2, 'half']]);
    expect(request.logs).toEqual([['info', 'before']]);
  });

  it('tasks/cancel while the tool runs - the tool\'s signal aborts at once; the task stays cancelled and the execution is recorded cancelled', async () => {
    let seen: AbortSignal | undefined;
    const sleeper = withSupport(
      toolDefinition('sleeper', (_input, ctx) => {
        seen = ctx.signal;
        return new Promise<ToolOutput>((_resolve, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason)));
      }),
      'optional',
    );
    const app = await appWith([sleeper]);
    const task = taskOf(await call(app, 'sleeper'));

    await app.tasks!.cancel(task.taskId, 'alice');

    // At once, through the task's signal (not at the next deadline sweep of the run).
    expect(seen?.aborted).toBe(true);
    await waitFor(() => app.executions.list().some((row) => row.outcome !== undefined), 'the execution to be recorded');
    await expect(app.tasks!.get(task.taskId, 'alice')).resolves.toMatchObject({ status: 'cancelled' });
    expect(app.executions.list().map((row) => row.outcome)).toEqual(['cancelled']);
  });
});
