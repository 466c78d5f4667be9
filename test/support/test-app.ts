import type { QueryBus } from '../../src/application/bus/message-bus.js';
import type { HealthReport } from '../../src/application/health/get-health.query.js';
import { createBuses, healthReporter, type UseCaseDependencies } from '../../src/composition/buses.js';
import type { HealthCheck } from '../../src/application/ports/health.js';
import type { RateLimiter } from '../../src/application/ports/rate-limiter.js';
import type { Principal } from '../../src/domain/auth/principal.js';
import { PromptCatalog, type PromptDefinition } from '../../src/application/prompts/prompt-catalog.js';
import { ResourceCatalog, type ResourceProvider } from '../../src/application/resources/resource-catalog.js';
import type { ServerSettings } from '../../src/application/server-settings.js';
import { InitializeSessionCommand } from '../../src/application/session/initialize-session.command.js';
import { MarkSessionReadyCommand } from '../../src/application/session/mark-session-ready.command.js';
import { OpenSessionCommand } from '../../src/application/session/open-session.command.js';
import { TaskService, type TaskServiceOptions } from '../../src/application/tasks/task-service.js';
import { ToolRegistry } from '../../src/application/tools/tool-registry.js';
import type { ToolResultCache } from '../../src/application/tools/tool-result-cache.js';
import type { DomainEvent } from '../../src/domain/shared/domain-event.js';
import type { EventMetaSource } from '../../src/domain/shared/event-meta-source.js';
import { EmbeddedHealthCheck, InMemoryOutboxHealthCheck } from '../../src/infrastructure/health/embedded-health-checks.js';
import { InMemoryOutbox } from '../../src/infrastructure/persistence/memory/in-memory-outbox.js';
import { InMemorySessionRepository } from '../../src/infrastructure/persistence/memory/in-memory-session-repository.js';
import { InMemoryTaskRepository } from '../../src/infrastructure/persistence/memory/in-memory-task-repository.js';
import { InMemoryToolExecutionRepository } from '../../src/infrastructure/persistence/memory/in-memory-tool-execution-repository.js';
import { CODE_PROMPTS } from '../../src/application/prompts/code.prompts.js';
import { ServerResources } from '../../src/application/resources/server.resources.js';
import { RecordingLogger, serverSettings } from './builders.js';
import { eventMetaFrom, FixedClock, SequentialIds } from './fixed-clock.js';

export interface TestAppOptions {
  readonly settings?: Partial<ServerSettings>;
  readonly healthChecks?: (outbox: InMemoryOutbox) => HealthCheck[];
  readonly healthCheckTimeoutMs?: number;
  readonly prompts?: readonly PromptDefinition[];
  /** The resource providers, given the health report function the composition root would pass. */
  readonly resourceProviders?: (health: () => Promise<HealthReport>) => ResourceProvider[];
  readonly outboxCapacity?: number;
  readonly closedSessionRetention?: number;
  readonly toolResults?: ToolResultCache;
  /**
   * Serve tasks (2026-07-28 extension): a real TaskService over an in-memory task repository that
   * shares the app's outbox, clock and logger, with these options over small test defaults. Absent:
   * every tool call inline, as with mcp.tasks.enabled=false. Not started (no timers): stop it after the test.
   */
  readonly tasks?: Partial<TaskServiceOptions>;
  /** Tool-level rate limits (rate_limits); absent: none, as without the section. */
  readonly rateLimiter?: RateLimiter;
}

/** Test defaults: a short sync budget so a call held by the test becomes a task quickly. */
const TEST_TASK_OPTIONS: TaskServiceOptions = { replicaId: 'replica-test', maxLivePerPrincipal: 4, ttlMs: 60_000, syncBudgetMs: 30, pollIntervalMs: 500 };

/**
 * Every use case wired by the same createBuses() that container.ts uses, but over the in-memory adapters, a fixed
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
  const taskRepository = options.tasks ? new InMemoryTaskRepository(outbox, meta) : undefined;
  const tasks = taskRepository
    ? new TaskService({ tasks: taskRepository, signals: taskRepository, clock, ids: new SequentialIds('task'), meta, logger }, { ...TEST_TASK_OPTIONS, ...options.tasks })
    : undefined;
  const checks = options.healthChecks?.(outbox) ?? [new EmbeddedHealthCheck('persistence', 'memory'), new InMemoryOutboxHealthCheck(outbox)];

  const deps: UseCaseDependencies = {
    sessions,
    executions,
    outbox,
    registry,
    prompts,
    healthChecks: checks,
    clock,
    ids,
    meta,
    settings,
    logger,
    healthCheckTimeoutMs: options.healthCheckTimeoutMs,
    toolResults: options.toolResults,
    tasks,
    rateLimiter: options.rateLimiter,
  };
  const health = healthReporter(deps);
  const resources = new ResourceCatalog(options.resourceProviders?.(health) ?? [new ServerResources({ server: { name: 'tfo-mcp-test' } }, health)]);
  const { commands, queries } = createBuses(deps, resources);

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
    /** Present with the `tasks` option. */
    tasks,
    taskRepository,

    /** A session in state CREATED, owned by `principal` (absent: the anonymous caller). */
    async openSession(sessionId?: string, principal?: Principal): Promise<string> {
      return (await commands.execute(new OpenSessionCommand('memory', sessionId, principal))).sessionId;
    },

    /** A session in state INITIALIZING (initialize answered). */
    async initializedSession(sessionId?: string, principal?: Principal): Promise<string> {
      const id = await this.openSession(sessionId, principal);
      await commands.execute(new InitializeSessionCommand(id, settings.supportedProtocolVersions[0], { name: 'test-client', version: '1.0.0' }, {}));
      return id;
    },

    /** A session in state READY. */
    async readySession(sessionId?: string, principal?: Principal): Promise<string> {
      const id = await this.initializedSession(sessionId, principal);
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
