import { SUPPORTED_PROTOCOL_VERSIONS } from '@modelcontextprotocol/sdk/types.js';
import { Container } from 'inversify';
import { CommandBus, QueryBus } from './application/bus/message-bus.js';
import { CompleteArgumentHandler } from './application/completion/complete-argument.query.js';
import { OutboxRelay } from './application/events/outbox-relay.js';
import { GetHealthHandler } from './application/health/get-health.query.js';
import type { EventPublisher } from './application/ports/event-publisher.js';
import type { HealthCheck } from './application/ports/health.js';
import type { Logger } from './application/ports/logger.js';
import { GetPromptHandler } from './application/prompts/get-prompt.query.js';
import { ListPromptsHandler } from './application/prompts/list-prompts.query.js';
import { PromptCatalog } from './application/prompts/prompt-catalog.js';
import { ListResourcesHandler, ListResourceTemplatesHandler } from './application/resources/list-resources.query.js';
import { ReadResourceHandler } from './application/resources/read-resource.query.js';
import { ResourceCatalog } from './application/resources/resource-catalog.js';
import type { ServerSettings } from './application/server-settings.js';
import { CloseSessionHandler } from './application/session/close-session.command.js';
import { GetSessionHandler } from './application/session/get-session.query.js';
import { InitializeSessionHandler } from './application/session/initialize-session.command.js';
import { MarkSessionReadyHandler } from './application/session/mark-session-ready.command.js';
import { OpenSessionHandler } from './application/session/open-session.command.js';
import { SetLogLevelHandler } from './application/session/set-log-level.command.js';
import { TOKENS } from './tokens.js';
import { ExecuteToolHandler } from './application/tools/execute-tool.command.js';
import { ListToolsHandler } from './application/tools/list-tools.query.js';
import { RegisterToolCommand, RegisterToolHandler } from './application/tools/register-tool.command.js';
import type { ToolFamily } from './application/tools/tool-definition.js';
import { ToolRegistry } from './application/tools/tool-registry.js';
import { CommandPolicy } from './domain/security/command-policy.js';
import type { ResolvedConfig } from './infrastructure/config/config.schema.js';
import { redactConfig } from './infrastructure/config/redact.js';
import { NativeExecutor } from './infrastructure/execution/native-executor.js';
import { NodeWorkspace } from './infrastructure/filesystem/node-workspace.js';
import { EmbeddedHealthCheck, InMemoryOutboxHealthCheck } from './infrastructure/health/embedded-health-checks.js';
import { InMemoryEventPublisher, NullEventPublisher } from './infrastructure/messaging/memory/in-memory-event-publisher.js';
import { InMemoryConversationRepository } from './infrastructure/persistence/memory/in-memory-conversation-repository.js';
import { InMemoryOutbox } from './infrastructure/persistence/memory/in-memory-outbox.js';
import { InMemorySessionRepository } from './infrastructure/persistence/memory/in-memory-session-repository.js';
import { InMemoryToolExecutionRepository } from './infrastructure/persistence/memory/in-memory-tool-execution-repository.js';
import { OsSystemProbe } from './infrastructure/system/os-system-probe.js';
import { RandomUuidGenerator, SystemClock } from './infrastructure/system/system-clock.js';
import type { McpDependencies } from './presentation/mcp/session-channel.js';
import { CODE_PROMPTS } from './presentation/mcp/prompts/code.prompts.js';
import { FileResources } from './presentation/mcp/resources/file.resources.js';
import { ServerResources } from './presentation/mcp/resources/server.resources.js';
import { CommandTools } from './presentation/mcp/tools/command.tools.js';
import { FileTools } from './presentation/mcp/tools/file.tools.js';
import { SystemTools } from './presentation/mcp/tools/system.tools.js';

/** The running application as the transports see it. */
export interface Application {
  readonly mcp: McpDependencies;
  readonly events: InMemoryEventPublisher | undefined;
  start(): Promise<void>;
  stop(timeoutMs: number): Promise<void>;
}


/**
 * The only composition root: every port is bound to the adapter the config selects (one
 * exhaustive switch per port), and nothing else in the code base reads config or the container.
 */
