export type AnalyticsErrorCode =
  | 'analytics.write_failed'
  | 'analytics.read_failed'
  | 'analytics.migration_failed'
  | 'analytics.closed';

/**
 * A failure of the analytics store. The message is written for the operator's log and never carries
 * credentials; the MCP edge answers clients with a generic error for it.
 */
export class AnalyticsError extends Error {
  /** Rows that cannot be projected are skipped, so a failed write means ClickHouse could not take it now. */
  readonly transient: boolean;

  constructor(
    readonly code: AnalyticsErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AnalyticsError';
    this.transient = code === 'analytics.write_failed';
  }
}

const MAX_DETAIL = 300;

/**
 * One line describing a client or server failure. URLs lose their user-info, because an operator may
 * put credentials in `analytics.clickhouse.url`; ClickHouse's own texts never echo the password.
 */
export function describeFailure(error: unknown): string {
  const raw = messageOf(error);
  const line = raw
    .replace(/([a-z][a-z0-9+.-]*:\/\/)[^\s/@]+@/gi, '$1[redacted]@')
    .replace(/,\s*e\.what\(\) = DB::Exception/g, '')
    .replace(/\s+/g, ' ')
    .trim();
  return line.length > MAX_DETAIL ? `${line.slice(0, MAX_DETAIL)}…` : line || 'unknown error';
}

/** Duck-typed: errors raised by Node's sockets may come from another realm (vm contexts, test runners). */
function messageOf(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'message' in error && typeof error.message === 'string' && error.message !== '') return error.message;
  return String(error);
}
