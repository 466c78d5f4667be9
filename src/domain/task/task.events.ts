import type { DomainEvent } from '../shared/domain-event.js';

export type TaskStatus = 'working' | 'input_required' | 'completed' | 'failed' | 'cancelled';

/** W3C trace context of the request that started the task, carried into every event it records. */
export interface TraceContext {
  readonly traceparent: string;
  readonly tracestate?: string;
}

/**
 * What every task event carries: which task, whose, its status once the event happened, and the
 * trace of the request that created it. Inputs, results and error data stay out of events: they may
 * be large or carry user data, and `tasks/get` is where a client reads them.
 */
interface TaskEventData {
  readonly taskId: string;
  readonly principal: string;
  readonly status: TaskStatus;
  readonly trace?: TraceContext;
}

/** Version 1; NATS subject `tfo.mcp.task.created.v1`. */
export type TaskCreated = DomainEvent<
  'task.created',
  TaskEventData & { method: string; name: string; ttlMs: number; pollIntervalMs: number; ownerReplica: string }
>;

/**
 * One event type for every status change (`from` → `status`), so a consumer that pushes
 * `notifications/tasks` or projects task states subscribes to one subject. A failure carries the
 * JSON-RPC code and message (never `data`).
 */
export type TaskStatusChanged = DomainEvent<
  'task.status_changed',
  TaskEventData & { from: TaskStatus; statusMessage?: string; error?: { code: number; message: string } }
>;

/** A client asked to cancel (`status` is the status at that moment; a status change follows). */
export type TaskCancelRequested = DomainEvent<'task.cancel_requested', TaskEventData>;

/** The running work asked the client for input under these keys. */
export type TaskInputRequested = DomainEvent<'task.input_requested', TaskEventData & { keys: string[] }>;

/** A `tasks/update` answered these keys; `pending` keys are still unanswered. */
export type TaskInputReceived = DomainEvent<'task.input_received', TaskEventData & { keys: string[]; pending: number }>;

export type TaskEvent = TaskCreated | TaskStatusChanged | TaskCancelRequested | TaskInputRequested | TaskInputReceived;
