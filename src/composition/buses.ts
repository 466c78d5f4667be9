import type { EventMetaSource } from '../domain/shared/event-meta-source.js';
import type { SessionRepository } from '../domain/session/session.repository.js';
import type { ToolExecutionRepository } from '../domain/tool/tool-execution.repository.js';
import { Authorization } from '../application/auth/authorization.js';
import { CommandBus, QueryBus } from '../application/bus/message-bus.js';
import { CompleteArgumentHandler } from '../application/completion/complete-argument.query.js';
import { GetHealthHandler, type HealthReport } from '../application/health/get-health.query.js';
import type { Clock, IdGenerator } from '../application/ports/clock.js';
import type { HealthCheck } from '../application/ports/health.js';
import type { Logger } from '../application/ports/logger.js';
import type { Metrics } from '../application/ports/metrics.js';
import type { Tracer } from '../application/ports/tracer.js';
import type { Outbox } from '../application/ports/outbox.js';
import type { RateLimiter } from '../application/ports/rate-limiter.js';
import { GetPromptHandler } from '../application/prompts/get-prompt.query.js';
import { ListPromptsHandler } from '../application/prompts/list-prompts.query.js';
import type { PromptCatalog } from '../application/prompts/prompt-catalog.js';
import { ListResourcesHandler, ListResourceTemplatesHandler } from '../application/resources/list-resources.query.js';
import { ReadResourceHandler } from '../application/resources/read-resource.query.js';
import { WatchResourceHandler } from '../application/resources/watch-resource.command.js';
import type { ResourceCatalog } from '../application/resources/resource-catalog.js';
import type { ServerSettings } from '../application/server-settings.js';
import { CloseSessionHandler } from '../application/session/close-session.command.js';
import { GetSessionHandler } from '../application/session/get-session.query.js';
import { InitializeSessionHandler } from '../application/session/initialize-session.command.js';
import { MarkSessionReadyHandler } from '../application/session/mark-session-ready.command.js';
import { OpenSessionHandler } from '../application/session/open-session.command.js';
import { SetLogLevelHandler } from '../application/session/set-log-level.command.js';
import type { TaskService } from '../application/tasks/task-service.js';
import { ExecuteToolHandler } from '../application/tools/execute-tool.command.js';
import { ListToolsHandler } from '../application/tools/list-tools.query.js';
import { RegisterToolHandler } from '../application/tools/register-tool.command.js';
import { ToolLimits } from '../application/tools/tool-limits.js';
import type { ToolRegistry } from '../application/tools/tool-registry.js';
import type { ToolResultCache } from '../application/tools/tool-result-cache.js';
import { CloseConversationHandler } from '../application/conversations/close-conversation.command.js';
import type { ConversationSettings } from '../application/conversations/conversation-settings.js';
import { GetConversationHandler } from '../application/conversations/get-conversation.query.js';
import { ListConversationsHandler } from '../application/conversations/list-conversations.query.js';
import type { LlmBackends } from '../application/conversations/llm-backends.js';
import { SendMessageHandler } from '../application/conversations/send-message.command.js';
import type { ConversationRepository } from '../domain/conversation/conversation.repository.js';

/** Every port and catalog the use cases need; the composition root (or a test) supplies them. */
export interface UseCaseDependencies {
  readonly sessions: SessionRepository;
  readonly executions: ToolExecutionRepository;
  readonly outbox: Outbox;
  readonly registry: ToolRegistry;
  readonly prompts: PromptCatalog;
  readonly healthChecks: readonly HealthCheck[];
  readonly clock: Clock;
  readonly ids: IdGenerator;
  readonly meta: EventMetaSource;
  readonly settings: ServerSettings;
  readonly logger: Logger;
  readonly healthCheckTimeoutMs?: number;
  /** Tool-result caching (read-only + idempotent tools); absent = off. */
  readonly toolResults?: ToolResultCache;
  /** Tasks (2026-07-28 extension, mcp.tasks.enabled); absent = every tool call inline. */
  readonly tasks?: TaskService;
  /** Conversations with Claude (the `claude` section); absent = no conversation use cases. */
  readonly conversations?: ConversationDependencies;
  /**
   * Tool-level limits (rate_limits: per-tool buckets and the per-principal concurrency cap, checked
   * in ExecuteTool); absent = no tool-level limits. Request buckets are the transport's.
   */
  readonly rateLimiter?: RateLimiter;
  /** Tool runs, cache lookups and tool-level refusals (telemetry.metrics); absent = none. */
  readonly metrics?: Metrics;
  /** Tool runs as spans (telemetry.otlp); absent: none. */
  readonly tracer?: Tracer;
  /** The executor backend a tool's commands run on (its metrics label). */
  readonly backendOf?: (tool: string) => string;
}

