import type { DomainEvent } from '../../domain/shared/domain-event.js';

/**
 * `cancel`: a client cancelled the task; `input`: a client answered some of its input requests.
 * Either way the owner replica reads the task again and acts on what it finds.
 */
export type TaskSignalKind = 'cancel' | 'input';

export interface TaskSignal {
  readonly taskId: string;
  readonly kind: TaskSignalKind;
}

/**
 * Port: the fast path by which a change saved on any replica reaches the replica running the task
 * (Postgres LISTEN/NOTIFY, or in-process calls in memory). Delivery is best effort: a signal may
 * come late, twice, or not at all (a lost LISTEN connection), so the task service also polls the
 * rows it runs. A signal says only which task to look at; the row is the truth.
 */
export interface TaskSignals {
  /** Starts delivering every signal to `listener`; the returned function stops it. */
  listen(listener: (signal: TaskSignal) => void): () => void;
}

/**
 * The signal a save's events call for: a cancel (the owner must abort the work) or answers (the
 * owner hands them to the work). Repositories send it in the same commit as the save.
 */
export function signalFor(events: readonly DomainEvent[]): TaskSignalKind | undefined {
  if (events.some((event) => event.type === 'task.cancel_requested')) return 'cancel';
  if (events.some((event) => event.type === 'task.input_received')) return 'input';
  return undefined;
}
