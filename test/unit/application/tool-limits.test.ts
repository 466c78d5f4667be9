import type { RequestOrigin } from '../../../src/application/origin.js';
import type { RateDecision, RateLimiter, RateLimitKey } from '../../../src/application/ports/rate-limiter.js';
import { ExecuteToolCommand, isToolCallTask, type ToolCallOutcome, type ToolCallResult } from '../../../src/application/tools/execute-tool.command.js';
import { RegisterToolCommand } from '../../../src/application/tools/register-tool.command.js';
import type { ToolDefinition } from '../../../src/application/tools/tool-definition.js';
import { Grants } from '../../../src/domain/auth/grants.js';
import type { Principal } from '../../../src/domain/auth/principal.js';
import { rateLimitsSchema } from '../../../src/infrastructure/config/rate-limits.schema.js';
import { createRateLimiter } from '../../../src/infrastructure/rate-limit/create-rate-limiter.js';
import { RecordingLogger, textOutput, toolContext, toolDefinition } from '../../support/builders.js';
import { createTestApp, waitFor, type TestApp } from '../../support/test-app.js';

/**
 * The tool-level limits of rate_limits inside ExecuteTool: a slot among the caller's concurrent
 * calls, then its tool-call buckets; a refusal is the retryable rate_limited envelope on every
 * transport. Driven with a scripted limiter (what is asked, in which order, what is given back)
 * and with the real in-memory limiter the composition root builds.
 */
const CI: Principal = Object.freeze({ id: 'key:ci', kind: 'api-key', grants: Grants.everything(), rateLimitClass: 'batch' });

/** A limiter that answers as scripted and records every call, slot and release. */
class ScriptedLimiter implements RateLimiter {
  readonly log: string[] = [];
  readonly keys: RateLimitKey[] = [];
  held = 0;
  slot: 'free' | { retryAfterMs: number; limit: string } = 'free';
  bucket: RateDecision = { allowed: true };

  async request(): Promise<RateDecision> {
    throw new Error('request buckets are the transport\'s');
  }

  async toolCall(key: RateLimitKey, tool: string): Promise<RateDecision> {
    this.keys.push(key);
    this.log.push(`toolCall ${key.principalId} ${tool}`);
    return this.bucket;
  }

  async acquire(key: RateLimitKey) {
    this.keys.push(key);
    this.log.push(`acquire ${key.principalId}`);
    if (this.slot !== 'free') return { allowed: false as const, ...this.slot };
    this.held += 1;
    return {
      release: () => {
        this.held -= 1;
        this.log.push('release');
      },
    };
  }

  describe() {
    return {};
  }
}

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((res) => {
    resolve = res;
  });
  return { promise, resolve };
}

const echo = toolDefinition('echo', async ({ message }) => textOutput(message));
const broken = toolDefinition('broken', async () => {
  throw new Error('boom');
});

async function appWith(limiter: RateLimiter, definitions: ToolDefinition<unknown>[], options: { tasks?: { maxLivePerPrincipal?: number } } = {}): Promise<{ app: TestApp; session: string }> {
  const app = createTestApp({ rateLimiter: limiter, ...(options.tasks ? { tasks: options.tasks } : {}) });
  apps.push(app);
  for (const definition of definitions) await app.commands.execute(new RegisterToolCommand(definition));
  const session = await app.readySession(undefined, CI);
  await app.takeEvents();
  return { app, session };
}

function call(app: TestApp, origin: string | RequestOrigin, tool: string, nested = false, tasks?: { declared: boolean }): Promise<ToolCallOutcome> {
  const scope = typeof origin === 'string' ? origin : `request:${origin.requestId}`;
  return app.commands.execute(new ExecuteToolCommand(origin, tool, { message: 'hi' }, toolContext(scope).context, tasks, nested));
}

function resultOf(outcome: ToolCallOutcome): ToolCallResult {
  if (isToolCallTask(outcome)) throw new Error('unexpected task');
  return outcome;
}

const apps: TestApp[] = [];

afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.tasks?.stop()));
});

