/** Rejected by `withinDeadline` when the work has not settled in time. */
export class HealthTimeout extends Error {
  constructor(readonly timeoutMs: number) {
    super(`no answer within ${timeoutMs} ms`);
    this.name = 'HealthTimeout';
  }
}

/**
 * `work`, or a HealthTimeout after `timeoutMs`: a hung dependency reports down instead of stalling
 * the health report. Every deadline of a health check goes through here, so a timeout reads the same
 * in every component. Work that can be cancelled takes the signal, which is aborted (with the
 * HealthTimeout as its reason) when the deadline passes, so a hung request does not linger. A late
 * rejection of `work` is swallowed (nobody awaits it any more).
 */
export async function withinDeadline<T>(timeoutMs: number, work: Promise<T> | ((signal: AbortSignal) => Promise<T>)): Promise<T> {
  const abort = new AbortController();
  const running = typeof work === 'function' ? work(abort.signal) : work;
  running.catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const late = new HealthTimeout(timeoutMs);
      // Rejected first: whatever the abort makes `work` do, the caller is told of the deadline.
      reject(late);
      abort.abort(late);
    }, timeoutMs);
  });
  try {
    return await Promise.race([running, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
