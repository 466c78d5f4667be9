import type { ComponentHealth, HealthCheck } from '../../application/ports/health.js';
import type { InMemoryOutbox } from '../persistence/memory/in-memory-outbox.js';

/** An embedded adapter has nothing that can go down; it still reports, so operators see what runs. */
export class EmbeddedHealthCheck implements HealthCheck {
  constructor(readonly name: string, private readonly adapter: string) {}

  async check(): Promise<ComponentHealth> {
    return { name: this.name, status: 'up', detail: this.adapter };
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
