import { AggregateRoot } from '../shared/aggregate-root.js';
import { domainEvent, type EventActor } from '../shared/domain-event.js';
import { DomainError } from '../shared/domain-error.js';
import type { EventMetaSource } from '../shared/event-meta-source.js';
import type { TaskEvent, TaskStatus, TraceContext } from './task.events.js';

export type { TaskStatus, TraceContext } from './task.events.js';

export const TASK_STATUSES: readonly TaskStatus[] = ['working', 'input_required', 'completed', 'failed', 'cancelled'];
/** A task in one of these still has work running (or waiting for input) on its owner replica. */
export const LIVE_TASK_STATUSES: readonly TaskStatus[] = ['working', 'input_required'];

export type JsonObject = Readonly<Record<string, unknown>>;

/** A JSON-RPC error object: what a `failed` task reports instead of a result. */
export interface TaskError {
  readonly code: number;
  readonly message: string;
  readonly data?: unknown;
}

export interface NewTask {
  readonly id: string;
  /** The authenticated subject, or 'anonymous' without auth: only it may read or steer the task. */
  readonly principal: string;
  /** The request the task stands for (`tools/call`) and its target (the tool's name). */
  readonly method: string;
  readonly name: string;
  readonly ttlMs: number;
  readonly pollIntervalMs: number;
  /** The process running the work; only it heartbeats the task. */
  readonly ownerReplica: string;
  readonly trace?: TraceContext;
  /** The principal as events record it (absent: the anonymous caller); `principal` is its id. */
  readonly actor?: EventActor;
}

export interface TaskSnapshot extends NewTask {
  readonly status: TaskStatus;
  readonly statusMessage?: string;
  readonly createdAt: string;
  readonly lastUpdatedAt: string;
  readonly heartbeatAt: string;
  readonly cancelRequested: boolean;
  readonly result?: JsonObject;
  readonly error?: TaskError;
  /** Outstanding requests to the client, by key (while `input_required`). */
  readonly inputRequests?: Readonly<Record<string, JsonObject>>;
  /** Every answer received so far, by key; a key is never reused within a task, so they never clash. */
  readonly inputResponses?: Readonly<Record<string, JsonObject>>;
  /** Every input key the task ever used (SEP-2663: a key is unique over the task's lifetime). */
  readonly inputKeys: readonly string[];
  /** Saves committed so far (the repository's optimistic lock); 0 before the first. */
  readonly version: number;
}

const AGGREGATE = 'task';
const MAX_INT32 = 2_147_483_647;

/**
 * One durable task of the io.modelcontextprotocol/tasks extension:
 * working ⇄ input_required → completed | failed | cancelled. Terminal states are final.
 * A tool result with `isError` is still `completed`; `failed` is for JSON-RPC errors only.
 */
export class Task extends AggregateRoot<TaskEvent> {
  private constructor(
    private state: TaskSnapshot,
    private readonly meta: EventMetaSource,
  ) {
    super();
  }

  static create(init: NewTask, meta: EventMetaSource): Task {
    for (const [field, value] of [['id', init.id], ['principal', init.principal], ['method', init.method], ['name', init.name], ['ownerReplica', init.ownerReplica]] as const) {
      if (value.length === 0) throw new DomainError('value.invalid', `a task needs a non-empty ${field}`);
    }
    if (init.actor !== undefined && init.actor.id !== init.principal) {
      throw new DomainError('value.invalid', `a task's actor must be its principal (${init.principal.slice(0, 80)})`);
    }
    for (const [field, value] of [['ttlMs', init.ttlMs], ['pollIntervalMs', init.pollIntervalMs]] as const) {
      if (!Number.isInteger(value) || value < 1 || value > MAX_INT32) {
        throw new DomainError('value.invalid', `a task's ${field} must be a positive integer of milliseconds`, { [field]: value });
      }
    }
    const m = meta();
    const at = m.occurredAt.toISOString();
    const task = new Task(
      { ...init, status: 'working', createdAt: at, lastUpdatedAt: at, heartbeatAt: at, cancelRequested: false, inputKeys: [], version: 0 },
      meta,
    );
    const { method, name, ttlMs, pollIntervalMs, ownerReplica } = init;
    task.record(domainEvent(AGGREGATE, init.id, 'task.created', { ...task.eventBase(), method, name, ttlMs, pollIntervalMs, ownerReplica }, m, undefined, undefined, init.actor));
    return task;
  }

  static restore(snapshot: TaskSnapshot, meta: EventMetaSource): Task {
    return new Task(snapshot, meta);
  }

  get id(): string {
    return this.state.id;
  }

  get principal(): string {
    return this.state.principal;
  }

  get status(): TaskStatus {
    return this.state.status;
  }

  get isLive(): boolean {
    return LIVE_TASK_STATUSES.includes(this.state.status);
  }

  get version(): number {
    return this.state.version;
  }

  /** The answers received for `keys`, or undefined while any of them is unanswered. */
  responsesFor(keys: readonly string[]): Record<string, JsonObject> | undefined {
    const received = this.state.inputResponses ?? {};
    if (!keys.every((key) => key in received)) return undefined;
    return Object.fromEntries(keys.map((key) => [key, received[key] as JsonObject]));
  }

