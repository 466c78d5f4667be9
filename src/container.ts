import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { SUPPORTED_PROTOCOL_VERSIONS } from '@modelcontextprotocol/server';
import { Container } from 'inversify';
import type { CommandBus, QueryBus } from './application/bus/message-bus.js';
import { CompositeEventPublisher } from './application/events/composite-event-publisher.js';
import { OutboxRelay } from './application/events/outbox-relay.js';
import type { ToolUsageReader } from './application/ports/analytics.js';
import type { SseReplayStore } from './application/ports/sse-replay-store.js';
import type { HealthCheck } from './application/ports/health.js';
import type { Logger } from './application/ports/logger.js';
import { PromptCatalog } from './application/prompts/prompt-catalog.js';
import { ResourceCatalog } from './application/resources/resource-catalog.js';
import type { ServerSettings } from './application/server-settings.js';
import { RegisterToolCommand } from './application/tools/register-tool.command.js';
import type { ToolFamily } from './application/tools/tool-definition.js';
import { ToolRegistry } from './application/tools/tool-registry.js';
import { ToolResultCache } from './application/tools/tool-result-cache.js';
import { WorkspaceScopes } from './application/workspace/workspace-scopes.js';
import { InFlightBudget } from './application/limits/in-flight-budget.js';
import { wireSharedState } from './composition/cache.wiring.js';
import { wireAnalytics, wireEvents } from './composition/events.wiring.js';
import { wirePersistence } from './composition/persistence.wiring.js';
import { wireMetrics, type MetricsRoute } from './composition/metrics.wiring.js';
import { NO_METRICS, type Metrics } from './application/ports/metrics.js';
import { NO_TRACING, type Tracer } from './application/ports/tracer.js';
import type { EventPublisher } from './application/ports/event-publisher.js';
import { tracedBus } from './infrastructure/telemetry/tracing/traced-bus.js';
import { tracedExecutor } from './infrastructure/telemetry/tracing/traced-executor.js';
import { TracedEventPublisher } from './infrastructure/telemetry/tracing/traced-event-publisher.js';
import type { Wired } from './composition/wiring.js';
import type { WiredHttpAuth } from './composition/auth.wiring.js';
import type { RateLimiter } from './application/ports/rate-limiter.js';
import type { HttpAuth } from './presentation/transports/http/http-auth.js';
import { authConfigured } from './infrastructure/config/config-loader.js';
import type { EventMetaSource } from './domain/shared/event-meta-source.js';
import { createBuses, healthReporter, type UseCaseDependencies } from './composition/buses.js';
import { TOKENS } from './tokens.js';
import type { CONFORMANCE_PROFILE } from './conformance/conformance-profile.js';
import { TaskService } from './application/tasks/task-service.js';
import type { TaskSignals } from './application/tasks/task-signals.js';
import type { TaskRepository } from './domain/task/task.repository.js';
import { toMcpError } from './presentation/mcp/error-mapping.js';
import type { ConfigReloads } from './infrastructure/config/config-reload.js';
import type { ResolvedConfig } from './infrastructure/config/config.schema.js';
import { redactConfig } from './infrastructure/config/redact.js';
import { ExecutorSwitch } from './application/execution/executor-switch.js';
import { ExecutionAuditTrail } from './application/execution/execution-audit-trail.js';
import { createBackend, executionSetup, type ExecutionSetup } from './composition/execution.wiring.js';
import { deprecationMessages } from './infrastructure/config/execution-config.js';
import { WinstonAuditLine } from './infrastructure/logging/execution-audit-log.js';
import { NodeWorkspace } from './infrastructure/filesystem/node-workspace.js';
import { ExecutorHealthCheck, WorkspaceHealthCheck } from './infrastructure/health/embedded-health-checks.js';
import type { InMemoryEventPublisher } from './infrastructure/messaging/memory/in-memory-event-publisher.js';
import { RequestStateKeys } from './infrastructure/security/request-state-keys.js';
import { OsSystemProbe } from './infrastructure/system/os-system-probe.js';
import { RandomUuidGenerator } from './infrastructure/system/random-uuid-generator.js';
import { SystemClock } from './infrastructure/system/system-clock.js';
import type { McpDependencies } from './presentation/mcp/session-channel.js';
import { CODE_PROMPTS } from './application/prompts/code.prompts.js';
import { AnalyticsResources } from './application/resources/analytics.resources.js';
import { FileResources } from './application/resources/file.resources.js';
import { ServerResources } from './application/resources/server.resources.js';
import { CommandTools } from './application/tools/command.tools.js';
import { FileTools } from './application/tools/file.tools.js';
import { SystemTools } from './application/tools/system.tools.js';
import { CommandCheckTools } from './application/tools/command-check.tools.js';
import { SystemStatusTools } from './application/tools/system-status.tools.js';
import { GetHealthHandler, type HealthReport } from './application/health/get-health.query.js';
import { ConversationOwners } from './application/conversations/conversation-owner.js';
import type { ConversationSettings } from './application/conversations/conversation-settings.js';
import { LlmBackends } from './application/conversations/llm-backends.js';
import { ConversationResources } from './application/resources/conversation.resources.js';
import { ConversationTools } from './application/tools/conversation.tools.js';
import type { LlmClient } from './application/ports/llm-client.js';
import { checkConfiguredModel, llmClientFor } from './composition/llm.wiring.js';
import type { ConversationRepository } from './domain/conversation/conversation.repository.js';

