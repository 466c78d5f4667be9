import type { JsonObject, Task, TaskError, TaskStatus } from '../../domain/task/task.js';

/**
 * A task as its principal may see it: what `tasks/get`, `CreateTaskResult` and
 * `notifications/tasks` are built from. The status-specific fields are present only in their
 * status (`result` when completed, `error` when failed, `inputRequests` while input_required).
 */
export interface TaskView {
  readonly taskId: string;
  readonly principal: string;
  readonly method: string;
  readonly name: string;
  readonly status: TaskStatus;
  readonly statusMessage?: string;
  readonly createdAt: string;
  readonly lastUpdatedAt: string;
  readonly ttlMs: number;
  readonly pollIntervalMs: number;
  readonly result?: JsonObject;
  readonly error?: TaskError;
  readonly inputRequests?: Readonly<Record<string, JsonObject>>;
}

export function taskView(task: Task): TaskView {
  const s = task.snapshot();
  return {
    taskId: s.id,
    principal: s.principal,
    method: s.method,
    name: s.name,
    status: s.status,
    ...(s.statusMessage !== undefined ? { statusMessage: s.statusMessage } : {}),
    createdAt: s.createdAt,
    lastUpdatedAt: s.lastUpdatedAt,
    ttlMs: s.ttlMs,
    pollIntervalMs: s.pollIntervalMs,
    ...(s.status === 'completed' && s.result !== undefined ? { result: s.result } : {}),
    ...(s.status === 'failed' && s.error !== undefined ? { error: s.error } : {}),
    ...(s.status === 'input_required' && s.inputRequests !== undefined ? { inputRequests: s.inputRequests } : {}),
  };
}