describe('ExecuteTool with rate limits (scripted limiter)', () => {
  it('an allowed call - slot, then the tool bucket, keyed by the caller and its class; the slot is given back when the call ends', async () => {
    const limiter = new ScriptedLimiter();
    const { app, session } = await appWith(limiter, [echo]);

    const result = resultOf(await call(app, session, 'echo'));

    expect(result.isError).toBeUndefined();
    expect(limiter.log).toEqual(['acquire key:ci', 'toolCall key:ci echo', 'release']);
    expect(limiter.keys).toEqual([
      { principalId: 'key:ci', limitClass: 'batch' },
      { principalId: 'key:ci', limitClass: 'batch' },
    ]);
    expect(limiter.keys[0]).toBe(limiter.keys[1]);
  });

  it('the tool bucket is empty - the retryable rate_limited envelope with retry_after_ms; the slot goes back and the tool does not run', async () => {
    const limiter = new ScriptedLimiter();
    limiter.bucket = { allowed: false, retryAfterMs: 1234.2, limit: 'rate_limits.tools.echo' };
    let ran = false;
    const { app, session } = await appWith(limiter, [toolDefinition('echo', async () => ((ran = true), textOutput('x')))]);

    const result = resultOf(await call(app, session, 'echo'));

    expect(result.isError).toBe(true);
    expect(result.structuredContent).toEqual({
      error: 'rate_limited',
      reason: 'this caller reached its rate_limits.tools.echo limit; the call was not run',
      suggested_actions: ['wait 1235 ms (retry_after_ms), then call again'],
      retryable: true,
      retry_after_ms: 1235,
      context: { limit: 'rate_limits.tools.echo', retry_after_ms: 1235 },
    });
    expect(ran).toBe(false);
    expect(limiter.held).toBe(0);
    expect(await app.takeEvents()).toEqual([]);
  });

  it('no free slot - refused before any bucket is touched', async () => {
    const limiter = new ScriptedLimiter();
    limiter.slot = { retryAfterMs: 1000, limit: 'rate_limits.default.max_concurrent' };
    const { app, session } = await appWith(limiter, [echo]);

    const result = resultOf(await call(app, session, 'echo'));

    expect(result.structuredContent).toMatchObject({ error: 'rate_limited', retryable: true, retry_after_ms: 1000, context: { limit: 'rate_limits.default.max_concurrent' } });
    expect(limiter.log).toEqual(['acquire key:ci']);
  });

  it('the slot is held while the tool runs and given back when it fails', async () => {
    const limiter = new ScriptedLimiter();
    const gate = deferred();
    const slow = toolDefinition('slow', async () => {
      await gate.promise;
      return textOutput('done');
    });
    const { app, session } = await appWith(limiter, [slow, broken]);

    const running = call(app, session, 'slow');
    await waitFor(() => limiter.held === 1, 'the slot to be taken');
    const failed = resultOf(await call(app, session, 'broken'));
    const heldWhileRunning = limiter.held;
    gate.resolve();
    await running;

    expect(failed.structuredContent).toMatchObject({ error: 'internal error' });
    expect(heldWhileRunning).toBe(1);
    expect(limiter.held).toBe(0);
  });

  it('an unknown tool or a refused grant - nothing is counted', async () => {
    const limiter = new ScriptedLimiter();
    const { app } = await appWith(limiter, [echo]);
    const session = await app.readySession(undefined, { id: 'key:narrow', kind: 'api-key', grants: Grants.parse(['tools:nothing_here']) });

    await expect(call(app, session, 'nothing_here')).rejects.toMatchObject({ code: 'tool.not_found' });
    await call(app, session, 'echo');

    expect(limiter.log).toEqual([]);
  });

  it('a nested call (the conversation loop\'s) - its buckets count, but it takes no second slot', async () => {
    const limiter = new ScriptedLimiter();
    const { app, session } = await appWith(limiter, [echo]);

    await call(app, session, 'echo', true);

    expect(limiter.log).toEqual(['toolCall key:ci echo']);
  });

  it('a call that becomes a task - its slot is held until the task\'s work ends, not until the request is answered', async () => {
    const limiter = new ScriptedLimiter();
    const gate = deferred();
    const long: ToolDefinition<unknown> = {
      ...toolDefinition('long', async () => {
        await gate.promise;
        return textOutput('late');
      }),
      taskSupport: 'optional',
    };
    const { app } = await appWith(limiter, [long], { tasks: {} });
    const origin: RequestOrigin = { principal: CI.id, caller: CI, requestId: 'r-1', protocolVersion: '2026-07-28' };

    const outcome = await call(app, origin, 'long', false, { declared: true });
    const heldAfterAnswer = limiter.held;
    gate.resolve();
    await waitFor(() => limiter.held === 0, 'the slot to be given back');

    expect(isToolCallTask(outcome)).toBe(true);
    expect(heldAfterAnswer).toBe(1);
    expect(limiter.log.filter((line) => line === 'release')).toHaveLength(1);
    expect((await app.takeEvents()).find((e) => e.type === 'task.created')?.actor).toEqual({ id: 'key:ci', kind: 'api-key' });
  });

  it('a task refused by the principal\'s task cap before its work starts - the slot is given back, once', async () => {
    const limiter = new ScriptedLimiter();
    const long: ToolDefinition<unknown> = { ...echo, taskSupport: 'optional' };
    const { app } = await appWith(limiter, [long], { tasks: { maxLivePerPrincipal: 0 } });
    const origin: RequestOrigin = { principal: CI.id, caller: CI, requestId: 'r-2', protocolVersion: '2026-07-28' };

    await expect(call(app, origin, 'echo', false, { declared: true })).rejects.toMatchObject({ code: 'task.limit_reached' });

    expect(limiter.held).toBe(0);
    expect(limiter.log.filter((line) => line === 'release')).toHaveLength(1);
  });
});