type ConformanceProfile = typeof CONFORMANCE_PROFILE;

/** The running application as the transports see it. */
export interface Application {
  readonly mcp: McpDependencies;
  readonly replayStore: SseReplayStore;
  readonly events: InMemoryEventPublisher | undefined;
  /** Who may use the HTTP endpoints (set by start() when `auth` or `rate_limits` is configured on HTTP). */
  httpAuth(): HttpAuth | undefined;
  /** What the transports report to (the sessions they hold); NO_METRICS when off. */
  readonly metrics: Metrics;
  /** `GET /metrics` on the MCP listener (telemetry.metrics on, HTTP, no port of its own). */
  readonly metricsRoute: MetricsRoute | undefined;
  start(): Promise<void>;
  stop(timeoutMs: number): Promise<void>;
}

/**
 * The only composition root: every port is bound to the adapter the config selects (one
 * exhaustive switch per port), and nothing else in the code base reads config or the container.
 * `reloads` (main.ts: SIGHUP) hands the parts of the config that apply without a restart.
 * `tracer` (main.ts, telemetry.otlp): requests, handlers, tool runs, executions and relay publishes
 * become spans, and events record the span they happened in; NO_TRACING leaves every path as it was.
 */
export async function buildApplication(config: ResolvedConfig, logger: Logger, reloads?: ConfigReloads, tracer: Tracer = NO_TRACING): Promise<Application> {
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
  const clock = new SystemClock();
  const ids = new RandomUuidGenerator();
  const meta: EventMetaSource = tracer.enabled ? tracedMeta(ids, clock, tracer) : () => ({ id: ids.next(), occurredAt: clock.now() });
  c.bind(TOKENS.Settings).toConstantValue(settings);
  c.bind(TOKENS.Logger).toConstantValue(logger);
  c.bind(TOKENS.Clock).toConstantValue(clock);
  c.bind(TOKENS.IdGenerator).toConstantValue(ids);
  c.bind(TOKENS.EventMeta).toConstantValue(meta);
  const requestStates = new RequestStateKeys({ keys: config.mcp.request_state.keys, ttlSeconds: config.mcp.request_state.ttl_seconds }, logger);
  reloads?.subscribe(({ requestState }) => requestStates.replaceKeys(requestState.keys, requestState.ttlSeconds));

  // One wiring per technology family; each says how it starts and how it closes.
  const [persistence, events, analytics, shared, telemetry] = await Promise.all([
    wirePersistence(config, logger, meta),
    wireEvents(config, logger),
    wireAnalytics(config, logger, clock),
    wireSharedState(config, logger, clock),
    wireMetrics(config, logger),
  ]);
  const metrics = telemetry.metrics;
  // Loaded only when enabled; its own Redis connection closes before the other adapters.
  const limits = config.rate_limits.enabled ? await (await import('./composition/rate-limit.wiring.js')).wireRateLimiter(config, logger) : undefined;
  const wired: Wired<unknown>[] = [persistence, shared, analytics, events, ...(limits ? [limits] : [])];
  let httpAuth: WiredHttpAuth | undefined;

  c.bind(TOKENS.Outbox).toConstantValue(persistence.adapters.outbox);
  c.bind(TOKENS.SessionRepository).toConstantValue(persistence.adapters.sessions);
  c.bind(TOKENS.ToolExecutionRepository).toConstantValue(persistence.adapters.executions);
  const destinations = tracedDestinations(tracer, config, events.adapters.publisher, analytics.adapters.projection);
  c.bind(TOKENS.EventPublisher).toConstantValue(destinations.length === 1 ? destinations[0] : new CompositeEventPublisher(destinations));
  const execution = bindExecution(c, config, metrics, reloads);

  c.bind(TOKENS.HealthChecks).toConstantValue([
    ...wired.flatMap((w) => w.healthChecks),
    new ExecutorHealthCheck(c.get(TOKENS.Executor)),
    new WorkspaceHealthCheck(config.mcp.roots, config.mcp.roots_note),
  ] satisfies HealthCheck[]);
  c.bind(TOKENS.ToolRegistry).toConstantValue(new ToolRegistry());
  // The conformance fixture profile is loaded only when switched on (never on by default).
  const conformance = config.mcp.fixtures.conformance ? (await import('./conformance/conformance-profile.js')).CONFORMANCE_PROFILE : undefined;
  c.bind(TOKENS.PromptCatalog).toConstantValue(new PromptCatalog(conformance ? [...CODE_PROMPTS, ...conformance.prompts] : CODE_PROMPTS));
  c.bind(TOKENS.OutboxRelay).toResolvedValue(
    (o, p, l) =>
      new OutboxRelay(o, p, l, { batchSize: config.events.relay_batch_size, maxAttempts: config.events.relay_max_attempts }, metrics),
    [TOKENS.Outbox, TOKENS.EventPublisher, TOKENS.Logger],
  );
  const toolResults = new ToolResultCache(shared.adapters.cache, {
    ttlMs: config.cache.ttl_ms,
    disabledTools: new Set(config.cache.disabled_tools),
  });
  const tasks = config.mcp.tasks.enabled ? bindTasks(c, config, persistence.adapters) : undefined;
  const claude = claudeSetup(c, config, persistence.adapters.conversations);
  const { commands, queries } = bindUseCases(c, config, toolResults, analytics.adapters.reader, tasks, conformance, claude, limits?.adapters, metrics, tracer);
  const budget = c.get(TOKENS.ExecutionBudget);
  telemetry.observe({
    ...(persistence.adapters.pool ? { pool: { pool: persistence.adapters.pool, max: config.persistence.postgres.pool_max } } : {}),
    ...(events.adapters.nats ? { nats: events.adapters.nats } : {}),
    executor: () => ({ running: budget.total, capacity: budget.globalCap }),
    outbox: () => persistence.adapters.outbox.backlog(),
    ...(tasks ? { tasks: () => persistence.adapters.tasks.countByStatus() } : {}),
  });
  const relay = c.get(TOKENS.OutboxRelay);
  const families = [...toolFamilies(c, config, execution, conformance, tracer), new ConversationTools({ commands, queries, owners: claude.owners, settings: claude.settings })];

  return {
    mcp: {
      commands,
      queries,
      logger,
      settings,
      features: config.mcp.capabilities,
      errorCodes: config.mcp.compat.telemetryflow_error_codes ? 'telemetryflow' : 'mcp',
      requestState: requestStates,
      toolChanges: (listener) => c.get(TOKENS.ToolRegistry).onChange(listener),
      toolCatalog: () => c.get(TOKENS.ToolRegistry).descriptors(),
      ...(tasks ? { tasks } : {}),
      metrics,
      ...(tracer.enabled ? { tracer } : {}),
    },
    replayStore: shared.adapters.replayStore,
    events: events.adapters.memory,
    httpAuth: () => httpAuth?.auth,
    metricsRoute: telemetry.route,
    metrics,
    async start() {
      await requestStates.selfCheck();
      for (const w of wired) await w.start?.();
      // After persistence started: the Postgres key store reads its (migrated) table before serving.
      if (needsHttpAuth(config)) {
        const { wireHttpAuth } = await import('./composition/auth.wiring.js');
        httpAuth = await wireHttpAuth(config.auth, {
          logger,
          clock,
          ...(persistence.adapters.pool ? { pool: persistence.adapters.pool } : {}),
          ...(limits ? { limiter: limits.adapters } : {}),
          ...(metrics !== NO_METRICS ? { metrics } : {}),
        });
      }
      relay.start();
      tasks?.start();
      for (const family of families) {
        for (const definition of family.tools()) await commands.execute(new RegisterToolCommand(definition));
      }
      // Last: a metrics port that cannot be opened stops start-up (MetricsListenerError, metrics.listen_failed).
      await telemetry.start();
      // In the background: a slow or dead API never holds start-up; a retiring model is a warning.
      void checkConfiguredModel(claude.llm, config.claude.model, logger);
    },
    async stop(timeoutMs: number) {
      // Tasks first: their work is aborted and their rows failed while persistence is still open.
      await tasks?.stop();
      await c.get(TOKENS.Executor).shutdown();
      // The audit file gets every line written so far (decisions of the runs just stopped included).
      await execution.auditLine.close().catch((error: unknown) => logger.warn('closing the audit log failed', { error: String(error) }));
      await httpAuth?.close().catch((error: unknown) => logger.warn('closing the authenticators failed', { error: String(error) }));
      await relay.stop(timeoutMs);
      await telemetry.close().catch((error: unknown) => logger.warn('closing the metrics listener failed', { error: String(error) }));
      for (const w of [...wired].reverse()) {
        await w.close?.().catch((error: unknown) => logger.warn('closing an adapter failed', { error: String(error) }));
      }
    },
  };
}

