/** Which executions a tool-usage report covers; no window means all recorded history. */
export interface ToolUsageQuery {
  /** Only executions that finished at most this many seconds ago (a non-negative integer). */
  readonly sinceSeconds?: number;
}

/** One tool's usage over the window; retried deliveries of the same execution count once. */
export interface ToolUsageRow {
  readonly tool: string;
  readonly calls: number;
  readonly errors: number;
  readonly cancelled: number;
  readonly avgDurationMs: number;
  /** Percentiles interpolate linearly between the two nearest recorded durations. */
  readonly p50DurationMs: number;
  readonly p95DurationMs: number;
  /** ISO 8601, to the second. */
  readonly lastCalledAt: string;
}

/**
 * The analytics store's read models: tool usage, most-called tool first, conversation activity with
 * tokens per model, and execute_command decisions. One port because one store (analytics.driver)
 * answers them all and a deployment has all or none; status://health reads only toolUsage.
 */
export interface ToolUsageReader extends ExecutionActivityReader {
  toolUsage(query?: ToolUsageQuery): Promise<ToolUsageRow[]>;
  conversationUsage(query: ConversationUsageQuery): Promise<ConversationUsage>;
}

/** Which conversation facts a report covers. */
export interface ConversationUsageQuery {
  /** Only facts at most this many seconds old (a positive integer). */
  readonly sinceSeconds: number;
}

/**
 * Conversations over the window. A turn is one claude_conversation call: it ends completed (any
 * stop reason, the iteration cap included) or failed. Redelivered events count once.
 */
export interface ConversationActivity {
  readonly started: number;
  readonly closed: number;
  /** Distinct conversations with at least one turn that ended in the window. */
  readonly active: number;
  readonly turns: number;
  readonly completedTurns: number;
  readonly failedTurns: number;
}

/** Tokens one model spent over the window, summed over the turns that ended in it. */
export interface ModelUsage {
  readonly model: string;
  readonly turns: number;
  readonly failedTurns: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cacheReadInputTokens: number;
  readonly cacheCreationInputTokens: number;
}

export interface ConversationUsage {
  readonly conversations: ConversationActivity;
  /** Most tokens (input + output) first. */
  readonly models: readonly ModelUsage[];
}

/** Which execute_command decisions an execution report covers. */
export interface ExecutionActivityQuery {
  /** Only decisions made at most this many seconds ago (a positive integer). */
  readonly sinceSeconds: number;
  /** How many of the latest decisions to list (a positive integer). */
  readonly recentLimit: number;
}

/**
 * One decision as an analytics reader shows it to any client of the server: argv, cwd and the
 * session stay in the audit store, since the masked argv can still carry paths and values of
 * other sessions' work.
 */
export interface ExecutionDecisionSummary {
  readonly executionId: string;
  readonly decision: 'allowed' | 'denied';
  readonly rule: string;
  readonly reason: string;
  readonly backend: string;
  readonly program: string;
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly durationMs: number;
  readonly outputBytes: number;
  readonly truncated: boolean;
  readonly timedOut: boolean;
  readonly killed: boolean;
  readonly failed: boolean;
  /** ISO 8601 with milliseconds. */
  readonly decidedAt: string;
}

export interface DenialsByRule {
  readonly rule: string;
  readonly denials: number;
  readonly lastDeniedAt: string;
}

/** Runs (allowed decisions) per backend; failed means the backend could not start or finish the run. */
export interface RunsByBackend {
  readonly backend: string;
  readonly runs: number;
  readonly failed: number;
  readonly timedOut: number;
  readonly killed: number;
  readonly truncated: number;
  readonly avgDurationMs: number;
  readonly p95DurationMs: number;
}

/** Every count collapses redelivered events (at-least-once delivery counts once). */
export interface ExecutionActivity {
  readonly allowed: number;
  readonly denied: number;
  /** Most frequent rule first. */
  readonly deniedByRule: readonly DenialsByRule[];
  /** Busiest backend first. */
  readonly runsByBackend: readonly RunsByBackend[];
  /** Latest first. */
  readonly recent: readonly ExecutionDecisionSummary[];
}

/** The analytics read model of execute_command decisions (execution.decided). */
export interface ExecutionActivityReader {
  executionActivity(query: ExecutionActivityQuery): Promise<ExecutionActivity>;
}
