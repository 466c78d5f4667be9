import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import type { Executor, ExecutorHealth } from '../../application/ports/executor.js';
import type { ComponentHealth, HealthCheck } from '../../application/ports/health.js';
import type { InMemoryOutbox } from '../persistence/memory/in-memory-outbox.js';

/** An embedded adapter has nothing that can go down; it still reports, so operators see what runs. */
export class EmbeddedHealthCheck implements HealthCheck {
  constructor(readonly name: string, private readonly adapter: string) {}

  async check(): Promise<ComponentHealth> {
    return { name: this.name, status: 'up', detail: this.adapter };
  }
}

/**
 * Where commands run, how far they are kept from the server, and what the backend enforces (its
 * `health()` details, e.g. which resource limits hold). Runs that could see the server's
 * environment or outlive their call, or a backend that reports trouble, make the server degraded,
 * never down: every other tool still answers. The backend's answer is bounded by `deadlineMs`.
 */
export class ExecutorHealthCheck implements HealthCheck {
  readonly name = 'executor';

  constructor(
    private readonly executor: Pick<Executor, 'backend' | 'isolation' | 'health'>,
    private readonly deadlineMs = 2000,
  ) {}

  async check(): Promise<ComponentHealth> {
    const { backend, isolation } = this.executor;
    const base = `${backend}; isolation: ${isolation.description}`;
    const contained = isolation.contained ? 'up' : 'degraded';
    const ask = this.executor.health?.bind(this.executor);
    if (!ask) return { name: this.name, status: contained, detail: base };
    let health: ExecutorHealth;
    try {
      health = await this.withinDeadline(ask);
    } catch (error) {
      return { name: this.name, status: 'degraded', detail: `${base}; health: ${(error as Error).message}` };
    }
    const extra = Object.entries(health.details).filter(([key]) => key !== 'isolation').map(([key, value]) => `${key}: ${shown(value)}`);
    const status = contained === 'up' && health.status === 'up' ? 'up' : 'degraded';
    return { name: this.name, status, detail: [base, ...(health.status === 'up' ? [] : [`backend ${health.status}`]), ...extra].join('; ') };
  }

  private async withinDeadline(ask: (signal: AbortSignal) => Promise<ExecutorHealth>): Promise<ExecutorHealth> {
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        controller.abort();
        reject(new Error(`no answer within ${this.deadlineMs} ms`));
      }, this.deadlineMs);
    });
    try {
      return await Promise.race([ask(controller.signal), deadline]);
    } finally {
      clearTimeout(timer);
    }
  }
}

function shown(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** Parked or dropped events mean subscribers missed facts: degraded, not down. */
export class InMemoryOutboxHealthCheck implements HealthCheck {
  readonly name = 'outbox';

  constructor(private readonly outbox: InMemoryOutbox) {}

  async check(): Promise<ComponentHealth> {
    const pending = await this.outbox.pending();
    const parked = this.outbox.parkedCount();
    const dropped = this.outbox.dropped;
    const detail = `memory; pending ${pending}, parked ${parked}, dropped ${dropped}`;
    return { name: this.name, status: parked > 0 || dropped > 0 ? 'degraded' : 'up', detail };
  }
}

/**
 * The roots the file tools serve: a root that vanished or became unreadable makes the server not
 * ready. No root at all is reported (with what to set) but is not an outage: clients that declare
 * roots, and every other tool, still work.
 */
export class WorkspaceHealthCheck implements HealthCheck {
  readonly name = 'workspace';

  constructor(
    private readonly roots: readonly string[],
    private readonly noRootsReason?: string,
  ) {}

  async check(): Promise<ComponentHealth> {
    const problems: string[] = [];
    for (const root of this.roots) {
      try {
        await access(root, constants.R_OK | constants.X_OK);
        if (!(await stat(root)).isDirectory()) problems.push(`${root} is not a directory`);
      } catch {
        problems.push(`${root} is missing or unreadable`);
      }
    }
    return problems.length > 0
      ? { name: this.name, status: 'down', detail: problems.join('; ') }
      : { name: this.name, status: 'up', detail: this.roots.length > 0 ? `roots: ${this.roots.join(', ')}` : `no roots: ${this.noRootsReason ?? 'set mcp.roots'}` };
  }
}