/** HTTP callers authenticate, or are counted against request buckets: the admission is built at start. */
function needsHttpAuth(config: ResolvedConfig): boolean {
  return config.server.transport === 'http' && (authConfigured(config.auth) || config.rate_limits.enabled);
}

/** What execute_command reads per call (policy and limits, replaced on reload) and where decisions are audited. */
interface Execution {
  setup(): ExecutionSetup;
  readonly audit: ExecutionAuditTrail;
  readonly auditLine: WinstonAuditLine;
}

function bindExecution(c: Container, config: ResolvedConfig, metrics: Metrics, reloads?: ConfigReloads): Execution {
  const s = config.execution.security;
  const logger = c.get(TOKENS.Logger);
  for (const message of deprecationMessages(config.deprecations)) logger.warn(message);
  c.bind(TOKENS.ReadBudget).toConstantValue(new InFlightBudget(s.max_read_bytes_in_flight, s.max_read_bytes_in_flight_per_session));
  // A refusal here is "server busy" for execute_command: counted as an executor refusal by scope.
  c.bind(TOKENS.ExecutionBudget).toConstantValue(
    new InFlightBudget(s.max_concurrent_executions, s.max_concurrent_executions_per_session, metrics === NO_METRICS ? undefined : (scope) => metrics.executorRefused(scope)),
  );
  const workspaceOptions = { maxSearchFileBytes: s.max_file_bytes, allowHardlinkWrites: s.allow_hardlink_writes };
  const { roots, roots_source: source, roots_note: noRootsReason } = config.mcp;
  c.bind(TOKENS.Workspaces).toConstantValue(
    new WorkspaceScopes(
      (scopeRoots) => new NodeWorkspace(scopeRoots, workspaceOptions),
      { configured: source === 'config' ? roots : undefined, fallback: roots, noRootsReason },
      logger,
    ),
  );
  const executor = new ExecutorSwitch(createBackend(config.execution, logger), logger);
  c.bind(TOKENS.Executor).toConstantValue(executor);
  let current = executionSetup(config.execution);
  const auditLine = new WinstonAuditLine(config.execution.audit.file);
  const audit = new ExecutionAuditTrail(c.get(TOKENS.Outbox), auditLine, c.get(TOKENS.EventMeta), logger);
  // A reload switches backend and policy together; the switch itself is logged and audited.
  reloads?.subscribe(({ execution }) => {
    const previous = executor.backend;
    const setup = executionSetup(execution);
    if (execution.backend !== previous) executor.replace(createBackend(execution, logger));
    current = setup;
    void audit.record({ executionId: randomUUID(), decision: 'allowed', rule: 'backend_switched', reason: `execution configuration reloaded (backend ${previous} → ${execution.backend})`, backend: execution.backend, program: '(config reload)', argv: [] });
  });
  c.bind(TOKENS.SystemProbe).toConstantValue(new OsSystemProbe());
  return { setup: () => current, audit, auditLine };
}

