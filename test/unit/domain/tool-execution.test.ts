import { Tool, type ToolProps } from '../../../src/domain/tool/tool.js';
import { ToolExecution } from '../../../src/domain/tool/tool-execution.js';
import { domainErrorOf as thrown } from '../../support/builders.js';
import { fixedMeta, T0 } from '../../support/fixed-clock.js';

const props = (overrides: Partial<ToolProps> = {}): ToolProps => ({
  name: 'read_file',
  description: 'Reads a file',
  inputSchema: { type: 'object', properties: {} },
  ...overrides,
});

describe('Tool.register', () => {
  it.each(['read_file', 'a', 'A-Z.0_9', 'x'.repeat(128), 'files.read-v2'])('name %j - is accepted and recorded as tool.registered', (name) => {
    const { meta } = fixedMeta();

    const tool = Tool.register(props({ name, annotations: { readOnlyHint: true } }), meta);

    expect(tool.name).toBe(name);
    expect(tool.pullEvents()).toEqual([
      {
        id: 'evt-1',
        type: 'tool.registered',
        version: 1,
        aggregateType: 'tool',
        aggregateId: name,
        occurredAt: T0.toISOString(),
        data: { name, annotations: { readOnlyHint: true } },
      },
    ]);
  });

  it.each(['', 'x'.repeat(129), 'read file', 'read/file', 'ünïcode', 'tool:name', 'name\n'])('name %j - throws tool.invalid_name', (name) => {
    const { meta } = fixedMeta();
    expect(thrown(() => Tool.register(props({ name }), meta)).code).toBe('tool.invalid_name');
  });

  it.each([{}, { type: 'array' }, { type: 'string' }, { properties: {} }])('inputSchema %j - throws value.invalid', (inputSchema) => {
    const { meta } = fixedMeta();
    expect(thrown(() => Tool.register(props({ inputSchema }), meta)).code).toBe('value.invalid');
  });

  it('without annotations - records empty annotations', () => {
    const { meta } = fixedMeta();
    expect(Tool.register(props(), meta).pullEvents()[0]?.data).toEqual({ name: 'read_file', annotations: {} });
  });

  it.each([
    [{ readOnlyHint: true, idempotentHint: true }, true],
    [{ readOnlyHint: true }, false],
    [{ idempotentHint: true }, false],
    [undefined, false],
  ])('isCacheable - annotations %j - %s', (annotations, expected) => {
    const { meta } = fixedMeta();
    expect(Tool.register(props({ annotations }), meta).isCacheable).toBe(expected);
  });
});

describe('ToolExecution', () => {
  function started() {
    const ctx = fixedMeta();
    const execution = ToolExecution.start('x-1', 's-1', 'echo', ctx.clock.now(), ctx.meta);
    return { ...ctx, execution };
  }

  it('start - records nothing and has no outcome yet', () => {
    const { execution } = started();

    expect(execution.pullEvents()).toEqual([]);
    expect(execution.snapshot()).toEqual({ id: 'x-1', sessionId: 's-1', tool: 'echo', startedAt: T0.toISOString() });
  });

  it('succeed - 250 ms later by the clock - records tool.executed with that duration', () => {
    const { execution, clock } = started();
    clock.advance(250);

    execution.succeed();

    expect(execution.pullEvents()).toEqual([
      {
        id: 'evt-1',
        type: 'tool.executed',
        version: 1,
        aggregateType: 'tool_execution',
        aggregateId: 'x-1',
        sessionId: 's-1',
        occurredAt: new Date(T0.getTime() + 250).toISOString(),
        data: { executionId: 'x-1', tool: 'echo', durationMs: 250, outcome: 'success' },
      },
    ]);
    expect(execution.snapshot()).toMatchObject({ outcome: 'success', durationMs: 250, finishedAt: new Date(T0.getTime() + 250).toISOString() });
  });

  it.each(['error', 'cancelled'] as const)('fail - outcome %s - records tool.failed with error, retryable and duration', (outcome) => {
    const { execution, clock } = started();
    clock.advance(40);

    execution.fail(outcome, 'timed out', true);

    expect(execution.pullEvents()).toEqual([
      expect.objectContaining({
        type: 'tool.failed',
        sessionId: 's-1',
        data: { executionId: 'x-1', tool: 'echo', durationMs: 40, outcome, error: 'timed out', retryable: true },
      }),
    ]);
    expect(execution.snapshot()).toMatchObject({ outcome, error: 'timed out', durationMs: 40 });
  });

  it('finish - clock earlier than the start - reports a duration of 0, never negative', () => {
    const { execution, clock } = started();
    clock.advance(-5_000);

    execution.succeed();

    expect(execution.pullEvents()[0]?.data).toMatchObject({ durationMs: 0 });
  });

  it.each<[string, (e: ToolExecution) => void, (e: ToolExecution) => void]>([
    ['succeed then succeed', (e) => e.succeed(), (e) => e.succeed()],
    ['succeed then fail', (e) => e.succeed(), (e) => e.fail('error', 'x', false)],
    ['fail then succeed', (e) => e.fail('error', 'x', false), (e) => e.succeed()],
    ['fail then fail', (e) => e.fail('cancelled', 'x', true), (e) => e.fail('error', 'y', false)],
  ])('%s - the second finish throws and records nothing more', (_, first, second) => {
    const { execution } = started();
    first(execution);
    const snapshot = execution.snapshot();
    execution.pullEvents();

    const error = thrown(() => second(execution));

    expect(error.code).toBe('value.invalid');
    expect(error.message).toMatch(/already finished/);
    expect(execution.pullEvents()).toEqual([]);
    expect(execution.snapshot()).toEqual(snapshot);
  });
});
