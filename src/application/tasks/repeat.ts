import type { Logger } from '../ports/logger.js';

/**
 * Runs `tick` every `ms` on an unref'd timer (it never keeps the process alive). A tick still
 * running when the next is due is not doubled, and a failing tick is logged once per outage (and
 * its recovery once), not once per interval.
 */
export function repeat(ms: number, name: string, logger: Logger, tick: () => Promise<unknown>): NodeJS.Timeout {
  let running = false;
  let failing = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    tick()
      .then(() => {
        if (failing) logger.info(`${name} works again`);
        failing = false;
      })
      .catch((error: unknown) => {
        if (!failing) logger.warn(`${name} failed; will keep trying`, { error: error instanceof Error ? error.message : String(error) });
        failing = true;
      })
      .finally(() => {
        running = false;
      });
  }, ms);
  timer.unref();
  return timer;
}
