import { z } from 'zod';
import { ApplicationError, ToolFailure, type ToolErrorEnvelope } from '../../../src/application/application.errors.js';
import { ClientAnswerPending, ClientCapabilityMissing } from '../../../src/application/ports/client-requests.js';
import { ExecuteToolCommand, isToolCallTask, type ToolCallResult } from '../../../src/application/tools/execute-tool.command.js';
import { ListToolsQuery } from '../../../src/application/tools/list-tools.query.js';
import { toToolFailure } from '../../../src/application/tools/tool-failures.js';
import { RegisterToolCommand } from '../../../src/application/tools/register-tool.command.js';
import type { ToolContext, ToolDefinition } from '../../../src/application/tools/tool-definition.js';
import { DomainError } from '../../../src/domain/shared/domain-error.js';
import { textOutput, toolContext, toolDefinition } from '../../support/builders.js';
import { T0 } from '../../support/fixed-clock.js';
import { createTestApp, type TestApp } from '../../support/test-app.js';

const echo = toolDefinition('echo', async ({ message }) => textOutput(message), { annotations: { readOnlyHint: true } });

async function appWith(definitions: ToolDefinition<unknown>[], settings: Parameters<typeof createTestApp>[0] = {}) {
  const app = createTestApp(settings);
  for (const definition of definitions) await app.commands.execute(new RegisterToolCommand(definition));
  const sessionId = await app.readySession();
  await app.takeEvents();
  return { app, sessionId };
}

/** A call on a session: always answered inline (sessions have no task handles). */
async function call(app: TestApp, sessionId: string, tool: string, args: Record<string, unknown> | undefined, signal?: AbortSignal): Promise<ToolCallResult> {
  const outcome = await app.commands.execute(new ExecuteToolCommand(sessionId, tool, args, toolContext(sessionId, signal).context));
  if (isToolCallTask(outcome)) throw new Error('a session call became a task');
  return outcome;
}

/** A context that answers `cancelled` and throws if its signal is read: proves the signal stays uncreated. */
function unreadableSignal(sessionId: string, cancelled: boolean): ToolContext {
  return {
    ...toolContext(sessionId).context,
    cancelled,
    get signal(): AbortSignal {
      throw new Error('the signal was read');
    },
  };
}

