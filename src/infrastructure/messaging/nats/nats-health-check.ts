import type { ComponentHealth, HealthCheck } from '../../../application/ports/health.js';
import type { NatsConnection } from './nats-connection.js';
import { describeNatsError, jsErrorCode } from './nats-errors.js';

/** Up when the connection is live and the events stream answers `info` within `timeoutMs`. */
export class NatsHealthCheck implements HealthCheck {
  readonly name = 'nats';

  constructor(
    private readonly connection: NatsConnection,
    private readonly stream: string,
    private readonly timeoutMs = 1_000,
  ) {}

  async check(): Promise<ComponentHealth> {
    const status = this.connection.status();
    if (status.state !== 'connected') {
      const reason = status.lastError ? `: ${status.lastError}` : '';
      return this.down(`${status.state} to ${status.server} since ${status.since}${reason}`);
    }
    try {
      const jsm = await this.connection.jetstreamManager(this.timeoutMs);
      const info = await jsm.streams.info(this.stream);
      return { name: this.name, status: 'up', detail: `${status.server}; stream ${this.stream}: ${info.state.messages} message(s)` };
    } catch (error) {
      if (jsErrorCode(error) === 10059) return this.down(`stream ${this.stream} not found on ${status.server}`);
      return this.down(`stream ${this.stream} info from ${status.server} failed: ${describeNatsError(error)}`);
    }
  }

  private down(detail: string): ComponentHealth {
    return { name: this.name, status: 'down', detail };
  }
}
