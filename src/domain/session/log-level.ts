import { DomainError } from '../shared/domain-error.js';

/** RFC 5424 severities as MCP names them, least severe first. */
export const LOG_LEVELS = ['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency'] as const;
export type LogLevelName = (typeof LOG_LEVELS)[number];

const RANK = new Map<string, number>(LOG_LEVELS.map((level, index) => [level, index]));

export class LogLevel {
  private constructor(readonly name: LogLevelName, readonly rank: number) {}

  static of(name: string): LogLevel {
    const rank = RANK.get(name);
    if (rank === undefined) {
      throw new DomainError('value.invalid', `unknown log level "${String(name).slice(0, 40)}"; expected one of ${LOG_LEVELS.join(', ')}`);
    }
    return new LogLevel(name as LogLevelName, rank);
  }

  /** Whether a message at `level` passes a threshold set at this level. */
  admits(level: LogLevelName): boolean {
    return (RANK.get(level) ?? 0) >= this.rank;
  }
}
