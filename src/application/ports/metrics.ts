import type { SessionState } from '../../domain/session/session-state.js';
import type { TaskStatus } from '../../domain/task/task.events.js';

/**
 * Port: what the application and presentation report at their boundaries, for the operator's
 * dashboards and alerts (Prometheus when configured). Calls are fire-and-forget and never throw.
 * The hot path calls them unconditionally, so `NO_METRICS` (metrics off) must cost nothing: a
 * `…Started()` mark is a plain number, and nothing is read or allocated until a real adapter is wired.
 *
 * Labels stay bounded: pass a method or tool name as registered, never a session id, a path or an
 * argument. The adapter still folds anything outside its allow-lists into `other`.
 */

/** `legacy`: a 2025-era message (a session); `modern`: a 2026-07-28 stateless request. */
export type RequestEra = 'legacy' | 'modern';
/** `client_error`: the request was wrong (bad params, unknown tool); `server_error`: we failed or were busy. */
export type RequestOutcome = 'ok' | 'client_error' | 'server_error' | 'cancelled';
export type ToolOutcome = 'ok' | 'error' | 'timeout' | 'cancelled';
/** `transient`: an outage, retried while it lasts; `rejected`: refused by the broker, counts toward parking. */
export type RelayOutcome = 'ok' | 'transient' | 'rejected';
/** Which of the rate limiter's checks refused: `request()`, `toolCall()` or `acquire()`. */
export type RateLimitKind = 'request' | 'tool_call' | 'concurrency';
export type BudgetScope = 'global' | 'session';

export interface OutboxBacklog {
  /** Unpublished and not parked. */
  readonly pending: number;
  /** Age of the oldest of those; 0 when there are none. */
  readonly oldestAgeSeconds: number;
  readonly parked?: number;
}

export interface ExecutorLoad {
  /** Commands running now (the execution budget's total). */
  readonly running: number;
  /** The budget's global cap (execution.security.max_concurrent_executions). */
  readonly capacity: number;
}

/** Read at scrape time. A probe that throws or is slow leaves its series out of that scrape. */
export type MetricsProbe<T> = () => T | Promise<T>;

export interface Metrics {
  /** A monotonic start mark (opaque) for `requestEnded`; every started request must end. */
  requestStarted(): number;
  requestEnded(started: number, method: string, era: RequestEra, outcome: RequestOutcome): void;
  toolCallStarted(): number;
  /** `backend`: the executor's (`native`, `docker`, `ssh`, `host_agent`) or `none` for a tool that runs nothing. */
  toolCallEnded(started: number, tool: string, backend: string, outcome: ToolOutcome): void;
  relayPublishStarted(): number;
  /** One publish attempt of a batch of `events`. */
  relayPublishEnded(started: number, events: number, outcome: RelayOutcome): void;
  relayParked(events: number): void;
  cacheLookup(hit: boolean): void;
  rateLimited(kind: RateLimitKind): void;
  /** A command refused because the execution budget was full ("server busy"). */
  executorRefused(scope: BudgetScope): void;
  /** One probe per kind, registered at wiring; a second registration of the same kind throws. */
  observeSessions(probe: MetricsProbe<Readonly<Partial<Record<SessionState, number>>>>): void;
  observeTasks(probe: MetricsProbe<Readonly<Partial<Record<TaskStatus, number>>>>): void;
  observeOutbox(probe: MetricsProbe<OutboxBacklog>): void;
  observeExecutor(probe: MetricsProbe<ExecutorLoad>): void;
}

const nothing = (): void => undefined;
const zero = (): number => 0;

/** Metrics off: every call returns at once. */
export const NO_METRICS: Metrics = Object.freeze({
  requestStarted: zero,
  requestEnded: nothing,
  toolCallStarted: zero,
  toolCallEnded: nothing,
  relayPublishStarted: zero,
  relayPublishEnded: nothing,
  relayParked: nothing,
  cacheLookup: nothing,
  rateLimited: nothing,
  executorRefused: nothing,
  observeSessions: nothing,
  observeTasks: nothing,
  observeOutbox: nothing,
  observeExecutor: nothing,
});

/**
 * The JSON-RPC codes a client causes (malformed, unknown method or name, bad params, missing
 * capability or header, unsupported revision). Everything else, -32603 included (which also carries
 * "server busy"), is the server's: the error-ratio alert counts only those.
 */
const CLIENT_CODES = new Set([-32700, -32600, -32601, -32602, -32001, -32002, -32003, -32020, -32021, -32022, -32042]);

export function outcomeOfErrorCode(code: number): RequestOutcome {
  return CLIENT_CODES.has(code) ? 'client_error' : 'server_error';
}
