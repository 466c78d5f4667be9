import type { ExecutionResult } from '../../application/ports/executor.js';

/** A run cancelled before it produced anything (or before it started: `durationMs` 0), on any backend. */
export function cancelledRun(durationMs = 0): ExecutionResult {
  return {
    exitCode: null,
    signal: null,
    stdout: '',
    stderr: '',
    stdoutTruncated: false,
    stderrTruncated: false,
    timedOut: false,
    cancelled: true,
    durationMs: Math.round(durationMs),
  };
}
