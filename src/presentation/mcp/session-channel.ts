import type { Metrics } from '../../application/ports/metrics.js';
import type { Tracer } from '../../application/ports/tracer.js';
import type { ClientCapabilities, ServerCapabilities } from '@modelcontextprotocol/server';
import type { CommandBus, QueryBus } from '../../application/bus/message-bus.js';
import type { Logger } from '../../application/ports/logger.js';
import type { RequestStateSealer } from '../../application/ports/request-state.js';
import type { ServerSettings } from '../../application/server-settings.js';
import type { TaskService } from '../../application/tasks/task-service.js';
import type { ToolDescriptor } from '../../application/tools/tool-registry.js';
import type { LogLevel } from '../../domain/session/log-level.js';
import type { RequestDispatcher } from './request-dispatcher.js';
import type { ClientRootsCache } from './client-roots-cache.js';
import type { ErrorCodeStyle } from './error-mapping.js';
import type { RequestGate } from './request-gate.js';

export interface McpFeatures {
  readonly tools: boolean;
  readonly resources: boolean;
  readonly prompts: boolean;
  readonly logging: boolean;
  readonly completions: boolean;
}

export interface McpDependencies {
  readonly commands: CommandBus;
  readonly queries: QueryBus;
  readonly logger: Logger;
  readonly settings: ServerSettings;
  readonly features: McpFeatures;
  readonly instructions?: string;
  /** Which JSON-RPC codes not-found errors use (default: the MCP specification's). */
  readonly errorCodes?: ErrorCodeStyle;
  /** Signs the requestState of multi-round 2026-07-28 requests; without it they answer an internal error. */
  readonly requestState?: RequestStateSealer;
  /**
   * Tells `listener` each time the tool list changed (a tool registered at runtime), until the
   * returned function is called: feeds subscriptions/listen streams and 2025 sessions'
   * notifications/tools/list_changed. Without it neither ever hears of a change.
   */
  readonly toolChanges?: (listener: () => void) => () => void;
  /**
   * Tasks of the io.modelcontextprotocol/tasks extension (mcp.tasks.enabled): on 2026-07-28
   * requests, tasks/get|update|cancel, task-supporting tool calls that outlive their request, and
   * `notifications/tasks` on subscriptions/listen streams. Absent: the extension is not offered.
   */
  readonly tasks?: TaskService;
  /** The tool catalog as tools/list shows it (same array until it changes): the HTTP edge's Mcp-Param-* checks read it. */
  readonly toolCatalog?: () => readonly ToolDescriptor[];
  /** Requests counted by method, era and outcome (telemetry.metrics); absent: NO_METRICS. */
  readonly metrics?: Metrics;
  /** One SERVER span per request (telemetry.otlp); absent or NO_TRACING: none. */
  readonly tracer?: Tracer;
}

/** What the route tables need from a connection (McpConnection implements it). */
export interface SessionChannel {
  readonly deps: McpDependencies;
  readonly capabilities: ServerCapabilities;
  /** What the client declared at initialize. */
  clientCapabilities: ClientCapabilities;
  readonly sessionId: string;
  readonly gate: RequestGate;
  /** Where route tables register their request handlers. */
  readonly dispatcher: RequestDispatcher;
  /** Set while `initialize` (or a lifecycle step after it) runs: requests that arrive meanwhile wait instead of failing. */
  readonly initializing?: Promise<void>;
  initializeSettled(): void;
  /** Runs a lifecycle step after the one in progress; requests arriving meanwhile wait for it. */
  inOrder(task: () => Promise<void>): void;
  clientLogLevel: LogLevel;
  /** Set once the client completed initialization (notifications/initialized was accepted). */
  ready: boolean;
  /** The client's roots/list answer, until it says they changed. */
  readonly clientRoots: ClientRootsCache;
  /** resources/subscribe watchers by URI; stopped when the session closes. */
  readonly subscriptions: Map<string, () => void>;
  close(reason: string): Promise<void>;
  /** Closes the transport (after `shutdown`); the session ends as for any closed transport. */
  closeTransport(): Promise<void>;
}
