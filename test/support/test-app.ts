import { CommandBus, QueryBus } from '../../src/application/bus/message-bus.js';
import { CompleteArgumentHandler } from '../../src/application/completion/complete-argument.query.js';
import { GetHealthHandler } from '../../src/application/health/get-health.query.js';
import type { HealthCheck } from '../../src/application/ports/health.js';
import { GetPromptHandler } from '../../src/application/prompts/get-prompt.query.js';
import { ListPromptsHandler } from '../../src/application/prompts/list-prompts.query.js';
import { PromptCatalog, type PromptDefinition } from '../../src/application/prompts/prompt-catalog.js';
import { ListResourcesHandler, ListResourceTemplatesHandler } from '../../src/application/resources/list-resources.query.js';
import { ReadResourceHandler } from '../../src/application/resources/read-resource.query.js';
import { ResourceCatalog, type ResourceProvider } from '../../src/application/resources/resource-catalog.js';
import type { ServerSettings } from '../../src/application/server-settings.js';
import { CloseSessionHandler } from '../../src/application/session/close-session.command.js';
import { GetSessionHandler } from '../../src/application/session/get-session.query.js';
import { InitializeSessionCommand, InitializeSessionHandler } from '../../src/application/session/initialize-session.command.js';
import { MarkSessionReadyCommand, MarkSessionReadyHandler } from '../../src/application/session/mark-session-ready.command.js';
import { OpenSessionCommand, OpenSessionHandler } from '../../src/application/session/open-session.command.js';
import { SetLogLevelHandler } from '../../src/application/session/set-log-level.command.js';
import { ExecuteToolHandler } from '../../src/application/tools/execute-tool.command.js';
import { ListToolsHandler } from '../../src/application/tools/list-tools.query.js';
import { RegisterToolHandler } from '../../src/application/tools/register-tool.command.js';
import { ToolRegistry } from '../../src/application/tools/tool-registry.js';
import type { DomainEvent } from '../../src/domain/shared/domain-event.js';
import type { EventMetaSource } from '../../src/domain/shared/event-meta-source.js';
import { EmbeddedHealthCheck, InMemoryOutboxHealthCheck } from '../../src/infrastructure/health/embedded-health-checks.js';
import { InMemoryOutbox } from '../../src/infrastructure/persistence/memory/in-memory-outbox.js';
import { InMemorySessionRepository } from '../../src/infrastructure/persistence/memory/in-memory-session-repository.js';
import { InMemoryToolExecutionRepository } from '../../src/infrastructure/persistence/memory/in-memory-tool-execution-repository.js';
import { CODE_PROMPTS } from '../../src/presentation/mcp/prompts/code.prompts.js';
import { ServerResources } from '../../src/presentation/mcp/resources/server.resources.js';
import { RecordingLogger, serverSettings } from './builders.js';
import { eventMetaFrom, FixedClock, SequentialIds } from './fixed-clock.js';

export interface TestAppOptions {
  readonly settings?: Partial<ServerSettings>;
  readonly healthChecks?: (outbox: InMemoryOutbox) => HealthCheck[];
  readonly healthCheckTimeoutMs?: number;
  readonly prompts?: readonly PromptDefinition[];
  readonly resourceProviders?: (queries: QueryBus) => ResourceProvider[];
  readonly outboxCapacity?: number;
  readonly closedSessionRetention?: number;
}

/**
 * Every use case wired the way container.ts wires it, but over the in-memory adapters, a fixed
 * clock and sequential ids: fast, deterministic handler tests without I/O.
 */
export function createTestApp(options: TestAppOptions = {}) {
  const clock = new FixedClock();
  const ids = new SequentialIds('id');
  const meta: EventMetaSource = eventMetaFrom(clock, ids);
  const logger = new RecordingLogger();
  const settings = serverSettings(options.settings);
  const outbox = new InMemoryOutbox(options.outboxCapacity ?? 10_000, logger);
  const sessions = new InMemorySessionRepository(outbox, options.closedSessionRetention ?? 100);
  const executions = new InMemoryToolExecutionRepository(outbox);
  const registry = new ToolRegistry();
  const prompts = new PromptCatalog(options.prompts ?? CODE_PROMPTS);
  const checks = options.healthChecks?.(outbox) ?? [new EmbeddedHealthCheck('persistence', 'memory'), new InMemoryOutboxHealthCheck(outbox)];

  const commands = new CommandBus();
  commands.register(new OpenSessionHandler(sessions, ids, meta, settings));
  commands.register(new InitializeSessionHandler(sessions, settings));
  commands.register(new MarkSessionReadyHandler(sessions));
  commands.register(new CloseSessionHandler(sessions));
  commands.register(new SetLogLevelHandler(sessions));
  commands.register(new RegisterToolHandler(registry, outbox, meta));
  commands.register(new ExecuteToolHandler(sessions, registry, executions, clock, ids, meta, settings, logger));

  const queries = new QueryBus();
  queries.register(new GetSessionHandler(sessions));
  queries.register(new ListToolsHandler(sessions, registry, settings));
  queries.register(new ListPromptsHandler(sessions, prompts, settings));
  queries.register(new GetPromptHandler(sessions, prompts));
  queries.register(new GetHealthHandler(sessions, checks, settings, clock, options.healthCheckTimeoutMs));
  const resources = new ResourceCatalog(options.resourceProviders?.(queries) ?? [new ServerResources({ server: { name: 'tfo-mcp-test' } }, queries)]);
  queries.register(new ListResourcesHandler(sessions, resources, settings));
  queries.register(new ListResourceTemplatesHandler(sessions, resources, settings));
  queries.register(new ReadResourceHandler(sessions, resources));
  queries.register(new CompleteArgumentHandler(sessions, prompts, resources));

  return {
    clock,
    ids,
    meta,
    logger,
    settings,
    outbox,
    sessions,
    executions,
    registry,
    prompts,
    resources,
    commands,
    queries,

    /** A session in state CREATED. */
    async openSession(sessionId?: string): Promise<string> {
      return (await commands.execute(new OpenSessionCommand('memory', sessionId))).sessionId;
    },

    /** A session in state INITIALIZING (initialize answered). */
    async initializedSession(sessionId?: string): Promise<string> {
      const id = await this.openSession(sessionId);
      await commands.execute(new InitializeSessionCommand(id, settings.supportedProtocolVersions[0], { name: 'test-client', version: '1.0.0' }, {}));
      return id;
    },

    /** A session in state READY. */
    async readySession(sessionId?: string): Promise<string> {
      const id = await this.initializedSession(sessionId);
      await commands.execute(new MarkSessionReadyCommand(id));
      return id;
    },

    /** Claims, acknowledges and returns everything the outbox holds (oldest first). */
    async takeEvents(): Promise<DomainEvent[]> {
      const entries = await outbox.claim(1_000_000);
      await outbox.markPublished(entries.map((entry) => entry.event.id));
      return entries.map((entry) => entry.event);
    },
  };
}

export type TestApp = ReturnType<typeof createTestApp>;

/** Polls `predicate` on the event loop until it holds; throws with `what` after `timeoutMs`. */
export async function waitFor(predicate: () => boolean | Promise<boolean>, what: string, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}
