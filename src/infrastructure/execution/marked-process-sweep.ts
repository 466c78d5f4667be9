import { readdirSync, readFileSync } from 'node:fs';

/** The variable that tags a run's processes when no PID namespace holds them. */
export const EXECUTION_MARKER = 'TFO_MCP_EXECUTION_ID';

/**
 * Without a PID namespace, `setsid -f` or a double fork leaves the process group; what still ties
 * those processes to their run is the environment they inherited. Signals every process of ours
 * whose environment carries the run's marker. Best effort: a program that clears its environment
 * escapes this sweep, which is why the health check reports this mode as degraded.
 */
export function killMarkedProcesses(markerValue: string, signal: NodeJS.Signals): number {
  if (process.platform !== 'linux') return 0;
  const needle = Buffer.from(`\0${EXECUTION_MARKER}=${markerValue}\0`);
  let killed = 0;
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return 0;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const environ = Buffer.concat([Buffer.from([0]), readFileSync(`/proc/${entry}/environ`)]);
      if (environ.indexOf(needle) < 0) continue;
      process.kill(Number(entry), signal);
      killed += 1;
    } catch {
      // Gone, or not ours to read or signal.
    }
  }
  return killed;
}
