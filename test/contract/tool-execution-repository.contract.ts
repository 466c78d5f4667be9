import type { Outbox } from '../../src/application/ports/outbox.js';
import type { EventMetaSource } from '../../src/domain/shared/event-meta-source.js';
import { ToolExecution } from '../../src/domain/tool/tool-execution.js';
import type { ToolExecutionRepository } from '../../src/domain/tool/tool-execution.repository.js';
import { fixedMeta, T0 } from '../support/fixed-clock.js';
import { drainOutbox } from './outbox.contract.js';

export interface ToolExecutionRepositoryFixture {
  readonly repository: ToolExecutionRepository;
  /** The outbox the repository's saves append to. */
  readonly outbox: Outbox;
  teardown?(): Promise<void>;
}

/** ToolExecutionRepository's behaviour, seen through the events its saves put in the outbox. */
export function describeToolExecutionRepositoryContract(
  name: string,
  factory: (meta: EventMetaSource) => Promise<ToolExecutionRepositoryFixture>,
): void {
  describe(`ToolExecutionRepository contract: ${name}`, () => {
    let ctx: ReturnType<typeof fixedMeta>;
    let fx: ToolExecutionRepositoryFixture;
    beforeEach(async () => {
      ctx = fixedMeta();
      fx = await factory(ctx.meta);
    });
    afterEach(async () => {
      await fx.teardown?.();
    });

    const start = (id: string, tool = 'read_file') => ToolExecution.start(id, 's-1', tool, ctx.clock.now(), ctx.meta);

    it('save - a succeeded execution - appends tool.executed once, with duration and session', async () => {
      const execution = start('x-1');
      ctx.clock.advance(42);
      execution.succeed();

      await fx.repository.save(execution);
      await fx.repository.save(execution);

      expect(await drainOutbox(fx.outbox)).toEqual([
        {
          id: 'evt-1',
          type: 'tool.executed',
          version: 1,
          aggregateType: 'tool_execution',
          aggregateId: 'x-1',
          sessionId: 's-1',
          occurredAt: new Date(T0.getTime() + 42).toISOString(),
          data: { executionId: 'x-1', tool: 'read_file', durationMs: 42, outcome: 'success' },
        },
      ]);
    });

    it('save - a failed execution - appends tool.failed with the error and retryability', async () => {
      const execution = start('x-1', 'execute_command');
      ctx.clock.advance(7);
      execution.fail('error', 'exit code 2: permission "denied" ✗', true);

      await fx.repository.save(execution);

      const events = await drainOutbox(fx.outbox);
      expect(events.map((e) => [e.type, e.data])).toEqual([
        [
          'tool.failed',
          { executionId: 'x-1', tool: 'execute_command', durationMs: 7, outcome: 'error', error: 'exit code 2: permission "denied" ✗', retryable: true },
        ],
      ]);
    });

    it('save - an unfinished execution, then finished - nothing, then exactly the finishing event', async () => {
      const execution = start('x-1');

      await fx.repository.save(execution);
      await expect(fx.outbox.pending()).resolves.toBe(0);

      execution.fail('cancelled', 'cancelled by the client', false);
      await fx.repository.save(execution);

      expect((await drainOutbox(fx.outbox)).map((e) => e.type)).toEqual(['tool.failed']);
    });

    it('save - many executions - their events come out in save order', async () => {
      const ids = Array.from({ length: 25 }, (_, i) => `x-${i + 1}`);
      for (const id of ids) {
        const execution = start(id);
        if (id.endsWith('3')) execution.fail('error', 'boom', false);
        else execution.succeed();
        await fx.repository.save(execution);
      }

      const events = await drainOutbox(fx.outbox);
      expect(events.map((e) => e.aggregateId)).toEqual(ids);
      expect(events.filter((e) => e.type === 'tool.failed').map((e) => e.aggregateId)).toEqual(['x-3', 'x-13', 'x-23']);
    });
  });
}
