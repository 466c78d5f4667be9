import { HealthTimeout, withinDeadline } from '../../../src/application/health/within-deadline.js';

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

  it('cancellable work settling in time - its value; its signal is never aborted', async () => {
    let seen: AbortSignal | undefined;

    const value = await withinDeadline(1_000, async (signal) => {
      seen = signal;
      return 'pong';
    });
    await new Promise((resolve) => setTimeout(resolve, 5));

    expect(value).toBe('pong');
    expect(seen?.aborted).toBe(false);
  });

  it('cancellable work still pending at the deadline - its signal aborted with the HealthTimeout; the caller gets the HealthTimeout, not the abort error', async () => {
    let seen: AbortSignal | undefined;
    // Like an HTTP client: rejects with its own error as soon as it is aborted.
    const work = (signal: AbortSignal) =>
      new Promise<never>((_, reject) => {
        seen = signal;
        signal.addEventListener('abort', () => reject(new Error('request aborted')));
      });

    const outcome = await withinDeadline(20, work).catch((error: unknown) => error);

    expect(outcome).toBeInstanceOf(HealthTimeout);
    expect((outcome as HealthTimeout).message).toBe('no answer within 20 ms');
    expect(seen?.aborted).toBe(true);
    expect(seen?.reason).toBe(outcome);
  });
});
