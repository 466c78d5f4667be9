/**
 * Errors of the NATS adapter. Messages name the server as `nats://host:port` only: a URL may carry
 * `user:password@` or a token, and these messages reach logs and health details.
 */
export type NatsErrorCode = 'nats.unavailable' | 'nats.stream_setup' | 'nats.publish_failed' | 'nats.invalid_event';

export class NatsAdapterError extends Error {
  /** An outage or a timeout: the relay keeps retrying instead of parking (see isTransientPublishFailure). */
  readonly transient: boolean;

  constructor(
    readonly code: NatsErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'NatsAdapterError';
    this.transient = code === 'nats.unavailable' || code === 'nats.publish_failed';
  }
}

/** `nats://user:pass@host:4222,tls://h2` → `nats://host:4222,tls://h2`: credentials never leave this module. */
export function redactNatsUrl(url: string): string {
  return url
    .split(',')
    .map((part) => part.trim().replace(/^([a-z][a-z0-9+.-]*:\/\/)?[^@/\s]*@/i, (_, scheme: string | undefined) => scheme ?? ''))
    .join(',');
}

interface NatsLikeError {
  readonly code?: unknown;
  readonly message?: unknown;
  readonly api_error?: { readonly code?: number; readonly err_code?: number; readonly description?: string };
  readonly chainedError?: { readonly message?: unknown };
}

/** JetStream API error number (e.g. 10059 stream not found), when the server sent one. */
export function jsErrorCode(error: unknown): number | undefined {
  return (error as NatsLikeError | undefined)?.api_error?.err_code;
}

/** A short, credential-free reason for an error thrown by the nats client. */
export function describeNatsError(error: unknown): string {
  if (error instanceof NatsAdapterError) return error.message;
  const e = (error ?? {}) as NatsLikeError;
  const api = e.api_error;
  if (api?.description) return `${api.description} (JetStream error ${api.err_code ?? api.code})`;
  switch (e.code) {
    case 'TIMEOUT':
      return 'timed out waiting for the server';
    case '503':
      return 'no responders (JetStream unavailable, or no stream captures the subject)';
    case 'CONNECTION_REFUSED':
      return `connection refused${chained(e)}`;
    case 'CONNECTION_CLOSED':
      return 'connection closed';
    case 'CONNECTION_DRAINING':
      return 'connection draining';
    case 'AUTHORIZATION_VIOLATION':
    case 'BAD_AUTHENTICATION':
      return 'authentication failed (check the credentials in events.nats.url)';
    default:
      return redactNatsUrl(typeof e.message === 'string' ? e.message : String(error));
  }
}

function chained(e: NatsLikeError): string {
  const message = e.chainedError?.message;
  if (typeof message !== 'string') return '';
  const errno = /\b(E[A-Z]{3,})\b/.exec(message);
  return errno ? ` (${errno[1]})` : '';
}
