import { HealthTimeout, withinDeadline } from '../../../src/infrastructure/health/within-deadline.js';

describe('withinDeadline', () => {
  it('work settling in time - its value, or its own error', async () => {
    await expect(withinDeadline(1_000, Promise.resolve(42))).resolves.toBe(42);
    await expect(withinDeadline(1_000, Promise.reject(new Error('refused')))).rejects.toThrow('refused');
  });

  it('work still pending at the deadline - HealthTimeout naming the limit; its late rejection is not unhandled', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    let fail!: (error: Error) => void;
    const hung = new Promise<never>((_, reject) => (fail = reject));

    const outcome = await withinDeadline(20, hung).catch((error: unknown) => error);
    fail(new Error('too late'));
    await new Promise((resolve) => setImmediate(resolve));
    process.off('unhandledRejection', onUnhandled);

    expect(outcome).toBeInstanceOf(HealthTimeout);
    expect((outcome as HealthTimeout).message).toBe('no answer within 20 ms');
    expect(unhandled).toEqual([]);
  });
});
