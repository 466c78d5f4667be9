import type { MissingRequiredClientCapabilityErrorData } from '@modelcontextprotocol/server';
import { z } from 'zod';
import type { TaskView } from '../../application/tasks/task-view.js';

/**
 * The io.modelcontextprotocol/tasks extension (SEP-2663, with the 2026-07-28 revision) on the wire:
 * params of tasks/get|update|cancel and the exact result shapes, built from a TaskView. SDK 2.4.0
 * has no runtime for this extension (its Task types are the deprecated 2025-11-25 ones), so the
 * shapes live here, in one file, until `server/ext/tasks` ships (ADR 009, Risks).
 */
export const TASKS_EXTENSION = 'io.modelcontextprotocol/tasks';
export const TASK_STATUS_NOTIFICATION = 'notifications/tasks';
/** SEP-2663 removed these; they are answered -32601 like any unknown method. */
export const REMOVED_TASK_METHODS: readonly string[] = ['tasks/result', 'tasks/list'];
/** The v1 key a tasks/get inlined result must not carry: the taskId is already at the root. */
const RELATED_TASK_META_KEY = 'io.modelcontextprotocol/related-task';

const meta = { _meta: z.record(z.string(), z.unknown()).optional() };
const taskId = z.string().min(1).max(256);

export const GetTaskParams = z.looseObject({ ...meta, taskId });
export const CancelTaskParams = z.looseObject({ ...meta, taskId });
/** Answers by key, each the bare result of its request (ElicitResult, CreateMessageResult, ListRootsResult). */
export const UpdateTaskParams = z.looseObject({
  ...meta,
  taskId,
  inputResponses: z.record(z.string().min(1).max(256), z.record(z.string(), z.unknown())),
});

/** The `Task` base every shape shares; `ttlMs` is null for an unlimited task (ours never are). */
export interface WireTask {
  readonly taskId: string;
  readonly status: TaskView['status'];
  readonly statusMessage?: string;
  readonly createdAt: string;
  readonly lastUpdatedAt: string;
  readonly ttlMs: number | null;
  readonly pollIntervalMs?: number;
}

/** `tools/call` answered with a task handle: flat `Result & Task`, no result, error or inputRequests. */
export type CreateTaskResult = WireTask & { readonly resultType: 'task' };

/** A task with the fields of its status inlined: what tasks/get and notifications/tasks carry. */
export type DetailedTask =
  | (WireTask & { readonly status: 'working' | 'cancelled' })
  | (WireTask & { readonly status: 'input_required'; readonly inputRequests: Readonly<Record<string, unknown>> })
  | (WireTask & { readonly status: 'completed'; readonly result: Readonly<Record<string, unknown>> })
  | (WireTask & { readonly status: 'failed'; readonly error: { readonly code: number; readonly message: string; readonly data?: unknown } });

export type GetTaskResult = DetailedTask & { readonly resultType: 'complete' };

/** The empty acknowledgement of tasks/update and tasks/cancel (a terminal task's cancel included). */
export interface TaskAck {
  readonly resultType: 'complete';
}

export interface TaskStatusNotification {
  readonly method: typeof TASK_STATUS_NOTIFICATION;
  readonly params: DetailedTask;
}

export function toCreateTaskResult(view: TaskView): CreateTaskResult {
  return { resultType: 'task', ...baseOf(view) };
}

export function toDetailedTask(view: TaskView): DetailedTask {
  const base = baseOf(view);
  switch (view.status) {
    case 'input_required':
      return { ...base, status: 'input_required', inputRequests: view.inputRequests ?? {} };
    case 'completed':
      return { ...base, status: 'completed', result: withoutRelatedTask(view.result ?? {}) };
    case 'failed':
      return { ...base, status: 'failed', error: view.error ?? { code: -32603, message: 'Internal error' } };
    case 'working':
    case 'cancelled':
      return { ...base, status: view.status };
  }
}

export function toGetTaskResult(view: TaskView): GetTaskResult {
  return { resultType: 'complete', ...toDetailedTask(view) };
}

export function taskAck(): TaskAck {
  return { resultType: 'complete' };
}

/** Each notification carries the complete DetailedTask, as tasks/get would answer at that moment. */
export function toTaskStatusNotification(view: TaskView): TaskStatusNotification {
  return { method: TASK_STATUS_NOTIFICATION, params: toDetailedTask(view) };
}

/**
 * Whether a request's client capabilities (from `_meta['io.modelcontextprotocol/clientCapabilities']`,
 * per request: an earlier declaration does not count) include the extension. Without it, tasks/* are
 * -32021 and a task-capable tool runs inline; a tool that can only run as a task is -32021.
 */
export function declaresTasksExtension(clientCapabilities: unknown): boolean {
  if (typeof clientCapabilities !== 'object' || clientCapabilities === null) return false;
  const extensions = (clientCapabilities as { extensions?: unknown }).extensions;
  if (typeof extensions !== 'object' || extensions === null) return false;
  const settings = (extensions as Record<string, unknown>)[TASKS_EXTENSION];
  return typeof settings === 'object' && settings !== null;
}

/** `data` of the -32021 answer (MissingRequiredClientCapabilityError), naming the extension. */
export function missingTasksCapability(): MissingRequiredClientCapabilityErrorData {
  return { requiredCapabilities: { extensions: { [TASKS_EXTENSION]: {} } } };
}

/** What server/discover advertises: under `capabilities.extensions`, never a v1 `capabilities.tasks`. */
export function tasksServerCapability(): { extensions: Record<string, Record<string, never>> } {
  return { extensions: { [TASKS_EXTENSION]: {} } };
}

function baseOf(view: TaskView): WireTask {
  return {
    taskId: view.taskId,
    status: view.status,
    ...(view.statusMessage !== undefined ? { statusMessage: view.statusMessage } : {}),
    createdAt: view.createdAt,
    lastUpdatedAt: view.lastUpdatedAt,
    ttlMs: view.ttlMs,
    pollIntervalMs: view.pollIntervalMs,
  };
}

function withoutRelatedTask(result: Readonly<Record<string, unknown>>): Readonly<Record<string, unknown>> {
  const resultMeta = result._meta;
  if (typeof resultMeta !== 'object' || resultMeta === null || !(RELATED_TASK_META_KEY in resultMeta)) return result;
  const { [RELATED_TASK_META_KEY]: _related, ...rest } = resultMeta as Record<string, unknown>;
  return { ...result, _meta: rest };
}
