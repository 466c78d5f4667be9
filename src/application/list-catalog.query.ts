import type { Grants } from '../domain/auth/grants.js';
import type { SessionRepository } from '../domain/session/session.repository.js';
import { Query } from './bus/message-bus.js';
import { callerOf, type Origin } from './origin.js';
import { paginate, type Page } from './pagination.js';
import type { ServerSettings } from './server-settings.js';

/** A page of one catalog list: tools, prompts, resources or resource templates. */
export abstract class ListCatalogQuery<T> extends Query<Page<T>> {
  constructor(
    readonly origin: Origin,
    readonly cursor?: string,
  ) {
    super();
  }
}

/**
 * The handler class of one catalog list. The lists differ only in the query they answer, the method
 * a closed session is refused for, where their items come from and which of them a caller's grants
 * show; the session check, cursors and page size are one code path, so a cursor (and a bad one)
 * means the same on every list. A caller sees only what it may use, paginated as its own list.
 * Constructed as `new Handler(sessions, source, settings)`.
 */
export function listCatalogHandler<Q extends ListCatalogQuery<T>, S, T>(
  handles: new (origin: Origin, cursor?: string) => Q,
  method: string,
  itemsOf: (source: S) => readonly T[],
  visibleTo: (grants: Grants, items: readonly T[]) => readonly T[],
) {
  return class ListCatalogHandler {
    readonly handles = handles;

    constructor(
      private readonly sessions: SessionRepository,
      private readonly source: S,
      private readonly settings: ServerSettings,
    ) {}

    async execute(query: Q): Promise<Page<T>> {
      const caller = await callerOf(this.sessions, query.origin, method);
      return paginate(visibleTo(caller.grants, itemsOf(this.source)), query.cursor, this.settings.pageSize);
    }
  };
}
