import type { JsonObject } from '../../domain/task/task.js';
import { ClientCapabilityMissing, type AskOptions, type ClientRequests, type ClientRoot } from '../ports/client-requests.js';
import type { TaskControl } from '../tasks/task-work.js';
import { isCancelled, type ToolContext } from './tool-definition.js';

type Kind = 'elicitation' | 'sampling' | 'roots';

const METHOD: Record<Kind, string> = { elicitation: 'elicitation/create', sampling: 'sampling/createMessage', roots: 'roots/list' };
const NOTHING_DECLARED = { sampling: false, elicitation: false, roots: false } as const;

/**
 * The context of a tool call that may become a task. Its signal is the task's (tasks/cancel on any
 * replica, the TTL, shutdown): once the call is a task its request has been answered, so progress
 * and log notifications stop there, and questions for the client wait in the task
 * (input_required, answered by tasks/update). `gatherOnRequest` (task support "required"): asks
 * made while the call is not a task yet go to the request's own client instead (SEP-2322 rounds).
 */
export function taskToolContext(request: ToolContext, control: TaskControl, gatherOnRequest: boolean): ToolContext {
  const client = new TaskClient(request.client, control, gatherOnRequest);
  let signal: AbortSignal | undefined;
  return {
    sessionId: request.sessionId,
    // While the call is inline its request's cancellation (client gone, notifications/cancelled)
    // stops it, as for any call; once it is a task only the task's own signal does (tasks/cancel).
    get signal() {
      return (signal ??= whileInline(request, control));
    },
    get cancelled() {
      return control.signal.aborted || (!control.isTask() && isCancelled(request));
    },
    progress: (progress, total, message) => {
      if (!control.isTask()) request.progress(progress, total, message);
    },
    log: (level, data) => {
      if (!control.isTask()) request.log(level, data);
    },
    client,
  };
}

/** The task's signal, also aborted by the request's cancellation if that comes while the call is still inline. */
function whileInline(request: ToolContext, control: TaskControl): AbortSignal {
  const controller = new AbortController();
  const requestSignal = request.signal;
  const fromRequest = () => {
    if (!control.isTask()) controller.abort(requestSignal.reason);
  };
  const fromTask = () => {
    requestSignal.removeEventListener('abort', fromRequest);
    controller.abort(control.signal.reason);
  };
  if (control.signal.aborted) fromTask();
  else if (requestSignal.aborted) fromRequest();
  if (!controller.signal.aborted) {
    control.signal.addEventListener('abort', fromTask, { once: true });
    requestSignal.addEventListener('abort', fromRequest, { once: true });
  }
  return controller.signal;
}

/** ClientRequests whose answers come through the task: each ask one input request under a key new in the task. */
class TaskClient implements ClientRequests {
  readonly supports: ClientRequests['supports'];
  private readonly counters: Record<Kind, number> = { elicitation: 0, sampling: 0, roots: 0 };

  constructor(
    private readonly request: ClientRequests | undefined,
    private readonly control: TaskControl,
    private readonly gatherOnRequest: boolean,
  ) {
    this.supports = request?.supports ?? NOTHING_DECLARED;
  }

  createMessage(params: Readonly<Record<string, unknown>>, options?: AskOptions): Promise<Record<string, unknown>> {
    return this.ask('sampling', params, options, (client) => client.createMessage(params, options));
  }

  async elicit(params: Readonly<Record<string, unknown>>, options?: AskOptions): Promise<{ action: 'accept' | 'decline' | 'cancel'; content?: Record<string, unknown> }> {
    return (await this.ask('elicitation', params, options, (client) => client.elicit(params, options))) as { action: 'accept' | 'decline' | 'cancel'; content?: Record<string, unknown> };
  }

  async listRoots(): Promise<readonly ClientRoot[]> {
    const answer = await this.ask('roots', undefined, undefined, async (client) => ({ roots: [...(await client.listRoots())] }));
    const roots = Array.isArray(answer['roots']) ? (answer['roots'] as { uri?: unknown; name?: unknown }[]) : [];
    return roots.flatMap((root) =>
      typeof root?.uri !== 'string' ? [] : [typeof root.name === 'string' ? { uri: root.uri, name: root.name } : { uri: root.uri }],
    );
  }

  private async ask(
    kind: Kind,
    params: Readonly<Record<string, unknown>> | undefined,
    options: AskOptions | undefined,
    onRequest: (client: ClientRequests) => Promise<Record<string, unknown>>,
  ): Promise<Record<string, unknown>> {
    if (this.gatherOnRequest && this.request && !this.control.isTask()) return onRequest(this.request);
    if (!this.supports[kind]) throw new ClientCapabilityMissing(kind);
    this.counters[kind] += 1;
    const key = options?.key ?? `${kind}-${this.counters[kind]}`;
    const asked: JsonObject = params === undefined ? { method: METHOD[kind] } : { method: METHOD[kind], params: { ...params } as JsonObject };
    const answers = await this.control.requestInput({ [key]: asked });
    return answers[key] as Record<string, unknown>;
  }
}