describe('ExecuteTool with the real in-memory limiter', () => {
  function memoryLimiter(config: Record<string, unknown>): RateLimiter {
    return createRateLimiter(rateLimitsSchema.parse({ enabled: true, ...config }), { logger: new RecordingLogger() });
  }

  it('max_concurrent 1 - a second call while the first runs is refused retryably; once it ends, calls go through again', async () => {
    const gate = deferred();
    const slow = toolDefinition('slow', async () => {
      await gate.promise;
      return textOutput('done');
    });
    const { app, session } = await appWith(memoryLimiter({ default: { max_concurrent: 1 } }), [slow, echo]);

    const first = call(app, session, 'slow');
    await new Promise((resolve) => setTimeout(resolve, 20));
    const second = resultOf(await call(app, session, 'echo'));
    gate.resolve();
    await first;
    const third = resultOf(await call(app, session, 'echo'));

    expect(second.structuredContent).toMatchObject({ error: 'rate_limited', retryable: true, retry_after_ms: expect.any(Number) });
    expect(third.isError).toBeUndefined();
  });

  it('a tool\'s own bucket (rate_limits.tools.<name>) - the call after the burst is refused with the wait; another tool and another caller are not', async () => {
    const { app, session } = await appWith(memoryLimiter({ tools: { echo: { calls_per_minute: 2 } } }), [echo, toolDefinition('other', async () => textOutput('o'))]);
    const neighbour = await app.readySession(undefined, { id: 'key:neighbour', kind: 'api-key', grants: Grants.everything() });

    const results = [];
    for (let i = 0; i < 3; i += 1) results.push(resultOf(await call(app, session, 'echo')));
    const other = resultOf(await call(app, session, 'other'));
    const theirs = resultOf(await call(app, neighbour, 'echo'));

    expect(results.map((r) => r.isError === true)).toEqual([false, false, true]);
    expect(results[2].structuredContent).toMatchObject({ error: 'rate_limited', context: { limit: expect.stringContaining('echo') } });
    expect((results[2].structuredContent as { retry_after_ms: number }).retry_after_ms).toBeGreaterThan(0);
    expect(other.isError).toBeUndefined();
    expect(theirs.isError).toBeUndefined();
  });
});
