/**
 * Commands change state; queries read. Each carries its result type, so `bus.execute(cmd)` is typed
 * without casts. Dispatch is by constructor identity through one Map lookup: the bus sits on every
 * request's hot path.
 */
export abstract class Command<TResult> {
  declare readonly __result?: TResult;
}

export abstract class Query<TResult> {
  declare readonly __result?: TResult;
}

type ResultOf<M> = M extends Command<infer R> ? R : M extends Query<infer R> ? R : never;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type MessageClass<M> = abstract new (...args: any[]) => M;

export interface CommandHandler<C extends Command<unknown>> {
  readonly handles: MessageClass<C>;
  execute(command: C): Promise<ResultOf<C>>;
}

export interface QueryHandler<Q extends Query<unknown>> {
  readonly handles: MessageClass<Q>;
  execute(query: Q): Promise<ResultOf<Q>>;
}

export class HandlerNotRegistered extends Error {
  constructor(name: string) {
    super(`no handler registered for ${name}`);
    this.name = 'HandlerNotRegistered';
  }
}

class InProcessBus<M extends object> {
  private readonly handlers = new Map<unknown, { execute(message: M): Promise<unknown> }>();

  register(handler: { readonly handles: unknown; execute(message: M): Promise<unknown> }): void {
    if (this.handlers.has(handler.handles)) {
      throw new Error(`a handler for ${(handler.handles as { name: string }).name} is already registered`);
    }
    this.handlers.set(handler.handles, handler);
  }

  execute<T extends M>(message: T): Promise<ResultOf<T>> {
    const handler = this.handlers.get(message.constructor);
    if (!handler) return Promise.reject(new HandlerNotRegistered(message.constructor.name));
    return handler.execute(message) as Promise<ResultOf<T>>;
  }
}

export class CommandBus extends InProcessBus<Command<unknown>> {}
export class QueryBus extends InProcessBus<Query<unknown>> {}
