/**
 * Errors of the ssh execution backend. Messages name a host as `user@host:port` only (never a key path
 * or the server's own words about keys), because they reach logs, health details and the tool-error
 * envelope. `retryable`: nothing ran, and the same request may succeed later or on another host.
 */
export type SshErrorCode =
  /** The server's host key is not the pinned one: refused before authentication, never trusted on first use. */
  | 'ssh.host_key_mismatch'
  /** The server refused our key. */
  | 'ssh.auth_failed'
  /** No configured host could be reached (connect refused, timed out, connection lost before the run started). */
  | 'ssh.unavailable'
  /** The connection dropped while the program ran: it may or may not have finished (the remote `timeout` backstop ends it). */
  | 'ssh.connection_lost'
  /** Every reachable host is at its `max_concurrent`; the request was refused rather than queued. */
  | 'ssh.busy'
  /** The request cannot be expressed safely on a remote command line (NUL byte, bad variable name…). */
  | 'ssh.invalid_request'
  /** A configured host is unusable as written (e.g. `host_key` is neither a public key line nor a SHA256 fingerprint). */
  | 'ssh.invalid_config'
  /** The executor was shut down. */
  | 'ssh.stopped';

export class SshExecutorError extends Error {
  readonly retryable: boolean;

  constructor(
    readonly code: SshErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'SshExecutorError';
    this.retryable = code === 'ssh.unavailable' || code === 'ssh.busy';
  }
}
