import type { SessionRepository } from '../../domain/session/session.repository.js';
import { ApplicationError } from '../application.errors.js';
import { allowsResource, type Authorization } from '../auth/authorization.js';
import { callerOf, scopeKeyOf, type Origin } from '../origin.js';
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
    private readonly authorization: Authorization,
  ) {}

  /** A URI whose scheme the caller is not granted is refused as not found, before any provider looks at it. */
  async execute(query: ReadResourceQuery): Promise<{ contents: ResourceContents[] }> {
    const caller = await callerOf(this.sessions, query.origin, 'resources/read');
    if (!allowsResource(caller.grants, query.uri)) throw await this.authorization.deniedResource(caller, query.origin, 'resources/read', query.uri);
    const contents = await this.catalog.read(query.uri, { sessionId: scopeKeyOf(query.origin), caller, client: query.client, afterAnswer: query.afterAnswer });
    if (!contents) throw new ApplicationError('resource.not_found', `Resource not found: ${query.uri.slice(0, 512)}`, { data: { uri: query.uri.slice(0, 8192) } });
    return { contents };
  }
}