/**
 * The TaskService of this process: tasks in the persistence the config selects (Postgres: any
 * replica reads, answers and cancels any task), signals between replicas, and failures described
 * as the JSON-RPC errors the protocol layer would answer.
 */
function bindTasks(c: Container, config: ResolvedConfig, adapters: { tasks: TaskRepository; taskSignals: TaskSignals }): TaskService {
  const t = config.mcp.tasks;
  const logger = c.get(TOKENS.Logger);
  const service = new TaskService(
    { tasks: adapters.tasks, signals: adapters.taskSignals, clock: c.get(TOKENS.Clock), ids: c.get(TOKENS.IdGenerator), meta: c.get(TOKENS.EventMeta), logger },
    {
      replicaId: `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`,
      maxLivePerPrincipal: t.max_live_per_principal,
      ttlMs: t.ttl_ms,
      syncBudgetMs: t.sync_budget_ms,
      pollIntervalMs: t.poll_interval_ms,
      describeError: (error, origin) => {
        const mapped = toMcpError(error, logger, origin.method);
        return mapped.data === undefined ? { code: mapped.code, message: mapped.message } : { code: mapped.code, message: mapped.message, data: mapped.data };
      },
    },
  );
  return service;
}

/** Conversations with Claude: the model client (its SDK loads on the first message), settings, owners. */
interface ClaudeSetup {
  readonly llm: LlmClient | undefined;
  readonly settings: ConversationSettings;
  readonly owners: ConversationOwners;
  readonly repository: ConversationRepository;
}

