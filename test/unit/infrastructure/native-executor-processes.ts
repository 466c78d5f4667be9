import { readdirSync, readFileSync } from 'node:fs';

/**
 * Live (non-zombie) processes anywhere on the machine whose argv contains `marker`. Runs in a PID
 * namespace report namespace PIDs, so tests find escaped processes by a unique argument instead
 * (e.g. `sleep 901.4837`). PID 1 here reaps orphans only every ~2 s, so zombies count as gone.
 */
export function markedProcesses(marker: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (!argv.includes(marker)) continue;
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) continue;
      found.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return found;
}

/** Polls until no live process carries `marker`; returns the survivors at the deadline. */
export async function survivorsAfter(marker: string, withinMs: number): Promise<number[]> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const left = markedProcesses(marker);
    if (left.length === 0 || Date.now() >= deadline) return left;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A `sleep` duration no other process on the machine uses: the marker for one test's escapee. */
export function uniqueSleep(): string {
  return `${900 + Math.floor(Math.random() * 90)}.${process.pid}${Math.floor(Math.random() * 1e6)}`;
}

/** Waits until a process carrying `marker` is running (the escape really happened). */
export async function appeared(marker: string, withinMs = 3000): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  while (Date.now() < deadline) {
    if (markedProcesses(marker).length > 0) return true;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return false;
}
