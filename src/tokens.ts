import type { ServiceIdentifier } from 'inversify';
import type { EventMetaSource } from './domain/shared/event-meta-source.js';
import type { SessionRepository } from './domain/session/session.repository.js';
import type { ToolExecutionRepository } from './domain/tool/tool-execution.repository.js';
import type { CommandBus } from './application/bus/message-bus.js';
import type { OutboxRelay } from './application/events/outbox-relay.js';
import type { Clock, IdGenerator } from './application/ports/clock.js';
import type { EventPublisher } from './application/ports/event-publisher.js';
import type { Executor } from './application/ports/executor.js';
import type { HealthCheck } from './application/ports/health.js';
import type { Logger } from './application/ports/logger.js';
import type { Outbox } from './application/ports/outbox.js';
import type { SystemProbe } from './application/ports/system-probe.js';
import type { WorkspaceScopes } from './application/workspace/workspace-scopes.js';
import type { InFlightBudget } from './application/limits/in-flight-budget.js';
import type { PromptCatalog } from './application/prompts/prompt-catalog.js';
import type { ServerSettings } from './application/server-settings.js';
import type { ToolRegistry } from './application/tools/tool-registry.js';

/** Every DI token, in one place. Only container.ts binds or resolves them. */
export const TOKENS = {
  Settings: Symbol.for('tfo.ServerSettings') as ServiceIdentifier<ServerSettings>,
  Logger: Symbol.for('tfo.Logger') as ServiceIdentifier<Logger>,
  Clock: Symbol.for('tfo.Clock') as ServiceIdentifier<Clock>,
  IdGenerator: Symbol.for('tfo.IdGenerator') as ServiceIdentifier<IdGenerator>,
  EventMeta: Symbol.for('tfo.EventMetaSource') as ServiceIdentifier<EventMetaSource>,
  Outbox: Symbol.for('tfo.Outbox') as ServiceIdentifier<Outbox>,
  EventPublisher: Symbol.for('tfo.EventPublisher') as ServiceIdentifier<EventPublisher>,
  OutboxRelay: Symbol.for('tfo.OutboxRelay') as ServiceIdentifier<OutboxRelay>,
  SessionRepository: Symbol.for('tfo.SessionRepository') as ServiceIdentifier<SessionRepository>,
  ToolExecutionRepository: Symbol.for('tfo.ToolExecutionRepository') as ServiceIdentifier<ToolExecutionRepository>,
  ToolRegistry: Symbol.for('tfo.ToolRegistry') as ServiceIdentifier<ToolRegistry>,
  PromptCatalog: Symbol.for('tfo.PromptCatalog') as ServiceIdentifier<PromptCatalog>,
  Workspaces: Symbol.for('tfo.Workspaces') as ServiceIdentifier<WorkspaceScopes>,
  /** Bytes held by file reads, and running commands: per session and in all. */
  ReadBudget: Symbol.for('tfo.ReadBudget') as ServiceIdentifier<InFlightBudget>,
  ExecutionBudget: Symbol.for('tfo.ExecutionBudget') as ServiceIdentifier<InFlightBudget>,
  Executor: Symbol.for('tfo.Executor') as ServiceIdentifier<Executor>,
  SystemProbe: Symbol.for('tfo.SystemProbe') as ServiceIdentifier<SystemProbe>,
  HealthChecks: Symbol.for('tfo.HealthChecks') as ServiceIdentifier<HealthCheck[]>,
  CommandBus: Symbol.for('tfo.CommandBus') as ServiceIdentifier<CommandBus>,
} as const;