function claudeSetup(c: Container, config: ResolvedConfig, repository: ConversationRepository): ClaudeSetup {
  const k = config.claude;
  const settings: ConversationSettings = {
    model: k.model,
    maxTokens: k.max_tokens,
    ...(k.system_prompt !== undefined ? { systemPrompt: k.system_prompt } : {}),
    maxIterations: k.max_iterations,
    allowedTools: k.allowed_tools,
    backend: k.backend,
    contextBudgetTokens: k.context_budget_tokens,
  };
  const llm = llmClientFor(k, c.get(TOKENS.Logger));
  return { llm, settings, owners: new ConversationOwners(c.get(TOKENS.SessionRepository)), repository };
}

function bindUseCases(
  c: Container,
  config: ResolvedConfig,
  toolResults: ToolResultCache,
  usage: ToolUsageReader | undefined,
  tasks: TaskService | undefined,
  conformance: ConformanceProfile | undefined,
  claude: ClaudeSetup,
  rateLimiter: RateLimiter | undefined,
  metrics: Metrics,
  tracer: Tracer,
): { commands: CommandBus; queries: QueryBus } {
  const T = TOKENS;
  const workspaces = c.get(T.Workspaces);
  const deps: UseCaseDependencies = {
    sessions: c.get(T.SessionRepository),
    executions: c.get(T.ToolExecutionRepository),
    outbox: c.get(T.Outbox),
    registry: c.get(T.ToolRegistry),
    prompts: c.get(T.PromptCatalog),
    healthChecks: c.get(T.HealthChecks),
    clock: c.get(T.Clock),
    ids: c.get(T.IdGenerator),
    meta: c.get(T.EventMeta),
    settings: c.get(T.Settings),
    logger: c.get(T.Logger),
    toolResults,
    ...(tasks ? { tasks } : {}),
    ...(rateLimiter ? { rateLimiter } : {}),
    metrics,
    ...(tracer.enabled ? { tracer } : {}),
    backendOf: commandBackend(c.get(T.Executor)),
    conversations: { repository: claude.repository, backends: new LlmBackends(claude.settings.backend, claude.llm), settings: claude.settings },
  };
  const resources = new ResourceCatalog([
    new ServerResources(redactConfig(config) as Record<string, unknown>, healthReporter(deps), undefined, usage, workspaces),
    new FileResources(workspaces, Math.min(config.execution.security.max_read_bytes, config.execution.security.max_file_bytes), c.get(T.ReadBudget)),
    ...(usage ? [new AnalyticsResources(usage, c.get(T.Clock))] : []),
    new ConversationResources(claude.repository, claude.owners),
    ...(conformance ? [conformance.resources()] : []),
  ]);
  const buses = createBuses(deps, resources);
  // A view of each bus with one span per message (the same handlers); the plain buses when off.
  const commands = tracer.enabled ? tracedBus(buses.commands, tracer) : buses.commands;
  const queries = tracer.enabled ? tracedBus(buses.queries, tracer) : buses.queries;
  c.bind(T.CommandBus).toConstantValue(commands);
  return { commands, queries };
}

