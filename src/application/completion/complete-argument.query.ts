import type { SessionRepository } from '../../domain/session/session.repository.js';
import { ApplicationError } from '../application.errors.js';
import { Query, type QueryHandler } from '../bus/message-bus.js';
import type { PromptCatalog } from '../prompts/prompt-catalog.js';
import { allowsResource, type Authorization } from '../auth/authorization.js';
import { callerOf, type Origin } from '../origin.js';
import type { ResourceCatalog } from '../resources/resource-catalog.js';

export type CompletionRef = { type: 'ref/prompt'; name: string } | { type: 'ref/resource'; uri: string };

export interface CompletionResult {
  readonly values: string[];
  readonly total: number;
  readonly hasMore: boolean;
}

/** The spec caps one completion response at 100 values. */
const MAX_VALUES = 100;

export class CompleteArgumentQuery extends Query<CompletionResult> {
  constructor(
    readonly origin: Origin,
    readonly ref: CompletionRef,
    readonly argument: string,
    readonly value: string,
  ) {
    super();
  }
}

export class CompleteArgumentHandler implements QueryHandler<CompleteArgumentQuery> {
  readonly handles = CompleteArgumentQuery;

  constructor(
    private readonly sessions: SessionRepository,
    private readonly prompts: PromptCatalog,
    private readonly resources: ResourceCatalog,
    private readonly authorization: Authorization,
  ) {}

  /** Completing an argument of a prompt or template the caller is not granted is refused as for an unknown one. */
  async execute(query: CompleteArgumentQuery): Promise<CompletionResult> {
    const caller = await callerOf(this.sessions, query.origin, 'completion/complete');
    const { ref } = query;
    if (ref.type === 'ref/prompt' && !caller.grants.allowsPrompt(ref.name)) throw await this.authorization.deniedPrompt(caller, query.origin, 'completion/complete', ref.name);
    if (ref.type === 'ref/resource' && !allowsResource(caller.grants, ref.uri)) throw await this.authorization.deniedResource(caller, query.origin, 'completion/complete', ref.uri);
    const values = await this.candidates(query);
    return { values: values.slice(0, MAX_VALUES), total: values.length, hasMore: values.length > MAX_VALUES };
  }

  private async candidates(query: CompleteArgumentQuery): Promise<string[]> {
    if (query.ref.type === 'ref/prompt') {
      const definition = this.prompts.find(query.ref.name);
      if (!definition) throw new ApplicationError('prompt.not_found', `Prompt not found: ${query.ref.name.slice(0, 128)}`);
      if (!definition.prompt.arguments.some((a) => a.name === query.argument)) {
        throw new ApplicationError('params.invalid', `prompt "${query.ref.name}" has no argument "${query.argument.slice(0, 64)}"`);
      }
      return definition.complete?.(query.argument, query.value) ?? [];
    }
    const values = await this.resources.complete(query.ref.uri, query.argument, query.value);
    if (values === undefined) throw new ApplicationError('resource.not_found', `Resource template not found: ${query.ref.uri.slice(0, 512)}`);
    return values;
  }
}
