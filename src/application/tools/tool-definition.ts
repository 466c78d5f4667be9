import type { ZodType } from 'zod';
import type { Principal } from '../../domain/auth/principal.js';
import type { LogLevelName } from '../../domain/session/log-level.js';
import type { Origin } from '../origin.js';
import type { ClientRequests } from '../ports/client-requests.js';
import type { JsonSchemaSource, ToolRegistration } from '../../domain/tool/tool.js';

export type ContentBlock =
  | { type: 'text'; text: string }
  | { type: 'image'; data: string; mimeType: string }
  | { type: 'audio'; data: string; mimeType: string }
  | { type: 'resource'; resource: { uri: string; mimeType?: string; text?: string; blob?: string } };

export interface ToolOutput {
  readonly content: ContentBlock[];
  readonly structuredContent?: Record<string, unknown>;
}

/** What a running tool may use besides its arguments: cancellation, progress and client logging. */
export interface ToolContext {
  /** The caller's scope key: its session id, or `request:<id>` for a stateless request (see scopeKeyOf). */
  readonly sessionId: string;
  /**
   * Who is calling and how: the request's Origin (its session id, or the stateless request with
   * its trace) and the caller's Principal. Set by ExecuteTool on the context a tool runs with, so
   * work a tool starts on the caller's behalf (the conversation loop's own tool calls) runs as the
   * caller, with the caller's grants, limits and trace. Absent on contexts ExecuteTool did not build.
   */
  readonly origin?: Origin;
  readonly caller?: Principal;
  readonly signal: AbortSignal;
  /**
   * Whether the run was cancelled (or timed out), answered without creating `signal`: contexts
   * may create their AbortSignal lazily, and most tools finish without ever looking at it.
   * Absent, `signal.aborted` is the answer (see `isCancelled`).
   */
  readonly cancelled?: boolean;
  /** No-op unless the request carried a progressToken. */
  progress(progress: number, total?: number, message?: string): void;
  /** notifications/message to this request's client, filtered by the session's log level. */
  log(level: LogLevelName, data: unknown): void;
  /** Sampling and elicitation through this request's client (absent where the transport has none). */
  readonly client?: ClientRequests;
  /**
   * Closes the response stream of this request now (HTTP/SSE only; SEP-1699 polling): the client
   * reconnects with Last-Event-ID and receives the result there. A no-op elsewhere.
   */
  releaseStream?(): void;
  /**
   * Runs `task` once this request's answer has left the process (handed to the socket or pipe) or
   * was dropped: for holding what the answer is built from (e.g. a read budget) until it is gone.
   * Absent, the task runs on the next turn of the event loop.
   */
  afterAnswer?(task: () => void): void;
}

/** Runs `task` once the context's answer is gone (see ToolContext.afterAnswer). */
export function afterAnswer(context: ToolContext, task: () => void): void {
  if (context.afterAnswer) context.afterAnswer(task);
  else setImmediate(task);
}

export function isCancelled(context: ToolContext): boolean {
  return context.cancelled ?? context.signal.aborted;
}

/**
 * A tool as the application runs it: the public description (a domain Tool's registration), the zod
 * schema that validates arguments, and the implementation. Failures the model should see are ToolFailure.
 * Without `props.inputSchema` the JSON Schema is made from `input` when first listed; an outputSchema
 * made from a zod schema is given as a function for the same reason (start-up time).
 */
export interface ToolDefinition<TInput = unknown> {
  readonly props: Omit<ToolRegistration, 'inputSchema'> & { readonly inputSchema?: JsonSchemaSource };
  readonly input: ZodType<TInput>;
  run(input: TInput, context: ToolContext): Promise<ToolOutput>;
  /**
   * Whether a call may outlive its request as a task, where the client can hold a task handle
   * (2026-07-28 with the tasks extension; the server decides, SEP-2663). `optional`: a call that
   * outlasts mcp.tasks.sync_budget_ms, or asks the client for input, becomes a task. `required`:
   * every such call is a task, and one from a client that cannot hold a handle is refused; input
   * asked before the work first waits is gathered on the request. Absent: always answered inline.
   * Elsewhere (2025 sessions, stdio) every call runs inline.
   */
  readonly taskSupport?: 'optional' | 'required';
}

/** A family of related tools (file.tools.ts, system.tools.ts…), registered together at start-up. */
export interface ToolFamily {
  tools(): readonly ToolDefinition<unknown>[];
}