export function buildApplication(config: ResolvedConfig, logger: Logger): Application {
  const c = new Container({ defaultScope: 'Singleton' });
  const settings: ServerSettings = {
    name: config.server.name,
    version: config.server.version,
    supportedProtocolVersions: SUPPORTED_PROTOCOL_VERSIONS,
    pageSize: config.mcp.page_size,
    toolTimeoutMs: config.mcp.timeouts.tool_ms,
    drainTimeoutMs: config.mcp.timeouts.shutdown_ms,
    defaultClientLogLevel: config.mcp.client_log_level,
    startedAt: new Date(),
  };
  c.bind(TOKENS.Settings).toConstantValue(settings);
  c.bind(TOKENS.Logger).toConstantValue(logger);
  c.bind(TOKENS.Clock).toConstantValue(new SystemClock());
  c.bind(TOKENS.IdGenerator).toConstantValue(new RandomUuidGenerator());
  c.bind(TOKENS.EventMeta).toResolvedValue((clock, ids) => () => ({ id: ids.next(), occurredAt: clock.now() }), [TOKENS.Clock, TOKENS.IdGenerator]);

  const outbox = bindPersistence(c, config, logger);
  const publisher = bindEvents(c, config);
  bindExecution(c, config);

  c.bind(TOKENS.HealthChecks).toConstantValue([
    new EmbeddedHealthCheck('persistence', 'memory'),
    new InMemoryOutboxHealthCheck(outbox),
    new EmbeddedHealthCheck('events', config.events.driver),
    new EmbeddedHealthCheck('executor', 'native'),
  ] satisfies HealthCheck[]);
  c.bind(TOKENS.ToolRegistry).toConstantValue(new ToolRegistry());
  c.bind(TOKENS.PromptCatalog).toConstantValue(new PromptCatalog(CODE_PROMPTS));
  c.bind(TOKENS.OutboxRelay).toResolvedValue(
    (o, p, l) =>
      new OutboxRelay(o, p, l, { batchSize: config.events.relay_batch_size, maxAttempts: config.events.relay_max_attempts }),
    [TOKENS.Outbox, TOKENS.EventPublisher, TOKENS.Logger],
  );
  bindBuses(c);
  c.bind(TOKENS.ResourceCatalog).toResolvedValue(
    (queries, workspace) =>
      new ResourceCatalog([new ServerResources(redactConfig(config) as Record<string, unknown>, queries), new FileResources(workspace, config.security.max_file_bytes)]),
    [TOKENS.QueryBus, TOKENS.Workspace],
  );

  const commands = c.get(TOKENS.CommandBus);
  const queries = c.get(TOKENS.QueryBus);
  const relay = c.get(TOKENS.OutboxRelay);
  registerResourceQueries(c);
  const families = toolFamilies(c, config);

  return {
    mcp: {
      commands,
      queries,
      logger,
      settings,
      features: config.mcp.capabilities,
    },
    events: publisher instanceof InMemoryEventPublisher ? publisher : undefined,
    async start() {
      relay.start();
      for (const family of families) {
        for (const definition of family.tools()) await commands.execute(new RegisterToolCommand(definition));
      }
    },
    async stop(timeoutMs: number) {
      await c.get(TOKENS.Executor).shutdown();
      await relay.stop(timeoutMs);
    },
  };
}

function bindPersistence(c: Container, config: ResolvedConfig, logger: Logger): InMemoryOutbox {
  switch (config.persistence.driver) {
    case 'memory': {
      const outbox = new InMemoryOutbox(config.events.outbox_capacity, logger);
      c.bind(TOKENS.Outbox).toConstantValue(outbox);
      c.bind(TOKENS.SessionRepository).toConstantValue(new InMemorySessionRepository(outbox, config.persistence.closed_session_retention));
      c.bind(TOKENS.ToolExecutionRepository).toConstantValue(new InMemoryToolExecutionRepository(outbox));
      c.bind(TOKENS.ConversationRepository).toConstantValue(new InMemoryConversationRepository(outbox));
      return outbox;
    }
  }
}

