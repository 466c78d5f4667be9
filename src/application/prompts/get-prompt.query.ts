import type { SessionRepository } from '../../domain/session/session.repository.js';
import { ApplicationError } from '../application.errors.js';
import { Query, type QueryHandler } from '../bus/message-bus.js';
import type { Authorization } from '../auth/authorization.js';
import { callerOf, type Origin } from '../origin.js';
import type { ClientRequests } from '../ports/client-requests.js';
import type { PromptCatalog, PromptResult } from './prompt-catalog.js';

export class GetPromptQuery extends Query<PromptResult> {
  constructor(
    readonly origin: Origin,
    readonly name: string,
    readonly args: Readonly<Record<string, string>>,
    /** The requesting client, for a prompt that asks it something while it renders. */
    readonly client?: ClientRequests,
  ) {
    super();
  }
}

export class GetPromptHandler implements QueryHandler<GetPromptQuery> {
  readonly handles = GetPromptQuery;

  constructor(
    private readonly sessions: SessionRepository,
    private readonly catalog: PromptCatalog,
    private readonly authorization: Authorization,
  ) {}

  /** A prompt the caller is not granted is refused as not found, before it is looked up. */
  async execute(query: GetPromptQuery): Promise<PromptResult> {
    const caller = await callerOf(this.sessions, query.origin, 'prompts/get');
    if (!caller.grants.allowsPrompt(query.name)) throw await this.authorization.deniedPrompt(caller, query.origin, 'prompts/get', query.name);
    const definition = this.catalog.find(query.name);
    if (!definition) throw new ApplicationError('prompt.not_found', `Prompt not found: ${query.name.slice(0, 128)}`);
    const known = new Set(definition.prompt.arguments.map((a) => a.name));
    const unknown = Object.keys(query.args).filter((name) => !known.has(name));
    if (unknown.length > 0) {
      throw new ApplicationError('params.invalid', `prompt "${query.name}" has no argument(s) ${unknown.join(', ')}; it takes ${[...known].join(', ')}`);
    }
    const missing = definition.prompt.arguments.filter((a) => a.required && !(query.args[a.name] ?? '').trim());
    if (missing.length > 0) {
      throw new ApplicationError('params.invalid', `prompt "${query.name}" requires argument(s): ${missing.map((a) => a.name).join(', ')}`);
    }
    // Nothing here catches: a ClientInterrupt from the client's asks must reach the transport as it is.
    return definition.render(query.args, { client: query.client });
  }
}
