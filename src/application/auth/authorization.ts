import { authorizationDenied } from '../../domain/auth/authorization.events.js';
import { Grants } from '../../domain/auth/grants.js';
import { eventActorOf, type Principal } from '../../domain/auth/principal.js';
import type { EventMetaSource } from '../../domain/shared/event-meta-source.js';
import { ApplicationError, type ToolErrorEnvelope } from '../application.errors.js';
import { sessionIdOf, type Origin } from '../origin.js';
import type { Logger } from '../ports/logger.js';
import type { Outbox } from '../ports/outbox.js';

/**
 * Whether `grants` let a caller use the resource at `uri`. `resources:*` is asked first: it is
 * every caller of a server without auth, it skips the URI's scheme parse, and a URI without a
 * scheme then goes on to be "not found" as it always was rather than a refusal.
 */
export function allowsResource(grants: Grants, uri: string): boolean {
  return grants.allowsEvery('resources') || grants.allowsResource(uri);
}

/**
 * Refusals of what a caller's grants do not cover. The checks are one lookup inline in each
 * handler (`caller.grants.allowsTool(name)`), so an allowed request pays nothing more; this runs
 * only for a refusal: it records `authorization.denied` through the outbox and builds the answer.
 * The refusal is decided before anything is looked up, so it reads the same whether the tool,
 * prompt or resource exists or not: a caller cannot probe what it may not use. A failed write of
 * the event is logged; the refusal stands.
 */
export class Authorization {
  constructor(
    private readonly outbox: Outbox,
    private readonly meta: EventMetaSource,
    private readonly logger: Logger,
  ) {}

  /** tools/call: the isError envelope naming the missing grant. */
  async deniedTool(caller: Principal, origin: Origin, tool: string): Promise<ToolErrorEnvelope> {
    const grant = await this.refusedTool(caller, origin, tool);
    return {
      error: 'not permitted',
      reason: `this caller lacks the grant ${grant}, which calling ${tool.slice(0, 128)} needs`,
      suggested_actions: ['call a tool this caller is granted (tools/list shows only those)', `ask the server operator for the grant ${grant}`],
      retryable: false,
      context: { missing_grant: grant },
    };
  }

  /** Records a refused tools/call of `tool`; returns the grant it lacked. */
  async refusedTool(caller: Principal, origin: Origin, tool: string): Promise<string> {
    const grant = Grants.requiredFor('tools', tool.slice(0, 128));
    await this.record(caller, origin, 'tools/call', tool, grant);
    return grant;
  }

  /**
   * resources/read, resources/subscribe, completion of a template's argument: the error an unknown
   * resource gets (resource.not_found), naming the missing grant (which depends on the URI's scheme
   * alone, so it reveals nothing of what exists).
   */
  async deniedResource(caller: Principal, origin: Origin, method: string, uri: string): Promise<ApplicationError> {
    const grant = Grants.requiredFor('resources', uri);
    await this.record(caller, origin, method, uri, grant);
    return new ApplicationError('resource.not_found', `Resource not found: ${uri.slice(0, 512)} (this caller lacks the grant ${grant.slice(0, 64)})`, {
      data: { uri: uri.slice(0, 8192), missingGrant: grant },
    });
  }

  /** prompts/get, completion of a prompt's argument: the error an unknown prompt gets (prompt.not_found), naming the grant. */
  async deniedPrompt(caller: Principal, origin: Origin, method: string, name: string): Promise<ApplicationError> {
    const grant = Grants.requiredFor('prompts', name.slice(0, 128));
    await this.record(caller, origin, method, name, grant);
    return new ApplicationError('prompt.not_found', `Prompt not found: ${name.slice(0, 128)} (this caller lacks the grant ${grant})`, {
      data: { missingGrant: grant },
    });
  }

  private async record(caller: Principal, origin: Origin, method: string, target: string, missingGrant: string): Promise<void> {
    const trace = typeof origin === 'string' ? undefined : origin.trace;
    const event = authorizationDenied(caller, { method, target, missingGrant }, this.meta(), sessionIdOf(origin), trace, eventActorOf(caller));
    this.logger.info('request refused: missing grant', { principal: caller.id, method, missingGrant, eventId: event.id });
    try {
      await this.outbox.append([event]);
    } catch (error) {
      this.logger.error('an authorization.denied event could not be stored', { principal: caller.id, method, error: String(error) });
    }
  }
}
