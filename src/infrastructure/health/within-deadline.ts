/** Rejected by `withinDeadline` when the work has not settled in time. */
export class HealthTimeout extends Error {
  constructor(readonly timeoutMs: number) {
    super(`no answer within ${timeoutMs} ms`);
    this.name = 'HealthTimeout';
  }
}

/**
 * `work`, or a HealthTimeout after `timeoutMs`: a hung dependency reports down instead of stalling
 * the health report. A late rejection of `work` is swallowed (nobody awaits it any more).
 */
export async function withinDeadline<T>(timeoutMs: number, work: Promise<T>): Promise<T> {
  work.catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new HealthTimeout(timeoutMs)), timeoutMs);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