export interface ConversationDependencies {
  readonly repository: ConversationRepository;
  readonly backends: LlmBackends;
  readonly settings: ConversationSettings;
}

/** The health report as a function (status://health reads it): no query goes back onto the bus. */
export function healthReporter(d: UseCaseDependencies): () => Promise<HealthReport> {
  const handler = new GetHealthHandler(d.sessions, d.healthChecks, d.settings, d.clock, d.healthCheckTimeoutMs);
  return () => handler.execute();
}

/**
 * One handler per command and query, registered once. `resources` is the catalog the composition
 * root built (server resources read the health report through `healthReporter`, not the bus).
 */
export function createBuses(d: UseCaseDependencies, resources: ResourceCatalog): { commands: CommandBus; queries: QueryBus } {
  const authorization = new Authorization(d.outbox, d.meta, d.logger);
  const limits = d.rateLimiter ? new ToolLimits(d.rateLimiter) : undefined;
  const commands = new CommandBus();
  commands.register(new OpenSessionHandler(d.sessions, d.ids, d.meta, d.settings));
  commands.register(new InitializeSessionHandler(d.sessions, d.settings));
  commands.register(new MarkSessionReadyHandler(d.sessions));
  commands.register(new CloseSessionHandler(d.sessions));
  commands.register(new SetLogLevelHandler(d.sessions));
  commands.register(new RegisterToolHandler(d.registry, d.outbox, d.meta));
  commands.register(
    new ExecuteToolHandler({
      sessions: d.sessions,
      registry: d.registry,
      executions: d.executions,
      clock: d.clock,
      ids: d.ids,
      meta: d.meta,
      settings: d.settings,
      logger: d.logger,
      authorization,
      ...(d.toolResults ? { results: d.toolResults } : {}),
      ...(d.tasks ? { tasks: d.tasks } : {}),
      ...(limits ? { limits } : {}),
      ...(d.metrics ? { metrics: d.metrics } : {}),
      ...(d.tracer ? { tracer: d.tracer } : {}),
      ...(d.backendOf ? { backendOf: d.backendOf } : {}),
    }),
  );

  const queries = new QueryBus();
  queries.register(new GetSessionHandler(d.sessions));
  queries.register(new ListToolsHandler(d.sessions, d.registry, d.settings));
  queries.register(new ListPromptsHandler(d.sessions, d.prompts, d.settings));
  queries.register(new GetPromptHandler(d.sessions, d.prompts, authorization));
  queries.register(new GetHealthHandler(d.sessions, d.healthChecks, d.settings, d.clock, d.healthCheckTimeoutMs));
  queries.register(new ListResourcesHandler(d.sessions, resources, d.settings));
  queries.register(new ListResourceTemplatesHandler(d.sessions, resources, d.settings));
  queries.register(new ReadResourceHandler(d.sessions, resources, authorization));
  queries.register(new CompleteArgumentHandler(d.sessions, d.prompts, resources, authorization));
  commands.register(new WatchResourceHandler(d.sessions, resources, authorization));
  if (d.conversations) registerConversations(d, d.conversations, commands, queries, authorization);
  return { commands, queries };
}

/** The loop's tool calls go through `commands` itself: the same ExecuteTool a client's call takes. */
function registerConversations(d: UseCaseDependencies, c: ConversationDependencies, commands: CommandBus, queries: QueryBus, authorization: Authorization): void {
  const { repository: conversations } = c;
  commands.register(
    new SendMessageHandler({ conversations, registry: d.registry, commands, backends: c.backends, settings: c.settings, ids: d.ids, meta: d.meta, logger: d.logger, authorization }),
  );
  commands.register(new CloseConversationHandler(conversations));
  queries.register(new GetConversationHandler(conversations));
  queries.register(new ListConversationsHandler(conversations));
}
