/**
 * Errors raised by use cases. Like DomainError they carry a stable code; the MCP edge maps each
 * code to a JSON-RPC error once. `cause` keeps the internal error for the operator's log only.
 */
export type ApplicationErrorCode =
  | 'tool.not_found'
  | 'resource.not_found'
  | 'prompt.not_found'
  | 'params.invalid'
  | 'completion.unsupported'
  /** A limit on work in flight was reached; the same request may succeed a moment later. */
  | 'server.busy'
  /** The principal holds its maximum of live tasks (mcp.tasks.max_live_per_principal); retry after one ends. */
  | 'task.limit_reached'
  /** The tool runs only as a task, and the request did not declare the tasks extension (2026-07-28: -32021). */
  | 'task.required'
  /** A multi-round request's requestState was tampered with, expired or signed with a retired key. */
  | 'request_state.invalid';

export class ApplicationError extends Error {
  /** Extra fields for the client (e.g. `retryAfterMs`), merged into the JSON-RPC error's `data`. */
  readonly data?: Readonly<Record<string, unknown>>;

  constructor(
    readonly code: ApplicationErrorCode,
    message: string,
    options?: { cause?: unknown; data?: Readonly<Record<string, unknown>> },
  ) {
    super(message, options);
    this.name = 'ApplicationError';
    this.data = options?.data;
  }
}

/** The structured envelope of a tool that ran and failed (`structuredContent` of an isError result). */
export interface ToolErrorEnvelope {
  readonly error: string;
  readonly reason: string;
  readonly suggested_actions: readonly string[];
  readonly retryable: boolean;
  /** For a retryable refusal that names its wait (`rate_limited`): call again after this many milliseconds. */
  readonly retry_after_ms?: number;
  readonly follow_up_tools?: readonly string[];
  readonly context?: Readonly<Record<string, unknown>>;
}

/** Thrown by tool implementations for failures the model should see and may act on. */
export class ToolFailure extends Error {
  /** A failure nobody foresaw (a bug, EMFILE): the model gets the generic envelope, the operator's log the cause. */
  readonly internal: boolean;

  constructor(readonly envelope: ToolErrorEnvelope, options?: { cause?: unknown; internal?: boolean }) {
    super(envelope.error, options);
    this.name = 'ToolFailure';
    this.internal = options?.internal ?? false;
  }

  /** The one "internal error" envelope, carrying `cause` for the log only. */
  static internal(cause: unknown, context?: Readonly<Record<string, unknown>>): ToolFailure {
    return new ToolFailure(
      {
        error: 'internal error',
        reason: 'the tool failed unexpectedly; the details are in the server log',
        suggested_actions: ['retry once', 'report the problem to the server operator if it persists'],
        retryable: true,
        ...(context && Object.keys(context).length > 0 ? { context } : {}),
      },
      { cause, internal: true },
    );
  }
}
