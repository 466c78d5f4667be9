import type { Prompt } from '../../domain/prompt/prompt.js';
import type { SessionRepository } from '../../domain/session/session.repository.js';
import { Query, type QueryHandler } from '../bus/message-bus.js';
import { paginate, type Page } from '../pagination.js';
import type { ServerSettings } from '../server-settings.js';
import { assertOperational, type Origin } from '../origin.js';
import type { PromptCatalog } from './prompt-catalog.js';

export class ListPromptsQuery extends Query<Page<Prompt>> {
  constructor(readonly origin: Origin, readonly cursor?: string) {
    super();
  }
}

export class ListPromptsHandler implements QueryHandler<ListPromptsQuery> {
  readonly handles = ListPromptsQuery;

  constructor(
    private readonly sessions: SessionRepository,
    private readonly catalog: PromptCatalog,
    private readonly settings: ServerSettings,
  ) {}

  async execute(query: ListPromptsQuery): Promise<Page<Prompt>> {
    await assertOperational(this.sessions, query.origin, 'prompts/list');
    return paginate(this.catalog.list(), query.cursor, this.settings.pageSize);
  }
}
