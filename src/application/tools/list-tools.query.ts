import type { SessionRepository } from '../../domain/session/session.repository.js';
import { Query, type QueryHandler } from '../bus/message-bus.js';
import { paginate, type Page } from '../pagination.js';
import type { ServerSettings } from '../server-settings.js';
import { assertOperational, type Origin } from '../origin.js';
import type { ToolDescriptor, ToolRegistry } from './tool-registry.js';

export class ListToolsQuery extends Query<Page<ToolDescriptor>> {
  constructor(readonly origin: Origin, readonly cursor?: string) {
    super();
  }
}

export class ListToolsHandler implements QueryHandler<ListToolsQuery> {
  readonly handles = ListToolsQuery;

  constructor(
    private readonly sessions: SessionRepository,
    private readonly registry: ToolRegistry,
    private readonly settings: ServerSettings,
  ) {}

  async execute(query: ListToolsQuery): Promise<Page<ToolDescriptor>> {
    await assertOperational(this.sessions, query.origin, 'tools/list');
    return paginate(this.registry.descriptors(), query.cursor, this.settings.pageSize);
  }
}
