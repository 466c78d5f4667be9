import { z } from 'zod';
import type { HealthReport } from '../health/get-health.query.js';
import { HealthTimeout, withinDeadline } from '../health/within-deadline.js';
import type { Executor, ExecutorHealth } from '../ports/executor.js';
import { defineTool, outputSchemaOf, structured } from './define-tool.js';
import type { ToolDefinition, ToolFamily, ToolOutput } from './tool-definition.js';
import { toToolFailure } from './tool-failures.js';

/** A dead docker engine, ssh host or agent must answer "down" quickly, not hold the call. */
const DEFAULT_BACKEND_DEADLINE_MS = 2000;

type Status = 'up' | 'degraded' | 'down';
const status = z.enum(['up', 'degraded', 'down']);

const input = z.object({});
const output = z.object({
  status: status.describe('the worse of the server and the execution backend'),
  server: z.object({
    status,
    name: z.string(),
    version: z.string(),
    uptimeSeconds: z.number(),
    sessions: z.record(z.string(), z.number()).nullable(),
    components: z.array(z.object({ name: z.string(), status, detail: z.string().optional() })),
    checkedAt: z.string(),
  }),
  execution: z.object({
    backend: z.string(),
    status,
    details: z.record(z.string(), z.unknown()),
    checked_in_ms: z.number(),
  }),
});

const RANK: Readonly<Record<Status, number>> = { up: 0, degraded: 1, down: 2 };

/**
 * `get_system_status`: the server's health (the same report as status://health) and the health of
 * the execution backend in use, each bounded, so the answer comes back whatever is down: that is
 * how an operator, or a model, finds out what is.
 */
export class SystemStatusTools implements ToolFamily {
  private readonly definitions: readonly ToolDefinition<unknown>[];

  constructor(
    private readonly report: () => Promise<HealthReport>,
    private readonly executor: Pick<Executor, 'backend' | 'health'>,
    private readonly backendDeadlineMs = DEFAULT_BACKEND_DEADLINE_MS,
  ) {
    this.definitions = [this.getSystemStatus()];
  }

  tools(): readonly ToolDefinition<unknown>[] {
    return this.definitions;
  }

  private getSystemStatus(): ToolDefinition<unknown> {
    return defineTool<z.infer<typeof input>>({
      props: {
        name: 'get_system_status',
        title: 'System status',
        description:
          'Reports the health of this server (its components, as in status://health) and of the execution backend ' +
          'execute_command uses now (native, docker, ssh or host_agent): reachability and what it enforces here. ' +
          `A backend that does not answer within ${this.backendDeadlineMs} ms is reported down. Values change between calls.`,
        outputSchema: () => outputSchemaOf(output),
        annotations: { title: 'System status', readOnlyHint: true, destructiveHint: false, idempotentHint: false, openWorldHint: false },
      },
      input,
      run: () => this.run(),
    });
  }

  private async run(): Promise<ToolOutput> {
    try {
      const [server, execution] = await Promise.all([this.report(), this.timedBackendHealth()]);
      const overall = RANK[execution.status] > RANK[server.status] ? execution.status : server.status;
      return structured({ status: overall, server: { ...server }, execution });
    } catch (error) {
      throw toToolFailure(error);
    }
  }

  private async timedBackendHealth(): Promise<ExecutorHealth & { checked_in_ms: number }> {
    const started = Date.now();
    const health = await this.backendHealth();
    return { ...health, checked_in_ms: Date.now() - started };
  }

  /** A check's own error text may carry driver details; only the deadline is worth repeating. */
  private async backendHealth(): Promise<ExecutorHealth> {
    const { executor } = this;
    if (!executor.health) return { backend: executor.backend, status: 'up', details: { note: 'this backend reports no health of its own' } };
    const health = executor.health.bind(executor);
    try {
      return await withinDeadline(this.backendDeadlineMs, (signal) => health(signal));
    } catch (error) {
      const problem = error instanceof HealthTimeout ? `no answer within ${error.timeoutMs} ms` : 'health check failed';
      return { backend: executor.backend, status: 'down', details: { problem } };
    }
  }
}
