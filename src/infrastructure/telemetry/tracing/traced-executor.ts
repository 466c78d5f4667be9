import type { ExecutionRequest, ExecutionResult, Executor } from '../../../application/ports/executor.js';
import type { Tracer } from '../../../application/ports/tracer.js';

/**
 * An execution backend whose runs are spans (`execute <backend>`), with the exit code and whether
 * it timed out; never the command line, its environment or its output, which may hold anything.
 */
export function tracedExecutor(inner: Executor, tracer: Tracer): Executor {
  const traced: Executor = {
    backend: inner.backend,
    isolation: inner.isolation,
    execute: (request: ExecutionRequest) =>
      tracer.executorRun(inner.backend, async (span): Promise<ExecutionResult> => {
        const result = await inner.execute(request);
        span.setAttribute('tfo.execution.exit_code', result.exitCode ?? -1);
        span.setAttribute('tfo.execution.timed_out', result.timedOut);
        return result;
      }),
    shutdown: () => inner.shutdown(),
  };
  if (inner.health) traced.health = inner.health.bind(inner);
  if (inner.which) traced.which = inner.which.bind(inner);
  return traced;
}