describe('RegisterTool', () => {
  it('new tool - is listed and tool.registered is appended to the outbox', async () => {
    const app = createTestApp();

    await expect(app.commands.execute(new RegisterToolCommand(echo))).resolves.toEqual({ name: 'echo' });

    const events = await app.takeEvents();
    expect(events).toEqual([
      expect.objectContaining({ type: 'tool.registered', aggregateId: 'echo', occurredAt: T0.toISOString(), data: { name: 'echo', annotations: { readOnlyHint: true } } }),
    ]);
    expect(app.registry.find('echo')?.definition).toBe(echo);
  });

  it('no inputSchema in props - derives it from the zod input as a JSON Schema object', async () => {
    const app = createTestApp();
    await app.commands.execute(new RegisterToolCommand(echo));

    expect(app.registry.find('echo')?.descriptor.inputSchema).toMatchObject({
      type: 'object',
      properties: { message: { type: 'string', minLength: 1 } },
      required: ['message'],
    });
  });

  it('same name twice - rejects with tool.already_registered, keeps the first and appends nothing more', async () => {
    const app = createTestApp();
    await app.commands.execute(new RegisterToolCommand(echo));
    await app.takeEvents();
    const impostor = toolDefinition('echo', async () => textOutput('impostor'));

    const attempt = app.commands.execute(new RegisterToolCommand(impostor));

    await expect(attempt).rejects.toBeInstanceOf(DomainError);
    await expect(attempt).rejects.toMatchObject({ code: 'tool.already_registered' });
    expect(app.registry.find('echo')?.definition).toBe(echo);
    expect(await app.takeEvents()).toEqual([]);
  });

  it('invalid name - rejects with tool.invalid_name and registers nothing', async () => {
    const app = createTestApp();

    await expect(app.commands.execute(new RegisterToolCommand(toolDefinition('bad name', async () => textOutput(''))))).rejects.toMatchObject({
      code: 'tool.invalid_name',
    });
    expect(app.registry.descriptors()).toEqual([]);
    expect(await app.takeEvents()).toEqual([]);
  });

  it('outputSchema declared - tools/list offers the data or the error envelope', async () => {
    const app = createTestApp();
    const output = { type: 'object', properties: { n: { type: 'number' } } };
    await app.commands.execute(new RegisterToolCommand(toolDefinition('counted', async () => textOutput(''), { outputSchema: output })));

    const schema = app.registry.find('counted')?.descriptor.outputSchema as { anyOf: unknown[] };

    expect(schema).toMatchObject({ type: 'object' });
    expect(schema.anyOf[0]).toEqual(output);
    expect(schema.anyOf[1]).toMatchObject({ required: ['error', 'reason', 'suggested_actions', 'retryable'] });
  });

  it('schemas given as functions - made at the first listing, once, not at registration (start-up time)', async () => {
    const app = createTestApp();
    let made = 0;
    const output = () => {
      made += 1;
      return { type: 'object', properties: { n: { type: 'number' } } };
    };
    await app.commands.execute(new RegisterToolCommand(toolDefinition('counted', async () => textOutput(''), { outputSchema: output })));
    const registered = app.registry.find('counted')!;

    expect(made).toBe(0);
    expect(registered.tool.isCacheable).toBe(false);
    expect(registered.tool.annotations).toBeUndefined();
    expect(made).toBe(0);
    expect(app.registry.descriptors().map((d) => d.name)).toEqual(['counted']);
    expect(registered.descriptor.inputSchema).toMatchObject({ type: 'object', required: ['message'] });
    expect(app.registry.descriptors()[0]).toBe(registered.descriptor);
    expect(made).toBe(1);
  });

  it('an input schema made later that is not an object - refused when made, with value.invalid naming the tool', async () => {
    const app = createTestApp();
    await app.commands.execute(new RegisterToolCommand(toolDefinition('odd', async () => textOutput(''), { inputSchema: () => ({ type: 'string' }) })));

    expect(() => app.registry.descriptors()).toThrow(expect.objectContaining({ code: 'value.invalid', message: 'tool "odd": inputSchema must have type "object"' }));
  });

  it('an input schema given as it is, not an object - refused at registration as before', async () => {
    const app = createTestApp();

    await expect(app.commands.execute(new RegisterToolCommand(toolDefinition('odd', async () => textOutput(''), { inputSchema: { type: 'string' } })))).rejects.toMatchObject({
      code: 'value.invalid',
    });
    expect(app.registry.find('odd')).toBeUndefined();
  });
});

describe('ListTools', () => {
  it('READY session - pages the descriptors in registration order', async () => {
    const names = ['a', 'b', 'c', 'd', 'e'];
    const { app, sessionId } = await appWith(names.map((n) => toolDefinition(n, async () => textOutput(n))), { settings: { pageSize: 2 } });

    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await app.queries.execute(new ListToolsQuery(sessionId, cursor));
      seen.push(...page.items.map((t) => t.name));
      cursor = page.nextCursor;
    } while (cursor);

    expect(seen).toEqual(names);
  });

  it('session not initialized - rejects with session.not_operational', async () => {
    const app = createTestApp();
    const id = await app.openSession();
    await expect(app.queries.execute(new ListToolsQuery(id))).rejects.toMatchObject({ code: 'session.not_operational' });
  });

  it('bad cursor - rejects with params.invalid', async () => {
    const { app, sessionId } = await appWith([echo]);
    await expect(app.queries.execute(new ListToolsQuery(sessionId, 'bogus'))).rejects.toMatchObject({ code: 'params.invalid' });
  });
});

