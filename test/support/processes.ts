import { readdirSync, readFileSync } from 'node:fs';

/** Live (non-zombie) processes on this machine whose argv contains `marker` as one argument. */
export function processesWithArg(marker: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (!readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').includes(marker)) continue;
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (!stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) found.push(Number(entry));
    } catch {
      // Ended while we looked.
    }
  }
  return found;
}
