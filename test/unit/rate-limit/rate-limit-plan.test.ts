import { rateLimitsSchema } from '../../../src/infrastructure/config/rate-limits.schema.js';
import { bucket, planRateLimits } from '../../../src/infrastructure/rate-limit/rate-limit-plan.js';

describe('rate_limits schema – defaults and refusals', () => {
  it('empty section – off, memory store, fail open, the documented default class, no classes or tools', () => {
    expect(rateLimitsSchema.parse({})).toEqual({
      enabled: false,
      store: 'memory',
      fail_open: true,
      store_timeout_ms: 250,
      concurrency_lease_ms: 900_000,
      default: { requests_per_minute: 600, burst: 60, tool_calls_per_minute: 300, max_concurrent: 16 },
      classes: {},
      tools: {},
    });
  });

  it('environment strings – numbers and booleans are coerced, a class keeps only the keys it sets', () => {
    const parsed = rateLimitsSchema.parse({
      enabled: 'true',
      store: 'redis',
      fail_open: 'off',
      classes: { free: { requests_per_minute: '60' } },
      tools: { execute_command: { calls_per_minute: '10', burst: '2' } },
    });
    expect(parsed.enabled).toBe(true);
    expect(parsed.fail_open).toBe(false);
    expect(parsed.classes).toEqual({ free: { requests_per_minute: 60 } });
    expect(parsed.tools).toEqual({ execute_command: { calls_per_minute: 10, burst: 2 } });
  });

  it.each([
    ['an unknown key', { default: { requests_per_second: 1 } }, 'default'],
    ['a class name in upper case (the env form could not name it)', { classes: { Free: {} } }, 'classes'],
    ['a class name with ":"', { classes: { 'a:b': {} } }, 'classes'],
    ['a negative rate', { default: { requests_per_minute: -1 } }, 'default'],
    ['a burst of 0', { default: { burst: 0 } }, 'default'],
    ['a tool without calls_per_minute', { tools: { read_file: { burst: 3 } } }, 'tools'],
    ['a tool with calls_per_minute 0', { tools: { read_file: { calls_per_minute: 0 } } }, 'tools'],
    ['an unknown store', { store: 'postgres' }, 'store'],
  ])('%s – refused, naming the key', (_name, section, key) => {
    const result = rateLimitsSchema.safeParse(section);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path[0]).toBe(key);
  });
});

describe('bucket – burst and rate become a fixed window of whole seconds', () => {
  it.each([
    // perMinute, burst → points, windowS
    [600, 60, 60, 6],
    [60, 60, 60, 60],
    [120, 2, 2, 1],
    [100, 15, 15, 9],
    [30, 1_000, 30, 60], // a burst above the rate is one minute's worth
    [1_000, 10, 17, 1], // no window under a second: the burst a second earns
  ])('%i a minute, burst %i – %i points per %i s', (perMinute, burst, points, windowS) => {
    expect(bucket('req:x', 'limit', perMinute, burst)).toMatchObject({ points, windowS, perMinute });
  });

  it('0 a minute – no bucket (no limit)', () => {
    expect(bucket('req:x', 'limit', 0, 10)).toBeUndefined();
  });

  it('the sustained rate never exceeds the per-minute figure by more than rounding', () => {
    for (const [perMinute, burst] of [[7, 5], [600, 60], [100, 15], [1, 1], [59, 3]] as const) {
      const spec = bucket('req:x', 'limit', perMinute, burst)!;
      expect((spec.points * 60) / spec.windowS).toBeLessThanOrEqual(perMinute * 1.05);
    }
  });
});

describe('planRateLimits – classes inherit from default, limits are named where they were set', () => {
  const plan = planRateLimits(
    rateLimitsSchema.parse({
      enabled: true,
      default: { requests_per_minute: 600, burst: 60, tool_calls_per_minute: 0, max_concurrent: 4 },
      classes: { free: { requests_per_minute: 60, max_concurrent: 0 }, default: { burst: 5 } },
      tools: { 'execute_command': { calls_per_minute: 10 }, 'odd:name': { calls_per_minute: 5, burst: 1 } },
    }),
  );

  it('no class – the default class', () => {
    const { limits, known } = plan.classFor(undefined);
    expect(known).toBe(true);
    expect(limits.requests).toMatchObject({ limit: 'rate_limits.default.requests_per_minute', points: 60, windowS: 6, id: 'req:default' });
    expect(limits.toolCalls).toBeUndefined();
    expect(limits.concurrency).toEqual({ limit: 'rate_limits.default.max_concurrent', max: 4 });
  });

  it('a class – its own values named under classes.<name>, inherited ones under default; 0 lifts a limit', () => {
    const { limits, known } = plan.classFor('free');
    expect(known).toBe(true);
    // burst 60 inherited, capped at the class's 60 a minute: one-minute windows.
    expect(limits.requests).toMatchObject({ limit: 'rate_limits.classes.free.requests_per_minute', points: 60, windowS: 60, id: 'req:class:free' });
    expect(limits.concurrency).toBeUndefined();
  });

  it('a class named "default" – its own buckets, apart from the default section', () => {
    const { limits } = plan.classFor('default');
    // burst 5 at 600 a minute is half a second: one second's 10 instead.
    expect(limits.requests).toMatchObject({ id: 'req:class:default', limit: 'rate_limits.default.requests_per_minute', points: 10, windowS: 1 });
  });

  it('an unconfigured class – the default class, known false', () => {
    const { limits, known } = plan.classFor('gold');
    expect(known).toBe(false);
    expect(limits.requests?.id).toBe('req:default');
  });

  it('tools – per-tool buckets; a name with ":" is encoded in the id, not in the limit', () => {
    expect(plan.tool('execute_command')).toMatchObject({ limit: 'rate_limits.tools.execute_command.calls_per_minute', points: 10, windowS: 60 });
    expect(plan.tool('odd:name')).toMatchObject({ id: 'tool:odd%3Aname', limit: 'rate_limits.tools.odd:name.calls_per_minute', points: 1, windowS: 12 });
    expect(plan.tool('read_file')).toBeUndefined();
  });

  it('describe – effective values with windows, "unlimited" where 0 was set', () => {
    expect(plan.describe()).toEqual({
      default: { requests_per_minute: 600, burst: 60, window_s: 6, tool_calls_per_minute: 'unlimited', max_concurrent: 4 },
      classes: {
        free: { requests_per_minute: 60, burst: 60, window_s: 60, tool_calls_per_minute: 'unlimited', max_concurrent: 'unlimited' },
        default: { requests_per_minute: 600, burst: 10, window_s: 1, tool_calls_per_minute: 'unlimited', max_concurrent: 4 },
      },
      tools: {
        'execute_command': { calls_per_minute: 10, burst: 10, window_s: 60 },
        'odd:name': { calls_per_minute: 5, burst: 1, window_s: 12 },
      },
    });
  });

  it('disabled – no class or tool has a bucket', () => {
    const off = planRateLimits(rateLimitsSchema.parse({ tools: { read_file: { calls_per_minute: 1 } } }));
    expect(off.enabled).toBe(false);
    expect(off.classFor(undefined).limits).toEqual({ name: 'default' });
    expect(off.tool('read_file')).toBeUndefined();
  });
});
