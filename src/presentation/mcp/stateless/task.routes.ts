import { ProtocolError } from '@modelcontextprotocol/server';
import type { TaskService } from '../../../application/tasks/task-service.js';
import type { JsonObject } from '../../../domain/task/task.js';
import { RPC } from '../error-mapping.js';
import { CancelTaskParams, declaresTasksExtension, GetTaskParams, missingTasksCapability, taskAck, toGetTaskResult, UpdateTaskParams } from '../task-wire.js';
import { answerOf } from '../tool-context.js';
import type { StatelessCall, StatelessRoute } from './stateless-endpoint.js';

/** How each kind of input request's answer is checked before tasks/update stores it. */
const ANSWER_CHECKS: Readonly<Record<string, ReturnType<typeof answerOf>>> = {
  'elicitation/create': answerOf('ElicitResult'),
  'sampling/createMessage': answerOf('CreateMessageResult'),
  'roots/list': answerOf('ListRootsResult'),
};

/**
 * tasks/get, tasks/update and tasks/cancel of the io.modelcontextprotocol/tasks extension
 * (SEP-2663) on 2026-07-28 requests. Each request must declare the extension itself (-32021
 * otherwise); a task is visible only to the principal that started it, and an unknown or foreign
 * id is the same -32602. Any replica answers: the task is read from the repository.
 */
export function taskRoutes(tasks: TaskService): ReadonlyMap<string, StatelessRoute> {
  return new Map<string, StatelessRoute>([
    [
      'tasks/get',
      {
        params: GetTaskParams,
        run: async (params, call) => {
          const { taskId } = params as { taskId: string };
          return toGetTaskResult(await tasks.get(taskId, principalOf(call))) as unknown as Record<string, unknown>;
        },
      },
    ],
    [
      'tasks/update',
      {
        params: UpdateTaskParams,
        run: async (params, call) => {
          const { taskId, inputResponses } = params as { taskId: string; inputResponses: Record<string, JsonObject> };
          const principal = principalOf(call);
          const pending = (await tasks.get(taskId, principal)).inputRequests ?? {};
          for (const [key, answer] of Object.entries(inputResponses)) {
            const method = (pending[key] as { method?: unknown } | undefined)?.method;
            const problem = typeof method === 'string' ? ANSWER_CHECKS[method]?.(answer) : undefined;
            if (problem !== undefined) throw new ProtocolError(RPC.InvalidParams, `inputResponses["${key.slice(0, 100)}"] is not a valid ${method as string} result: ${problem}`);
          }
          await tasks.update(taskId, principal, inputResponses);
          return taskAck() as unknown as Record<string, unknown>;
        },
      },
    ],
    [
      'tasks/cancel',
      {
        params: CancelTaskParams,
        run: async (params, call) => {
          const { taskId } = params as { taskId: string };
          await tasks.cancel(taskId, principalOf(call));
          return taskAck() as unknown as Record<string, unknown>;
        },
      },
    ],
  ]);
}

/** The request's principal, once it is known to have declared the extension. */
function principalOf(call: StatelessCall): string {
  if (!declaresTasksExtension(call.request.clientCapabilities)) {
    throw new ProtocolError(RPC.MissingClientCapability, `${call.request.message.method} needs the io.modelcontextprotocol/tasks extension in this request's client capabilities`, missingTasksCapability());
  }
  return call.origin.principal;
}
