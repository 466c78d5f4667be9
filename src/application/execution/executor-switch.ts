import type { Logger } from '../ports/logger.js';
import type { ExecutionIsolation, ExecutionRequest, ExecutionResult, Executor, ExecutorHealth, LookupContext, ProgramLookup } from '../ports/executor.js';

/**
 * The Executor the tools hold: it delegates to the backend the configuration chose, and a config
 * reload replaces that backend without a restart. A run keeps the backend it started on; a
 * replaced backend is shut down once its last run has finished, so nothing in flight is killed
 * by a switch.
 */
export class ExecutorSwitch implements Executor {
  private current: Executor;
  private readonly running = new Map<Executor, number>();
  private readonly retired = new Set<Executor>();

  constructor(initial: Executor, private readonly logger: Logger) {
    this.current = initial;
  }

  get backend(): string {
    return this.current.backend;
  }

  get isolation(): ExecutionIsolation {
    return this.current.isolation;
  }

  async execute(request: ExecutionRequest): Promise<ExecutionResult> {
    const target = this.current;
    this.running.set(target, (this.running.get(target) ?? 0) + 1);
    try {
      return await target.execute(request);
    } finally {
      const left = (this.running.get(target) ?? 1) - 1;
      if (left > 0) this.running.set(target, left);
      else this.running.delete(target);
      if (left <= 0 && this.retired.has(target)) this.retire(target);
    }
  }

  async health(signal?: AbortSignal): Promise<ExecutorHealth> {
    const target = this.current;
    if (target.health) return target.health(signal);
    return { backend: target.backend, status: target.isolation.contained ? 'up' : 'degraded', details: { isolation: target.isolation.description } };
  }

  /** A backend without a lookup says so rather than guess: "unknown" is an honest answer. */
  async which(command: string, where: LookupContext): Promise<ProgramLookup> {
    const target = this.current;
    if (target.which) return target.which(command, where);
    return { status: 'unknown', reason: `the ${target.backend} backend cannot look a program up without running it` };
  }

  /** New runs go to `next`; the old backend finishes what it runs, then shuts down. */
  replace(next: Executor): void {
    const previous = this.current;
    if (previous === next) return;
    this.current = next;
    const inFlight = this.running.get(previous) ?? 0;
    this.logger.info('execution backend switched', { from: previous.backend, to: next.backend, runsFinishingOnPrevious: inFlight });
    this.retired.add(previous);
    if (inFlight === 0) this.retire(previous);
  }

  async shutdown(): Promise<void> {
    const all = [this.current, ...this.retired];
    this.retired.clear();
    await Promise.all(all.map((executor) => executor.shutdown()));
  }

  private retire(executor: Executor): void {
    this.retired.delete(executor);
    executor.shutdown().catch((error: unknown) => this.logger.warn('shutting down the previous execution backend failed', { backend: executor.backend, error: String(error) }));
  }
}
