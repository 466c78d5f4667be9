import type { RateDecision, RateLimiter } from '../../../src/application/ports/rate-limiter.js';
import { rateLimitsSchema } from '../../../src/infrastructure/config/rate-limits.schema.js';
import { createRateLimiter } from '../../../src/infrastructure/rate-limit/create-rate-limiter.js';
import { RecordingLogger } from '../../support/builders.js';

/**
 * The limiter on its memory store. Windows are one second (120 a minute with a burst of 2), the
 * shortest a bucket can have, so refills are waited out for real.
 */
const ALICE = { principalId: 'key:alice' };
const BOB = { principalId: 'key:bob' };

function limiter(section: Record<string, unknown>, logger = new RecordingLogger()): RateLimiter {
  return createRateLimiter(rateLimitsSchema.parse({ enabled: true, ...section }), { logger });
}

async function times(n: number, call: () => Promise<RateDecision>): Promise<RateDecision[]> {
  const decisions: RateDecision[] = [];
  for (let i = 0; i < n; i += 1) decisions.push(await call());
  return decisions;
}

const allowedCount = (decisions: RateDecision[]) => decisions.filter((d) => d.allowed).length;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function refusal(decision: RateDecision): { retryAfterMs: number; limit: string } {
  if (decision.allowed) throw new Error('expected a refusal, the call was allowed');
  return decision;
}

describe('memory rate limiter – request buckets', () => {
  it('a burst of 2 – two pass, the third is refused naming the limit, with retryAfterMs within the 1 s window', async () => {
    const limits = limiter({ default: { requests_per_minute: 120, burst: 2 } });
    const decisions = await times(3, () => limits.request(ALICE));
    expect(decisions.slice(0, 2)).toEqual([{ allowed: true }, { allowed: true }]);
    const refused = refusal(decisions[2]!);
    expect(refused.limit).toBe('rate_limits.default.requests_per_minute');
    expect(refused.retryAfterMs).toBeGreaterThan(0);
    expect(refused.retryAfterMs).toBeLessThanOrEqual(1_000);
  });

  it('refill – after retryAfterMs the bucket is full again (and no fuller)', async () => {
    const limits = limiter({ default: { requests_per_minute: 120, burst: 2 } });
    await times(2, () => limits.request(ALICE));
    const refused = refusal(await limits.request(ALICE));
    await sleep(refused.retryAfterMs + 30);
    expect(allowedCount(await times(3, () => limits.request(ALICE)))).toBe(2);
  });

  it('a larger burst – that many back to back, then refused', async () => {
    const limits = limiter({ default: { requests_per_minute: 600, burst: 10 } });
    const decisions = await times(12, () => limits.request(ALICE));
    expect(allowedCount(decisions)).toBe(10);
    expect(decisions[10]!.allowed).toBe(false);
  });

  it('one principal exhausted – another is untouched', async () => {
    const limits = limiter({ default: { requests_per_minute: 120, burst: 2 } });
    await times(5, () => limits.request(ALICE));
    expect(await times(2, () => limits.request(BOB))).toEqual([{ allowed: true }, { allowed: true }]);
  });

  it('classes – a principal is counted by its class, its refusal names the class key', async () => {
    const limits = limiter({ default: { requests_per_minute: 600, burst: 60 }, classes: { free: { requests_per_minute: 60, burst: 1 } } });
    const free = { principalId: 'key:free-user', limitClass: 'free' };
    const decisions = await times(2, () => limits.request(free));
    expect(decisions[0]).toEqual({ allowed: true });
    expect(refusal(decisions[1]!).limit).toBe('rate_limits.classes.free.requests_per_minute');
    expect(allowedCount(await times(5, () => limits.request(ALICE)))).toBe(5);
  });

  it('requests_per_minute 0 – never refused', async () => {
    const limits = limiter({ default: { requests_per_minute: 0, burst: 1 } });
    expect(allowedCount(await times(200, () => limits.request(ALICE)))).toBe(200);
  });

  it('an unconfigured class – the default class applies, with one warning per class name', async () => {
    const logger = new RecordingLogger();
    const limits = limiter({ default: { requests_per_minute: 120, burst: 2 } }, logger);
    const gold = { principalId: 'key:g', limitClass: 'gold' };
    const decisions = await times(3, () => limits.request(gold));
    expect(refusal(decisions[2]!).limit).toBe('rate_limits.default.requests_per_minute');
    const warnings = logger.at('warn');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ message: 'rate limit class not configured; rate_limits.default applies', fields: { class: 'gold', component: 'rate-limit' } });
  });

  it('disabled – nothing is refused, whatever the limits say', async () => {
    const limits = createRateLimiter(rateLimitsSchema.parse({ default: { requests_per_minute: 1, burst: 1, max_concurrent: 1 } }), {
      logger: new RecordingLogger(),
    });
    expect(allowedCount(await times(20, () => limits.request(ALICE)))).toBe(20);
    const first = await limits.acquire(ALICE);
    const second = await limits.acquire(ALICE);
    expect('release' in first && 'release' in second).toBe(true);
    expect(limits.describe()).toEqual({ enabled: false });
  });
});

