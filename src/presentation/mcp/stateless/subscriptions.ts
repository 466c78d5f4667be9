import { SERVER_INFO_META_KEY, SUBSCRIPTION_ID_META_KEY, type ClientCapabilities, type RequestId, type ServerCapabilities } from '@modelcontextprotocol/server';
import { RPC } from '../error-mapping.js';
import { describeIssues } from '../route.js';
import { missingTasksCapability, TASK_STATUS_NOTIFICATION } from '../task-wire.js';
import { honoredSubset, isEmpty, ListenParams, tagged, TasksExtensionUndeclared, type HonoredFilter } from './subscriptions-filter.js';

export type Unsubscribe = () => void;
/** A change feed: calls its listener after every change until unsubscribed. */
export type ChangeSource = (listener: () => void) => Unsubscribe;
/** A task status feed: who owns the task, and the task as `notifications/tasks` carries it (a DetailedTask). */
export type TaskStatusSource = (listener: (principal: string, task: { readonly taskId: string }) => void) => Unsubscribe;

/** What streams can be fed from; a missing source means that notification type is never honored. */
export interface SubscriptionSources {
  readonly toolsListChanged?: ChangeSource;
  readonly promptsListChanged?: ChangeSource;
  readonly resourcesListChanged?: ChangeSource;
  readonly tasks?: TaskStatusSource;
}

/** A subscriptions/listen request after the edge checks. */
export interface ListenRequest {
  readonly id: RequestId;
  readonly params: unknown;
  readonly principal: string;
  readonly clientCapabilities: ClientCapabilities;
}

export type StreamMessage =
  | { readonly jsonrpc: '2.0'; readonly method: string; readonly params: Record<string, unknown> }
  | { readonly jsonrpc: '2.0'; readonly id: RequestId; readonly result: Record<string, unknown> };

/** A subscription's response stream. `send` must not throw. */
export interface ListenSink {
  send(message: StreamMessage): void;
  end(): void;
}

export interface ListenRefusal {
  readonly refused: true;
  readonly httpStatus: number;
  readonly error: { readonly code: number; readonly message: string; readonly data?: unknown };
}

export interface Subscription {
  readonly refused: false;
  readonly id: RequestId;
  readonly honored: HonoredFilter;
  /** The stream is gone (the client left): stop listening, send nothing more. Idempotent. */
  close(): void;
}

/** Each open stream holds a connection and a listener per source; the SDK's entry uses the same bound. */
export const MAX_OPEN_SUBSCRIPTIONS = 1024;

/** The JSON-RPC code for "the server is full, retry later" (the transport's own range, as for sessions). */
const SERVER_BUSY = -32000;

export interface SubscriptionHubOptions {
  readonly capabilities: ServerCapabilities;
  readonly serverInfo: { readonly name: string; readonly version: string };
  readonly sources: SubscriptionSources;
  readonly maxOpen?: number;
}

/**
 * subscriptions/listen (2026-07-28): parses the filter, agrees to the part the server can deliver,
 * acknowledges first, then passes on matching changes, each tagged with the subscription id (the
 * listen request's own id, as the spec says). Sources are subscribed per stream, so a server with
 * no open stream listens to nothing. Transport-free: the HTTP edge gives each stream a sink.
 */
export class SubscriptionHub {
  private readonly live = new Set<LiveSubscription>();
  private readonly maxOpen: number;

  constructor(private readonly options: SubscriptionHubOptions) {
    this.maxOpen = options.maxOpen ?? MAX_OPEN_SUBSCRIPTIONS;
  }

  /** Open streams. */
  get size(): number {
    return this.live.size;
  }