function toolFamilies(c: Container, config: ResolvedConfig, execution: Execution, conformance: ConformanceProfile | undefined, tracer: Tracer): ToolFamily[] {
  const workspaces = c.get(TOKENS.Workspaces);
  const s = config.execution.security;
  const executions = c.get(TOKENS.ExecutionBudget);
  const { setup, audit } = execution;
  const executor = c.get(TOKENS.Executor);
  return [
    ...(conformance ? conformance.toolFamilies(c.get(TOKENS.CommandBus)) : []),
    new SystemTools(c.get(TOKENS.SystemProbe), workspaces.server),
    new FileTools(workspaces, {
      readBudget: c.get(TOKENS.ReadBudget), maxFileBytes: s.max_file_bytes, maxReadBytes: s.max_read_bytes, maxListEntries: s.max_list_entries, maxSearchResults: s.max_search_results }),
    new CommandTools(tracer.enabled ? tracedExecutor(executor, tracer) : executor, workspaces, () => setup().policy, () => ({ ...setup().limits, executions }), audit),
    // The same policy object and backend as execute_command, so the answer is what a run would meet.
    new CommandCheckTools(executor, workspaces, () => setup().policy, () => setup().limits),
    new SystemStatusTools(statusReport(c), executor),
  ];
}

/** Event ids and times, and the span active where the event happened (tracing on). */
function tracedMeta(ids: RandomUuidGenerator, clock: SystemClock, tracer: Tracer): EventMetaSource {
  return () => {
    const trace = tracer.current();
    return trace ? { id: ids.next(), occurredAt: clock.now(), trace } : { id: ids.next(), occurredAt: clock.now() };
  };
}

/** The relay's destinations; with tracing on each publish is a PRODUCER span whose context the message carries. */
function tracedDestinations(tracer: Tracer, config: ResolvedConfig, events: EventPublisher, projection: EventPublisher | undefined): EventPublisher[] {
  if (!tracer.enabled) return [events, ...(projection ? [projection] : [])];
  return [new TracedEventPublisher(events, tracer, config.events.driver), ...(projection ? [new TracedEventPublisher(projection, tracer, 'clickhouse')] : [])];
}

/** The tools that run commands are labelled with the executor's backend (replaced on reload); the others with `none`. */
function commandBackend(executor: { readonly backend: string }): (tool: string) => string {
  return (tool) => (tool === 'execute_command' ? executor.backend : 'none');
}

/** The status://health report, built from the same parts as the one the server resources read. */
function statusReport(c: Container): () => Promise<HealthReport> {
  const handler = new GetHealthHandler(c.get(TOKENS.SessionRepository), c.get(TOKENS.HealthChecks), c.get(TOKENS.Settings), c.get(TOKENS.Clock));
  return () => handler.execute();
}
