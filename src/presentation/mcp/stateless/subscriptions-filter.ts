import { SUBSCRIPTION_ID_META_KEY, type ClientCapabilities, type RequestId, type ServerCapabilities } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { declaresTasksExtension } from '../task-wire.js';

/**
 * The `notifications` filter of a subscriptions/listen request (2026-07-28), with the tasks
 * extension's `taskIds` (SEP-2663). Each type is opt-in: nothing the client did not ask for is sent.
 * Unknown keys (another extension's) are accepted and never honored.
 */
const Filter = z.looseObject({
  toolsListChanged: z.boolean().optional(),
  promptsListChanged: z.boolean().optional(),
  resourcesListChanged: z.boolean().optional(),
  resourceSubscriptions: z.array(z.string().max(2048)).max(256).optional(),
  taskIds: z.array(z.string().min(1).max(256)).max(256).optional(),
});

export const ListenParams = z.looseObject({ notifications: Filter });

export type RequestedFilter = z.infer<typeof Filter>;

/** The part of a filter the server agreed to honor: what the acknowledgement reports. */
export interface HonoredFilter {
  toolsListChanged?: true;
  promptsListChanged?: true;
  resourcesListChanged?: true;
  taskIds?: string[];
}

/** What the server can deliver: its declared capabilities, narrowed by the sources it was given. */
export interface Deliverable {
  readonly capabilities: ServerCapabilities;
  readonly tools: boolean;
  readonly prompts: boolean;
  readonly resources: boolean;
  readonly tasks: boolean;
}

/** The request asked for task notifications, the server has them, and the client did not declare the extension. */
export class TasksExtensionUndeclared extends Error {}

/**
 * The honored subset: a list-changed type only where the server declares `listChanged` for it and
 * has a source; `taskIds` only where tasks are served. `resourceSubscriptions` is never honored
 * here: watching a resource needs a session today (WatchResourceCommand), and a stream has none.
 */
export function honoredSubset(requested: RequestedFilter, can: Deliverable, clientCapabilities: ClientCapabilities): HonoredFilter {
  const honored: HonoredFilter = {};
  const { capabilities } = can;
  if (requested.toolsListChanged === true && can.tools && capabilities.tools?.listChanged === true) honored.toolsListChanged = true;
  if (requested.promptsListChanged === true && can.prompts && capabilities.prompts?.listChanged === true) honored.promptsListChanged = true;
  if (requested.resourcesListChanged === true && can.resources && capabilities.resources?.listChanged === true) honored.resourcesListChanged = true;
  if (requested.taskIds !== undefined && requested.taskIds.length > 0 && can.tasks) {
    if (!declaresTasksExtension(clientCapabilities)) throw new TasksExtensionUndeclared();
    honored.taskIds = [...new Set(requested.taskIds)];
  }
  return honored;
}

export function isEmpty(filter: HonoredFilter): boolean {
  return Object.keys(filter).length === 0;
}

type Params = Record<string, unknown>;

/** Every message on a stream names it: `_meta[subscriptionId]` is the listen request's id (the spec's rule). */
export function tagged(subscriptionId: RequestId, params: Params = {}): Params {
  const meta = params['_meta'];
  const own = meta !== null && typeof meta === 'object' ? (meta as Params) : {};
  return { ...params, _meta: { ...own, [SUBSCRIPTION_ID_META_KEY]: subscriptionId } };
}