  /**
   * A refusal (the sink untouched), or a subscription whose acknowledgement the sink already has.
   * When nothing requested can be honored, the stream is acknowledged and ended at once, gracefully.
   */
  open(request: ListenRequest, sink: ListenSink): ListenRefusal | Subscription {
    const parsed = ListenParams.safeParse(request.params ?? {});
    if (!parsed.success) return refusal(200, RPC.InvalidParams, `Invalid params for subscriptions/listen: ${describeIssues(parsed.error.issues)}`);
    const { sources, capabilities } = this.options;
    let honored: HonoredFilter;
    try {
      const can = { capabilities, tools: !!sources.toolsListChanged, prompts: !!sources.promptsListChanged, resources: !!sources.resourcesListChanged, tasks: !!sources.tasks };
      honored = honoredSubset(parsed.data.notifications, can, request.clientCapabilities);
    } catch (error) {
      if (!(error instanceof TasksExtensionUndeclared)) throw error;
      const message = "Task notifications (taskIds) need the io.modelcontextprotocol/tasks extension in this request's client capabilities";
      return refusal(400, RPC.MissingClientCapability, message, missingTasksCapability());
    }
    if (!isEmpty(honored) && this.live.size >= this.maxOpen) {
      return refusal(503, SERVER_BUSY, `Service unavailable: the server holds its maximum of ${this.maxOpen} subscriptions/listen streams; retry later`);
    }
    const subscription = new LiveSubscription(request, honored, sink, () => this.live.delete(subscription));
    sink.send({ jsonrpc: '2.0', method: 'notifications/subscriptions/acknowledged', params: tagged(request.id, { notifications: honored }) });
    if (isEmpty(honored)) {
      subscription.end(this.options.serverInfo);
      return subscription;
    }
    this.live.add(subscription);
    subscription.listen(sources);
    return subscription;
  }

  /** Server shutdown: every stream gets the listen request's result (the graceful end), then ends. */
  closeAll(): void {
    for (const subscription of [...this.live]) subscription.end(this.options.serverInfo);
  }
}

function refusal(httpStatus: number, code: number, message: string, data?: unknown): ListenRefusal {
  return { refused: true, httpStatus, error: data === undefined ? { code, message } : { code, message, data } };
}

class LiveSubscription implements Subscription {
  readonly refused = false;
  readonly id: RequestId;
  private readonly stops: Unsubscribe[] = [];
  private closed = false;

  constructor(
    private readonly request: ListenRequest,
    readonly honored: HonoredFilter,
    private readonly sink: ListenSink,
    private readonly onClosed: () => void,
  ) {
    this.id = request.id;
  }

  listen(sources: SubscriptionSources): void {
    const { honored } = this;
    try {
      if (honored.toolsListChanged && sources.toolsListChanged) this.stops.push(sources.toolsListChanged(() => this.notify('notifications/tools/list_changed')));
      if (honored.promptsListChanged && sources.promptsListChanged) this.stops.push(sources.promptsListChanged(() => this.notify('notifications/prompts/list_changed')));
      if (honored.resourcesListChanged && sources.resourcesListChanged) this.stops.push(sources.resourcesListChanged(() => this.notify('notifications/resources/list_changed')));
      if (honored.taskIds && sources.tasks) {
        const ids = new Set(honored.taskIds);
        // Another principal's task is never shown, whatever id the stream named.
        this.stops.push(sources.tasks((principal, task) => {
          if (principal === this.request.principal && ids.has(task.taskId)) this.notify(TASK_STATUS_NOTIFICATION, { ...task });
        }));
      }
    } catch (error) {
      this.close();
      throw error;
    }
  }

  /** The graceful end: the listen request's (empty) result, naming the stream and the server. */
  end(serverInfo: { readonly name: string; readonly version: string }): void {
    if (this.closed) return;
    const _meta = { [SUBSCRIPTION_ID_META_KEY]: this.id, [SERVER_INFO_META_KEY]: serverInfo };
    this.sink.send({ jsonrpc: '2.0', id: this.id, result: { resultType: 'complete', _meta } });
    this.close();
    this.sink.end();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const stop of this.stops.splice(0)) stop();
    this.onClosed();
  }

  private notify(method: string, params?: Record<string, unknown>): void {
    if (!this.closed) this.sink.send({ jsonrpc: '2.0', method, params: tagged(this.id, params) });
  }
}