  /** The work needs answers from the client; more keys may be added while it already waits. */
  requestInput(inputRequests: Readonly<Record<string, JsonObject>>, message?: string): void {
    this.assertLive('input_required');
    const keys = Object.keys(inputRequests);
    if (keys.length === 0) throw new DomainError('value.invalid', 'an input request needs at least one key');
    const reused = keys.filter((key) => this.state.inputKeys.includes(key));
    if (reused.length > 0) {
      throw new DomainError('value.invalid', `input keys are unique over a task's lifetime; already used: ${reused.join(', ')}`, { keys: reused });
    }
    const from = this.state.status;
    const m = this.meta();
    this.state = defined({
      ...this.state,
      status: 'input_required' as const,
      statusMessage: message ?? this.state.statusMessage,
      lastUpdatedAt: m.occurredAt.toISOString(),
      inputRequests: { ...this.state.inputRequests, ...inputRequests },
      inputKeys: [...this.state.inputKeys, ...keys],
    });
    this.record(domainEvent(AGGREGATE, this.id, 'task.input_requested', { ...this.eventBase(), keys }, m, undefined, undefined, this.state.actor));
    if (from !== 'input_required') this.recordStatusChange(from, this.meta());
  }

  /**
   * Takes the answers to outstanding keys and ignores any other key (SEP-2663: unknown, answered or
   * superseded keys are ignored, so a late or repeated `tasks/update` is harmless). Once nothing is
   * outstanding the task works again. Returns the keys taken.
   */
  receiveInput(inputResponses: Readonly<Record<string, JsonObject>>): string[] {
    const pending = this.state.inputRequests ?? {};
    if (this.state.status !== 'input_required') return [];
    const keys = Object.keys(inputResponses).filter((key) => key in pending);
    if (keys.length === 0) return [];
    const stillPending = Object.fromEntries(Object.entries(pending).filter(([key]) => !keys.includes(key)));
    const answered = Object.fromEntries(keys.map((key) => [key, inputResponses[key] as JsonObject]));
    const done = Object.keys(stillPending).length === 0;
    const m = this.meta();
    this.state = defined({
      ...this.state,
      ...(done ? { status: 'working' as const, statusMessage: undefined, inputRequests: undefined } : { inputRequests: stillPending }),
      lastUpdatedAt: m.occurredAt.toISOString(),
      inputResponses: { ...this.state.inputResponses, ...answered },
    });
    this.record(domainEvent(AGGREGATE, this.id, 'task.input_received', { ...this.eventBase(), keys, pending: Object.keys(stillPending).length }, m, undefined, undefined, this.state.actor));
    if (done) this.recordStatusChange('input_required', this.meta());
    return keys;
  }

  complete(result: JsonObject, message?: string): void {
    this.finish('completed', { result, statusMessage: message });
  }

  fail(error: TaskError, message?: string): void {
    this.finish('failed', { error, statusMessage: message ?? error.message });
  }

  /**
   * Records the client's cancel and ends the task at once, so every replica reads `cancelled` from
   * here on and the owner aborts the work when it hears of it. Cancelling a task that already ended
   * changes nothing and returns false: the SEP makes `tasks/cancel` an idempotent acknowledgement.
   */
  cancel(message = 'cancelled at the client\u2019s request'): boolean {
    if (!this.isLive) return false;
    this.state = { ...this.state, cancelRequested: true };
    this.record(domainEvent(AGGREGATE, this.id, 'task.cancel_requested', this.eventBase(), this.meta(), undefined, undefined, this.state.actor));
    this.finish('cancelled', { statusMessage: message });
    return true;
  }

  snapshot(): TaskSnapshot {
    return this.state;
  }

  /** Called by a repository once a save committed: the version the next save must find. */
  stored(version: number): void {
    this.state = { ...this.state, version };
  }

  private finish(to: 'completed' | 'failed' | 'cancelled', fields: Partial<Pick<TaskSnapshot, 'result' | 'error' | 'statusMessage'>>): void {
    this.assertLive(to);
    const from = this.state.status;
    const m = this.meta();
    // The outstanding requests go; received answers go too: nothing will read them again.
    const { inputRequests: _requests, inputResponses: _responses, statusMessage: _message, ...rest } = this.state;
    this.state = defined({ ...rest, ...fields, status: to, lastUpdatedAt: m.occurredAt.toISOString() });
    this.recordStatusChange(from, m);
  }

  private assertLive(to: TaskStatus): void {
    if (this.isLive) return;
    throw new DomainError('task.invalid_transition', `task ${this.id} is ${this.state.status}, which is final; it cannot become ${to}`, {
      from: this.state.status,
      to,
    });
  }

  private recordStatusChange(from: TaskStatus, m: ReturnType<EventMetaSource>): void {
    const { statusMessage, error } = this.state;
    const data = {
      ...this.eventBase(),
      from,
      ...(statusMessage !== undefined ? { statusMessage } : {}),
      ...(error !== undefined && this.state.status === 'failed' ? { error: { code: error.code, message: error.message } } : {}),
    };
    this.record(domainEvent(AGGREGATE, this.id, 'task.status_changed', data, m, undefined, undefined, this.state.actor));
  }

  private eventBase() {
    const { id: taskId, principal, status, trace } = this.state;
    return trace !== undefined ? { taskId, principal, status, trace } : { taskId, principal, status };
  }
}

/** The state without keys whose value is undefined, so a snapshot equals its stored and restored copy. */
function defined(state: TaskSnapshot): TaskSnapshot {
  return Object.fromEntries(Object.entries(state).filter(([, value]) => value !== undefined)) as unknown as TaskSnapshot;
}
