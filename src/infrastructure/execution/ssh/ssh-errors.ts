import { ToolFailure } from '../../../application/application.errors.js';
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

/** What the model is told for each code (the message adds the host and the detail). */
const ENVELOPES: Readonly<Record<SshErrorCode, { error: string; suggested_actions: string[] }>> = {
  'ssh.host_key_mismatch': { error: 'ssh host key mismatch', suggested_actions: ['ask the operator to check execution.ssh.hosts[].host_key: the host may have been replaced, or someone is in between'] },
  'ssh.auth_failed': { error: 'ssh authentication failed', suggested_actions: ['ask the operator to check the host account and execution.ssh.hosts[].private_key_path'] },
  'ssh.unavailable': { error: 'no ssh host reachable', suggested_actions: ['retry shortly', 'ask the operator to check the hosts in execution.ssh.hosts'] },
  'ssh.connection_lost': { error: 'ssh connection lost', suggested_actions: ['check whether the command had its effect before running it again'] },
  'ssh.busy': { error: 'every ssh host is busy', suggested_actions: ['retry shortly'] },
  'ssh.invalid_request': { error: 'command cannot run over ssh', suggested_actions: ['remove NUL bytes and use plain variable names'] },
  'ssh.invalid_config': { error: 'ssh backend misconfigured', suggested_actions: ['ask the operator to fix execution.ssh.hosts'] },
  'ssh.stopped': { error: 'server shutting down', suggested_actions: ['retry against another replica'] },
};

/**
 * An ssh backend failure. It is a ToolFailure, so execute_command answers the model with an envelope
 * naming what went wrong (and whether a retry can help) instead of a generic internal error.
 */
export class SshExecutorError extends ToolFailure {
  readonly retryable: boolean;

  constructor(
    readonly code: SshErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    const retryable = code === 'ssh.unavailable' || code === 'ssh.busy';
    super({ ...ENVELOPES[code], reason: message, retryable, context: { code } }, options);
    this.name = 'SshExecutorError';
    this.message = message;
    this.retryable = retryable;
  }
}
