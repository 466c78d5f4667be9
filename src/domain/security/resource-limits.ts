/** execution.security's time, output and resource keys, after the backend's overrides. */
export interface ResourceLimitOptions {
  readonly defaultTimeoutMs: number;
  readonly maxTimeoutMs: number;
  /** max_execution_time: a ceiling under max_timeout where one is set. */
  readonly maxExecutionTimeMs?: number;
  readonly maxOutputBytes: number;
  readonly maxMemoryBytes?: number;
  readonly maxCpus?: number;
  readonly maxProcesses?: number;
}

/** What one run gets; `limits` has the shape of the Executor port's ExecutionLimits. */
export interface RunLimits {
  readonly timeoutMs: number;
  /** The most a caller could have asked for (what a timeout error suggests). */
  readonly maxTimeoutMs: number;
  readonly maxOutputBytes: number;
  readonly limits: { readonly maxMemoryBytes?: number; readonly maxCpus?: number; readonly maxProcesses?: number };
}

/** The caller's timeout (or the default), never above max_command_timeout_ms nor max_execution_time. */
export function runLimits(options: ResourceLimitOptions, requestedTimeoutMs?: number): RunLimits {
  const maxTimeoutMs = Math.min(options.maxTimeoutMs, options.maxExecutionTimeMs ?? Number.POSITIVE_INFINITY);
  const timeoutMs = Math.min(requestedTimeoutMs ?? options.defaultTimeoutMs, maxTimeoutMs);
  const limits = {
    ...(options.maxMemoryBytes !== undefined ? { maxMemoryBytes: options.maxMemoryBytes } : {}),
    ...(options.maxCpus !== undefined ? { maxCpus: options.maxCpus } : {}),
    ...(options.maxProcesses !== undefined ? { maxProcesses: options.maxProcesses } : {}),
  };
  return { timeoutMs, maxTimeoutMs, maxOutputBytes: options.maxOutputBytes, limits };
}
