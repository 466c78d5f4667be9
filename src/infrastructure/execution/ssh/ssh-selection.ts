import type { SshHost } from './ssh-host.js';

export type SshStrategy = 'least_busy' | 'round_robin';

/**
 * The order in which to try `pool` for one run. `round_robin` starts at the host after the last one
 * picked (in configuration order) and returns the new cursor; `least_busy` starts with the host holding
 * the fewest runs, then the lowest share of its `maxConcurrent`, then configuration order.
 */
export function pickOrder(
  strategy: SshStrategy,
  pool: readonly SshHost[],
  all: readonly SshHost[],
  cursor: number,
): { order: SshHost[]; next: number } {
  const index = (host: SshHost): number => all.indexOf(host);
  if (strategy === 'least_busy') {
    const load = (host: SshHost): number => host.busy / host.config.maxConcurrent;
    const order = [...pool].sort((a, b) => a.busy - b.busy || load(a) - load(b) || index(a) - index(b));
    return { order, next: cursor };
  }
  const n = all.length;
  const distance = (host: SshHost): number => (index(host) - cursor + n) % n;
  const order = [...pool].sort((a, b) => distance(a) - distance(b));
  const first = order.find((host) => host.hasRoom) ?? order[0];
  return { order, next: first ? (index(first) + 1) % n : cursor };
}