function bindEvents(c: Container, config: ResolvedConfig): EventPublisher {
  let publisher: EventPublisher;
  switch (config.events.driver) {
    case 'memory':
      publisher = new InMemoryEventPublisher(config.events.memory_retention);
      break;
    case 'none':
      publisher = new NullEventPublisher();
      break;
  }
  c.bind(TOKENS.EventPublisher).toConstantValue(publisher);
  return publisher;
}

function bindExecution(c: Container, config: ResolvedConfig): void {
  c.bind(TOKENS.Workspace).toConstantValue(new NodeWorkspace(config.mcp.roots, { maxSearchFileBytes: config.security.max_file_bytes }));
  c.bind(TOKENS.Executor).toConstantValue(new NativeExecutor());
  c.bind(TOKENS.SystemProbe).toConstantValue(new OsSystemProbe());
}

function bindBuses(c: Container): void {
  const T = TOKENS;
  c.bind(T.CommandBus).toResolvedValue(
    (sessions, executions, registry, outbox, clock, ids, meta, settings, logger) => {
      const bus = new CommandBus();
      bus.register(new OpenSessionHandler(sessions, ids, meta, settings));
      bus.register(new InitializeSessionHandler(sessions, settings));
      bus.register(new MarkSessionReadyHandler(sessions));
      bus.register(new CloseSessionHandler(sessions));
      bus.register(new SetLogLevelHandler(sessions));
      bus.register(new RegisterToolHandler(registry, outbox, meta));
      bus.register(new ExecuteToolHandler(sessions, registry, executions, clock, ids, meta, settings, logger));
      return bus;
    },
    [T.SessionRepository, T.ToolExecutionRepository, T.ToolRegistry, T.Outbox, T.Clock, T.IdGenerator, T.EventMeta, T.Settings, T.Logger],
  );
  c.bind(T.QueryBus).toResolvedValue(
    (sessions, registry, prompts, checks, settings, clock) => {
      const bus = new QueryBus();
      bus.register(new GetSessionHandler(sessions));
      bus.register(new ListToolsHandler(sessions, registry, settings));
      bus.register(new ListPromptsHandler(sessions, prompts, settings));
      bus.register(new GetPromptHandler(sessions, prompts));
      bus.register(new GetHealthHandler(sessions, checks, settings, clock));
      return bus;
    },
    [T.SessionRepository, T.ToolRegistry, T.PromptCatalog, T.HealthChecks, T.Settings, T.Clock],
  );
}

/** Handlers that need the resource catalog are added once it exists (the catalog needs the query bus). */
function registerResourceQueries(c: Container): void {
  const queries = c.get(TOKENS.QueryBus);
  const sessions = c.get(TOKENS.SessionRepository);
  const catalog = c.get(TOKENS.ResourceCatalog);
  const settings = c.get(TOKENS.Settings);
  queries.register(new ListResourcesHandler(sessions, catalog, settings));
  queries.register(new ListResourceTemplatesHandler(sessions, catalog, settings));
  queries.register(new ReadResourceHandler(sessions, catalog));
  queries.register(new CompleteArgumentHandler(sessions, c.get(TOKENS.PromptCatalog), catalog));
}

function toolFamilies(c: Container, config: ResolvedConfig): ToolFamily[] {
  const workspace = c.get(TOKENS.Workspace);
  const s = config.security;
  const policy = new CommandPolicy({
    allowedCommands: s.allowed_commands,
    blockedCommands: s.blocked_commands,
    allowShell: s.allow_shell,
    allowPathsOutsideRoots: s.allow_paths_outside_roots,
  });
  return [
    new SystemTools(c.get(TOKENS.SystemProbe), workspace),
    new FileTools(workspace, { maxFileBytes: s.max_file_bytes, maxListEntries: s.max_list_entries, maxSearchResults: s.max_search_results }),
    new CommandTools(c.get(TOKENS.Executor), workspace, policy, {
      defaultTimeoutMs: s.command_timeout_ms,
      maxTimeoutMs: s.max_command_timeout_ms,
      maxOutputBytes: s.max_output_bytes,
      envPassthrough: s.env_passthrough,
    }),
  ];
}