describe('memory rate limiter – tool calls', () => {
  const section = {
    default: { requests_per_minute: 0, tool_calls_per_minute: 180, burst: 3 }, // 3 per 1 s
    tools: { execute_command: { calls_per_minute: 60, burst: 1 } },
  };

  it('per-tool bucket – the tool is refused after its burst, naming the tool key; other tools still pass', async () => {
    const limits = limiter(section);
    expect(await limits.toolCall(ALICE, 'execute_command')).toEqual({ allowed: true });
    const refused = refusal(await limits.toolCall(ALICE, 'execute_command'));
    expect(refused.limit).toBe('rate_limits.tools.execute_command.calls_per_minute');
    // 60 a minute with a burst of 1: one call per 1 s window.
    expect(refused.retryAfterMs).toBeGreaterThan(0);
    expect(refused.retryAfterMs).toBeLessThanOrEqual(1_000);
    expect(await limits.toolCall(ALICE, 'read_file')).toEqual({ allowed: true });
  });

  it('class tool-call bucket – every tool counts against it, naming tool_calls_per_minute', async () => {
    const limits = limiter(section);
    const decisions = [await limits.toolCall(ALICE, 'read_file'), await limits.toolCall(ALICE, 'list_directory'), await limits.toolCall(ALICE, 'read_file')];
    expect(allowedCount(decisions)).toBe(3);
    expect(refusal(await limits.toolCall(ALICE, 'system_info')).limit).toBe('rate_limits.default.tool_calls_per_minute');
  });

  it('a call the tool bucket refuses costs nothing from the class bucket', async () => {
    const limits = limiter(section);
    await limits.toolCall(ALICE, 'execute_command');
    for (let i = 0; i < 5; i += 1) expect((await limits.toolCall(ALICE, 'execute_command')).allowed).toBe(false);
    // One of the class's 3 was spent by the allowed execute_command; the five refused ones gave theirs back.
    expect(allowedCount(await times(3, () => limits.toolCall(ALICE, 'read_file')))).toBe(2);
  });

  it('per-tool buckets are per principal', async () => {
    const limits = limiter(section);
    await limits.toolCall(ALICE, 'execute_command');
    expect((await limits.toolCall(ALICE, 'execute_command')).allowed).toBe(false);
    expect(await limits.toolCall(BOB, 'execute_command')).toEqual({ allowed: true });
  });

  it('tool calls do not spend the request bucket', async () => {
    const limits = limiter({ default: { requests_per_minute: 120, tool_calls_per_minute: 600, burst: 2 } });
    await times(5, () => limits.toolCall(ALICE, 'read_file'));
    expect(await limits.request(ALICE)).toEqual({ allowed: true });
  });
});

describe('memory rate limiter – concurrency', () => {
  const section = { default: { max_concurrent: 2 }, classes: { solo: { max_concurrent: 1 } } };

  it('max_concurrent 2 – the third is refused naming the key; a release lets one more in', async () => {
    const limits = limiter(section);
    const a = await limits.acquire(ALICE);
    const b = await limits.acquire(ALICE);
    const c = await limits.acquire(ALICE);
    expect(c).toEqual({ allowed: false, retryAfterMs: 1_000, limit: 'rate_limits.default.max_concurrent' });
    if (!('release' in a) || !('release' in b)) throw new Error('expected two slots');
    a.release();
    const d = await limits.acquire(ALICE);
    expect('release' in d).toBe(true);
  });

  it('a slot released twice frees one slot, not two', async () => {
    const limits = limiter(section);
    const a = await limits.acquire(ALICE);
    const b = await limits.acquire(ALICE);
    if (!('release' in a) || !('release' in b)) throw new Error('expected two slots');
    a.release();
    a.release();
    expect('release' in (await limits.acquire(ALICE))).toBe(true);
    expect(await limits.acquire(ALICE)).toMatchObject({ allowed: false, limit: 'rate_limits.default.max_concurrent' });
  });

  it('slots are per principal and per class', async () => {
    const limits = limiter(section);
    const solo = { principalId: 'key:solo', limitClass: 'solo' };
    expect('release' in (await limits.acquire(solo))).toBe(true);
    expect(await limits.acquire(solo)).toMatchObject({ allowed: false, limit: 'rate_limits.classes.solo.max_concurrent' });
    expect('release' in (await limits.acquire(ALICE))).toBe(true);
    expect('release' in (await limits.acquire(BOB))).toBe(true);
  });

  it('max_concurrent 0 – no cap', async () => {
    const limits = limiter({ default: { max_concurrent: 0 } });
    const held = await Promise.all(Array.from({ length: 50 }, () => limits.acquire(ALICE)));
    expect(held.every((slot) => 'release' in slot)).toBe(true);
  });
});

describe('memory rate limiter – describe', () => {
  it('the store, fail_open, the store state and the effective limits', () => {
    const limits = limiter({ fail_open: false, classes: { free: { requests_per_minute: 60 } }, tools: { read_file: { calls_per_minute: 30 } } });
    expect(limits.describe()).toEqual({
      enabled: true,
      store: 'memory',
      fail_open: false,
      store_state: 'up',
      default: { requests_per_minute: 600, burst: 60, window_s: 6, tool_calls_per_minute: 300, tool_calls_burst: 60, tool_calls_window_s: 12, max_concurrent: 16 },
      classes: {
        free: { requests_per_minute: 60, burst: 60, window_s: 60, tool_calls_per_minute: 300, tool_calls_burst: 60, tool_calls_window_s: 12, max_concurrent: 16 },
      },
      tools: { read_file: { calls_per_minute: 30, burst: 30, window_s: 60 } },
    });
  });
});