describe('ExecuteTool', () => {
  it('success - returns the output and appends tool.executed with the duration from the clock', async () => {
    let app!: TestApp;
    const slow = toolDefinition('slow', async ({ message }) => {
      app.clock.advance(750);
      return { content: [{ type: 'text', text: message }], structuredContent: { echoed: message } };
    });
    const setup = await appWith([slow]);
    app = setup.app;
    const { sessionId } = setup;

    const result = await call(app, sessionId, 'slow', { message: 'hi' });

    expect(result).toEqual({ content: [{ type: 'text', text: 'hi' }], structuredContent: { echoed: 'hi' } });
    const events = await app.takeEvents();
    expect(events).toEqual([
      expect.objectContaining({
        type: 'tool.executed',
        sessionId,
        data: expect.objectContaining({ tool: 'slow', durationMs: 750, outcome: 'success' }),
      }),
    ]);
  });

  it('success without structured output - the result has no structuredContent key and no isError', async () => {
    const { app, sessionId } = await appWith([echo]);

    const result = await call(app, sessionId, 'echo', { message: 'x' });

    expect(result).toEqual({ content: [{ type: 'text', text: 'x' }] });
  });

  it('INITIALIZING session (initialize answered, initialized not yet sent) - runs the tool', async () => {
    const app = createTestApp();
    await app.commands.execute(new RegisterToolCommand(echo));
    const id = await app.initializedSession();

    await expect(call(app, id, 'echo', { message: 'early' })).resolves.toEqual({ content: [{ type: 'text', text: 'early' }] });
  });

  it('unknown tool - rejects with ApplicationError tool.not_found and appends nothing', async () => {
    const { app, sessionId } = await appWith([echo]);

    const attempt = call(app, sessionId, 'nope', {});

    await expect(attempt).rejects.toBeInstanceOf(ApplicationError);
    await expect(attempt).rejects.toMatchObject({ code: 'tool.not_found', message: 'Tool not found: nope' });
    expect(await app.takeEvents()).toEqual([]);
  });

  it('session not initialized - rejects with DomainError session.not_operational and never runs the tool', async () => {
    let runs = 0;
    const counted = toolDefinition('counted', async () => {
      runs += 1;
      return textOutput('');
    });
    const app = createTestApp();
    await app.commands.execute(new RegisterToolCommand(counted));
    const id = await app.openSession();

    const attempt = call(app, id, 'counted', { message: 'x' });

    await expect(attempt).rejects.toBeInstanceOf(DomainError);
    await expect(attempt).rejects.toMatchObject({ code: 'session.not_operational' });
    expect(runs).toBe(0);
  });

  it('closed session - rejects with session.not_operational', async () => {
    const { app, sessionId } = await appWith([echo]);
    const session = await app.sessions.get(sessionId);
    session.close('bye');
    await app.sessions.save(session);

    await expect(call(app, sessionId, 'echo', { message: 'x' })).rejects.toMatchObject({ code: 'session.not_operational' });
  });

  it.each<[string, Record<string, unknown> | undefined, RegExp]>([
    ['missing argument', {}, /message: /],
    ['no arguments at all', undefined, /message: /],
    ['wrong type', { message: 42 }, /message: /],
    ['unknown extra argument', { message: 'x', extra: true }, /extra/],
  ])('invalid arguments (%s) - isError result with the envelope, tool.failed appended, tool not run', async (_, args, problem) => {
    let runs = 0;
    const counted = toolDefinition('counted', async () => {
      runs += 1;
      return textOutput('');
    });
    const { app, sessionId } = await appWith([counted]);

    const result = await call(app, sessionId, 'counted', args);

    expect(runs).toBe(0);
    expect(result.isError).toBe(true);
    const envelope = result.structuredContent as unknown as ToolErrorEnvelope;
    expect(envelope).toMatchObject({ error: 'invalid arguments', retryable: true });
    expect(envelope.reason).toMatch(problem);
    expect(envelope.suggested_actions.length).toBeGreaterThan(0);
    expect(result.content).toEqual([{ type: 'text', text: expect.stringContaining('Error: invalid arguments.') }]);
    expect(await app.takeEvents()).toEqual([
      expect.objectContaining({ type: 'tool.failed', data: expect.objectContaining({ tool: 'counted', outcome: 'error', error: 'invalid arguments', retryable: true }) }),
    ]);
  });

  it('ToolFailure - its envelope passes through unchanged as structuredContent', async () => {
    const envelope: ToolErrorEnvelope = {
      error: 'file not found',
      reason: 'no file at /tmp/x',
      suggested_actions: ['list the directory first'],
      retryable: false,
      follow_up_tools: ['list_directory'],
      context: { path: '/tmp/x' },
    };
    const failing = toolDefinition('failing', async () => {
      throw new ToolFailure(envelope);
    });
    const { app, sessionId } = await appWith([failing]);

    const result = await call(app, sessionId, 'failing', { message: 'x' });

    expect(result).toEqual({
      content: [{ type: 'text', text: 'Error: file not found. no file at /tmp/x. Try: list the directory first.' }],
      structuredContent: envelope,
      isError: true,
    });
    expect((await app.takeEvents()).map((e) => [e.type, e.data])).toEqual([
      ['tool.failed', expect.objectContaining({ outcome: 'error', error: 'file not found', retryable: false })],
    ]);
  });

  it('DomainError from the tool - mapped to an "invalid request" envelope carrying its message, not logged', async () => {
    const refusing = toolDefinition('refusing', async () => {
      throw new DomainError('value.invalid', 'the pattern is empty');
    });
    const { app, sessionId } = await appWith([refusing]);

    const result = await call(app, sessionId, 'refusing', { message: 'x' });

    expect(result.isError).toBe(true);
    expect(result.structuredContent).toEqual({ error: 'invalid request', reason: 'the pattern is empty', suggested_actions: ['correct the arguments and retry'], retryable: false });
    expect(app.logger.at('error')).toEqual([]);
  });

  it.each([
    ['a DomainError with a workspace code', new DomainError('workspace.path_outside_roots', 'path /etc/passwd is outside the allowed roots'), 'path outside allowed roots'],
    ['an errno the families know (ENOENT)', Object.assign(new Error('ENOENT: no such file, open /srv/x'), { code: 'ENOENT' }), 'not found'],
  ])('%s let through by the tool - the envelope the families give for it (one mapping), not logged', async (_name, thrown, expected) => {
    const leaky = toolDefinition('leaky', async () => {
      throw thrown;
    });
    const { app, sessionId } = await appWith([leaky]);

    const result = await call(app, sessionId, 'leaky', { message: 'x' });

    expect(result.structuredContent).toMatchObject({ error: expected, retryable: false });
    expect(result.structuredContent).toEqual({ ...toToolFailure(thrown).envelope });
    expect(JSON.stringify(result)).not.toContain('/srv/x');
    expect(app.logger.at('error')).toEqual([]);
  });

  it('unexpected Error - generic "internal error" envelope without the raw message; the operator log has it', async () => {
    const secret = 'connect ECONNREFUSED postgres://admin:hunter2@db:5432';
    const crashing = toolDefinition('crashing', async () => {
      throw new Error(secret);
    });
    const { app, sessionId } = await appWith([crashing]);

    const result = await call(app, sessionId, 'crashing', { message: 'x' });

    expect(result.isError).toBe(true);
    expect(result.structuredContent).toMatchObject({ error: 'internal error', retryable: true });
    expect(JSON.stringify(result)).not.toContain('hunter2');
    expect(JSON.stringify(result)).not.toContain('ECONNREFUSED');
    expect(app.logger.at('error')).toEqual([expect.objectContaining({ message: 'tool failed unexpectedly', fields: expect.objectContaining({ tool: 'crashing' }) })]);
    expect(app.logger.text()).toContain('hunter2');
    const [event] = await app.takeEvents();
    expect(event?.data).toMatchObject({ outcome: 'error', error: 'internal error' });
    expect(JSON.stringify(event)).not.toContain('hunter2');
  });

  it('unexpected Error on a stateless request - the log line carries the request id, principal and W3C traceparent', async () => {
    const crashing = toolDefinition('crashing', async () => {
      throw new Error('boom');
    });
    const { app } = await appWith([crashing]);
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const origin = { principal: 'alice', requestId: 'r-1', protocolVersion: '2026-07-28', trace: { traceparent } };

    await app.commands.execute(new ExecuteToolCommand(origin, 'crashing', { message: 'x' }, toolContext('unused').context));

    expect(app.logger.at('error')).toEqual([
      expect.objectContaining({ message: 'tool failed unexpectedly', fields: expect.objectContaining({ requestId: 'r-1', principal: 'alice', traceparent }) }),
    ]);
  });

  it('a port error the tool family wrapped as internal (EMFILE) - logged once with its cause and the execution id, generic envelope', async () => {
    const emfile = Object.assign(new Error('EMFILE: too many open files, open /srv/data/x'), { code: 'EMFILE' });
    const wrapped = toolDefinition('wrapped', async () => {
      throw ToolFailure.internal(emfile, { path: 'x' });
    });
    const { app, sessionId } = await appWith([wrapped]);

    const result = await call(app, sessionId, 'wrapped', { message: 'x' });

    expect(result.structuredContent).toMatchObject({ error: 'internal error', retryable: true, context: { path: 'x' } });
    expect(JSON.stringify(result)).not.toContain('EMFILE');
    const errors = app.logger.at('error');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ message: 'tool failed unexpectedly', fields: { tool: 'wrapped', executionId: expect.any(String) } });
    expect(String(errors[0].fields['error'])).toContain('EMFILE: too many open files');
    const [event] = await app.takeEvents();
    expect(event?.aggregateId).toBe(errors[0].fields['executionId']);
  });

  it('a foreseen ToolFailure - not logged as an error', async () => {
    const failing = toolDefinition('foreseen', async () => {
      throw new ToolFailure({ error: 'not found', reason: 'no such file', suggested_actions: [], retryable: false });
    });
    const { app, sessionId } = await appWith([failing]);
    await call(app, sessionId, 'foreseen', { message: 'x' });
    expect(app.logger.at('error')).toEqual([]);
  });

  it.each([
    ['ClientAnswerPending (the answer comes in a later round)', () => new ClientAnswerPending(), 'waiting for client input'],
    ['ClientCapabilityMissing (the request did not declare sampling)', () => new ClientCapabilityMissing('sampling'), 'the client capability "sampling"'],
  ])('%s - leaves the handler as it is (no tool result, nothing logged), the execution recorded as cancelled', async (_name, interrupt, recorded) => {
    const thrown = interrupt();
    const asking = toolDefinition('asking', async () => {
      throw thrown;
    });
    const { app, sessionId } = await appWith([asking]);

    await expect(call(app, sessionId, 'asking', { message: 'x' })).rejects.toBe(thrown);

    expect(app.logger.at('error')).toEqual([]);
    expect((await app.takeEvents()).map((e) => [e.type, e.data])).toEqual([
      ['tool.failed', expect.objectContaining({ outcome: 'cancelled', error: expect.stringContaining(recorded), retryable: true })],
    ]);
  });

  it('non-Error thrown - also answered with the generic envelope', async () => {
    const weird = toolDefinition('weird', async () => {
      throw 'a string with a token=abc123';
    });
    const { app, sessionId } = await appWith([weird]);

    const result = await call(app, sessionId, 'weird', { message: 'x' });

    expect(result.structuredContent).toMatchObject({ error: 'internal error' });
    expect(JSON.stringify(result)).not.toContain('abc123');
  });

  it('signal aborted while the tool runs (tool ignores it) - outcome cancelled, tool.failed appended', async () => {
    const controller = new AbortController();
    const stubborn = toolDefinition('stubborn', () => {
      setTimeout(() => controller.abort(), 5);
      return new Promise(() => {});
    });
    const { app, sessionId } = await appWith([stubborn]);

    const result = await call(app, sessionId, 'stubborn', { message: 'x' }, controller.signal);

    expect(result.isError).toBe(true);
    expect(result.structuredContent).toMatchObject({ error: 'cancelled', retryable: true });
    expect((await app.takeEvents()).map((e) => [e.type, e.data])).toEqual([
      ['tool.failed', expect.objectContaining({ outcome: 'cancelled', error: 'cancelled' })],
    ]);
  });

  it('signal aborted while the tool runs (tool honours it and rejects) - outcome cancelled, not error', async () => {
    const controller = new AbortController();
    const polite = toolDefinition('polite', (_, context) => {
      setTimeout(() => controller.abort(), 5);
      return new Promise((_, reject) => context.signal.addEventListener('abort', () => reject(new Error('aborted by signal'))));
    });
    const { app, sessionId } = await appWith([polite]);

    const result = await call(app, sessionId, 'polite', { message: 'x' }, controller.signal);

    expect(result.structuredContent).toMatchObject({ error: 'cancelled' });
    expect((await app.takeEvents())[0]?.data).toMatchObject({ outcome: 'cancelled' });
  });

  it('signal already aborted when the call arrives - outcome cancelled', async () => {
    const controller = new AbortController();
    controller.abort();
    const { app, sessionId } = await appWith([echo]);

    const result = await call(app, sessionId, 'echo', { message: 'x' }, controller.signal);

    expect(result.isError).toBe(true);
    expect(result.structuredContent).toMatchObject({ error: 'cancelled' });
    expect((await app.takeEvents()).map((e) => [e.type, (e.data as { outcome: string }).outcome])).toEqual([['tool.failed', 'cancelled']]);
  });

  it('context that answers `cancelled` - its signal is never read on the way (lazy signals stay uncreated)', async () => {
    const { app, sessionId } = await appWith([echo]);

    const result = await app.commands.execute(new ExecuteToolCommand(sessionId, 'echo', { message: 'x' }, unreadableSignal(sessionId, false)));

    expect(result).toEqual({ content: [{ type: 'text', text: 'x' }] });
  });

  it('context cancelled before the call runs (`cancelled` true, signal never created) - outcome cancelled', async () => {
    const { app, sessionId } = await appWith([echo]);

    const result = await app.commands.execute(new ExecuteToolCommand(sessionId, 'echo', { message: 'x' }, unreadableSignal(sessionId, true)));

    expect(result).toMatchObject({ structuredContent: { error: 'cancelled' } });
  });

  it('a tool reading `cancelled` - false while running normally, true once its time limit passed', async () => {
    const seen: boolean[] = [];
    const watcher = toolDefinition('watcher', async (_, context) => {
      seen.push(context.cancelled === true);
      await new Promise((resolve) => setTimeout(resolve, 400));
      seen.push(context.cancelled === true);
      return textOutput('late');
    });
    const { app, sessionId } = await appWith([watcher], { settings: { toolTimeoutMs: 25 } });

    const result = await call(app, sessionId, 'watcher', { message: 'x' });
    await new Promise((resolve) => setTimeout(resolve, 450));

    expect(result.structuredContent).toMatchObject({ error: 'timed out' });
    expect(seen).toEqual([false, true]);
  });

  it('tool runs past settings.toolTimeoutMs - "timed out" envelope naming the limit, tool.failed appended', async () => {
    const hung = toolDefinition('hung', () => new Promise(() => {}));
    const { app, sessionId } = await appWith([hung], { settings: { toolTimeoutMs: 25 } });

    const started = Date.now();
    const result = await call(app, sessionId, 'hung', { message: 'x' });

    expect(Date.now() - started).toBeLessThan(2_000);
    expect(result.isError).toBe(true);
    expect(result.structuredContent).toMatchObject({ error: 'timed out', retryable: true });
    expect((result.structuredContent as { reason: string }).reason).toContain('25 ms');
    expect((await app.takeEvents()).map((e) => [e.type, (e.data as { outcome: string }).outcome])).toEqual([['tool.failed', 'error']]);
  });

  it('tool finishing well within a long timeout - succeeds without waiting for the timer', async () => {
    const quick = toolDefinition('quick', async () => textOutput('ok'));
    const { app, sessionId } = await appWith([quick], { settings: { toolTimeoutMs: 60_000 } });

    await expect(call(app, sessionId, 'quick', { message: 'x' })).resolves.toEqual({ content: [{ type: 'text', text: 'ok' }] });
  });

  it('tool runs past settings.toolTimeoutMs - the signal the tool was given is aborted, so its work stops', async () => {
    let toolSignal: AbortSignal | undefined;
    const hung = toolDefinition('hung', (_, context) => {
      toolSignal = context.signal;
      return new Promise(() => {});
    });
    const { app, sessionId } = await appWith([hung], { settings: { toolTimeoutMs: 25 } });

    const result = await call(app, sessionId, 'hung', { message: 'x' });

    expect(result.structuredContent).toMatchObject({ error: 'timed out' });
    expect(toolSignal?.aborted).toBe(true);
  });

  it('arguments transformed by the zod schema - the tool receives the parsed data', async () => {
    let received: unknown;
    const typed: ToolDefinition<{ n: number }> = {
      props: { name: 'typed', description: 'coerces n' },
      input: z.object({ n: z.coerce.number().default(7) }),
      run: async (input) => {
        received = input;
        return textOutput(String(input.n));
      },
    };
    const { app, sessionId } = await appWith([typed as unknown as ToolDefinition<unknown>]);

    await call(app, sessionId, 'typed', { n: '3' });
    expect(received).toEqual({ n: 3 });
    await call(app, sessionId, 'typed', undefined);
    expect(received).toEqual({ n: 7 });
  });

  it('each call - is its own execution with its own id', async () => {
    const { app, sessionId } = await appWith([echo]);

    await call(app, sessionId, 'echo', { message: 'a' });
    await call(app, sessionId, 'echo', { message: 'b' });

    const events = await app.takeEvents();
    const executionIds = events.map((e) => (e.data as { executionId: string }).executionId);
    expect(new Set(executionIds).size).toBe(2);
    expect(app.executions.list().map((x) => x.id)).toEqual([...executionIds].reverse());
  });
});
