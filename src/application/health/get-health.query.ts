import type { SessionRepository } from '../../domain/session/session.repository.js';
import type { SessionState } from '../../domain/session/session-state.js';
import { Query, type QueryHandler } from '../bus/message-bus.js';
import type { Clock } from '../ports/clock.js';
import type { ComponentHealth, HealthCheck } from '../ports/health.js';
import type { ServerSettings } from '../server-settings.js';
import { HealthTimeout, withinDeadline } from './within-deadline.js';

export interface HealthReport {
  readonly status: 'up' | 'degraded' | 'down';
  readonly name: string;
  readonly version: string;
  readonly uptimeSeconds: number;
  /** null when the session store cannot be counted (its own component then says why). */
  readonly sessions: Record<SessionState, number> | null;
  readonly components: ComponentHealth[];
  readonly checkedAt: string;
}

export class GetHealthQuery extends Query<HealthReport> {}

/** Checks run concurrently, each bounded, so one hung dependency cannot stall the report. */
export class GetHealthHandler implements QueryHandler<GetHealthQuery> {
  readonly handles = GetHealthQuery;

  constructor(
    private readonly sessions: SessionRepository,
    private readonly checks: readonly HealthCheck[],
    private readonly settings: ServerSettings,
    private readonly clock: Clock,
    private readonly checkTimeoutMs = 2000,
  ) {}

  async execute(): Promise<HealthReport> {
    // The report must come back whatever is down: it is how operators find out what is.
    const [sessions, components] = await Promise.all([
      this.sessions.countByState().catch(() => null),
      Promise.all(this.checks.map((check) => this.run(check))),
    ]);
    const now = this.clock.now();
    const status = components.some((c) => c.status === 'down')
      ? 'down'
      : components.some((c) => c.status === 'degraded')
        ? 'degraded'
        : 'up';
    return {
      status,
      name: this.settings.name,
      version: this.settings.version,
      uptimeSeconds: Math.round((now.getTime() - this.settings.startedAt.getTime()) / 1000),
      sessions,
      components,
      checkedAt: now.toISOString(),
    };
  }

  private async run(check: HealthCheck): Promise<ComponentHealth> {
    try {
      return await withinDeadline(this.checkTimeoutMs, check.check());
    } catch (error) {
      // A check's own error text may carry driver details; only the deadline is worth repeating.
      return { name: check.name, status: 'down', detail: error instanceof HealthTimeout ? error.message : 'health check failed' };
    }
  }
}
