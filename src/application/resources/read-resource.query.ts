import type { SessionRepository } from '../../domain/session/session.repository.js';
import { ApplicationError } from '../application.errors.js';
import { assertOperational, scopeKeyOf, type Origin } from '../origin.js';
import { Query, type QueryHandler } from '../bus/message-bus.js';
import type { ClientRequests } from '../ports/client-requests.js';
import type { ResourceCatalog, ResourceContents } from './resource-catalog.js';

export class ReadResourceQuery extends Query<{ contents: ResourceContents[] }> {
  constructor(
    readonly origin: Origin,
    readonly uri: string,
    /** The requesting client: its roots confine file:// resources. */
    readonly client?: ClientRequests,
    readonly afterAnswer?: (task: () => void) => void,
  ) {
    super();
  }
}

export class ReadResourceHandler implements QueryHandler<ReadResourceQuery> {
  readonly handles = ReadResourceQuery;

  constructor(
    private readonly sessions: SessionRepository,
    private readonly catalog: ResourceCatalog,
  ) {}

  async execute(query: ReadResourceQuery): Promise<{ contents: ResourceContents[] }> {
    await assertOperational(this.sessions, query.origin, 'resources/read');
    const contents = await this.catalog.read(query.uri, { sessionId: scopeKeyOf(query.origin), client: query.client, afterAnswer: query.afterAnswer });
    if (!contents) throw new ApplicationError('resource.not_found', `Resource not found: ${query.uri.slice(0, 512)}`, { data: { uri: query.uri.slice(0, 8192) } });
    return { contents };
  }
}
