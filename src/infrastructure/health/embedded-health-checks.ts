import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import type { Executor } from '../../application/ports/executor.js';
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
 * Where commands run and how far they are kept from the server. Runs that could see the server's
 * environment, or outlive their call, make the server degraded (still ready): operators must see it.
 */
export class ExecutorHealthCheck implements HealthCheck {
  readonly name = 'executor';

  constructor(private readonly executor: Pick<Executor, 'backend' | 'isolation'>) {}

  async check(): Promise<ComponentHealth> {
    const { backend, isolation } = this.executor;
    return { name: this.name, status: isolation.contained ? 'up' : 'degraded', detail: `${backend}; isolation: ${isolation.description}` };
  }
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
