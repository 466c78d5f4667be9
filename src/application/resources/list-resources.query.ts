import type { Resource, ResourceTemplate } from '../../domain/resource/resource.js';
import type { SessionRepository } from '../../domain/session/session.repository.js';
import { Query, type QueryHandler } from '../bus/message-bus.js';
import { paginate, type Page } from '../pagination.js';
import type { ServerSettings } from '../server-settings.js';
import { assertOperational, type Origin } from '../origin.js';
import type { ResourceCatalog } from './resource-catalog.js';

export class ListResourcesQuery extends Query<Page<Resource>> {
  constructor(readonly origin: Origin, readonly cursor?: string) {
    super();
  }
}

export class ListResourceTemplatesQuery extends Query<Page<ResourceTemplate>> {
  constructor(readonly origin: Origin, readonly cursor?: string) {
    super();
  }
}

export class ListResourcesHandler implements QueryHandler<ListResourcesQuery> {
  readonly handles = ListResourcesQuery;

  constructor(
    private readonly sessions: SessionRepository,
    private readonly catalog: ResourceCatalog,
    private readonly settings: ServerSettings,
  ) {}

  async execute(query: ListResourcesQuery): Promise<Page<Resource>> {
    await assertOperational(this.sessions, query.origin, 'resources/list');
    return paginate(this.catalog.resources(), query.cursor, this.settings.pageSize);
  }
}

export class ListResourceTemplatesHandler implements QueryHandler<ListResourceTemplatesQuery> {
  readonly handles = ListResourceTemplatesQuery;

  constructor(
    private readonly sessions: SessionRepository,
    private readonly catalog: ResourceCatalog,
    private readonly settings: ServerSettings,
  ) {}

  async execute(query: ListResourceTemplatesQuery): Promise<Page<ResourceTemplate>> {
    await assertOperational(this.sessions, query.origin, 'resources/templates/list');
    return paginate(this.catalog.templates(), query.cursor, this.settings.pageSize);
  }
}
