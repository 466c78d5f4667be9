import { z } from 'zod';
import { authSchema } from './auth.schema.js';
import { bool, int, list, listOf } from './config-values.js';
import { executionSchema, securitySchema } from './execution.schema.js';
import { rateLimitsDefaults, rateLimitsSchema } from './rate-limits.schema.js';
import { telemetryDefaults, telemetrySchema, type TelemetryConfig } from './telemetry.schema.js';
import type { ConfigDeprecation } from './config-deprecation.js';

export { DEFAULT_ALLOWED_COMMANDS, DEFAULT_BLOCKED_COMMANDS, DEFAULT_REFUSED_ENV } from './execution.schema.js';

const httpSchema = z
  .object({
    host: z.string().min(1).default('127.0.0.1'),
    port: int(0, 65535, 'expected an integer 1–65535 (or 0 for any free port)').default(8080),
    allow_insecure_remote: bool.default(false),
    allowed_hosts: list.default([]),
    allowed_origins: list.default([]),
    max_body_bytes: int(1024, 256 * 1024 * 1024).default(4 * 1024 * 1024),
    request_timeout_ms: int(100, 3_600_000).default(300_000),
    max_sessions: int(1, 1_000_000).default(10_000),
    max_sessions_per_client: int(1, 1_000_000).default(100),
    session_idle_ms: int(1000, 7 * 24 * 3_600_000).default(30 * 60_000),
    init_timeout_ms: int(100, 3_600_000).default(10_000),
    headers_timeout_ms: int(100, 600_000).default(10_000),
    body_timeout_ms: int(100, 3_600_000).default(30_000),
    idle_timeout_ms: int(100, 3_600_000).default(65_000),
    max_connections: int(1, 1_000_000).default(1024),
    sse_keepalive_ms: int(100, 600_000).default(15_000),
    sse_retry_ms: int(0, 600_000).default(1_000),
    legacy_sse: bool.default(true),
    response_mode: z.enum(['auto', 'json', 'sse']).default('auto'),
    event_retention: int(0, 1_000_000).default(1_000),
  })
  .strict();

const serverSchema = z
  .object({
    name: z.string().min(1).default('tfo-mcp'),
    version: z.string().min(1).optional(),
    transport: z.enum(['stdio', 'http']).default('stdio'),
    /** Written at start-up (the pid), removed at exit: `tfo-mcp config reload` signals SIGHUP to it. */
    pid_file: z.string().min(1).optional(),
    http: httpSchema.prefault({}),
  })
  .strict();

/**
 * The model the `claude` tools use when neither the config nor the call names one: the newest Sonnet in
 * @anthropic-ai/sdk 1.16's model list (the line of the old default, claude-sonnet-4-5, which the SDK
 * dropped when it retired). Start-up checks it with models.retrieve and warns when it is deprecated.
 */
export const DEFAULT_CLAUDE_MODEL = 'claude-sonnet-5-5';

/**
 * The tools the model may call in the agentic loop unless the operator lists others: the read-only
 * ones. execute_command, write_file and claude_conversation itself are left out on purpose.
 */
export const DEFAULT_CLAUDE_TOOLS = ['read_file', 'list_directory', 'search_files', 'system_info', 'get_system_status', 'check_command_exists'];

/**
 * Variables the Anthropic tooling itself reads, honoured as the lowest layer above the defaults:
 * tfo-mcp.yaml and TELEMETRYFLOW_MCP_CLAUDE__* still win. An empty value counts as unset.
 */
export const CLAUDE_ENV_ALIASES: Readonly<Record<string, string>> = {
  ANTHROPIC_API_KEY: 'claude.api_key',
  ANTHROPIC_BASE_URL: 'claude.base_url',
};

const claudeSchema = z
  .object({
    /** Secret: redacted in `config print`, config://server and logs by its name. Empty counts as unset. */
    api_key: z.string().optional(),
    base_url: z.string().url().optional(),
    /** `api`: the Messages API (needs api_key). `sampling`: the client's own model via sampling/createMessage. */
    backend: z.enum(['api', 'sampling']).default('api'),
    model: z.string().min(1).default(DEFAULT_CLAUDE_MODEL),
    max_tokens: int(1, 200_000).default(4096),
    /** The longest the API may stay silent: before the answer starts (per attempt) and between streamed events. */
    timeout_ms: int(1000, 600_000).default(60_000),
    /** The SDK's own retries of 408/409/429/5xx/529 and connection errors, honouring retry-after. */
    max_retries: int(0, 10).default(2),
    /** Added to tfo-mcp's own system prompt (which says that tool results are data, not instructions). */
    system_prompt: z.string().optional(),
    max_iterations: int(1, 100).default(10),
    allowed_tools: list.default(DEFAULT_CLAUDE_TOOLS),
    /** Tokens of history sent per request; older tool results are trimmed first, then whole exchanges. */
    context_budget_tokens: int(1_000, 2_000_000).default(150_000),
    /** Marks the request for prompt caching, so each loop iteration re-reads the history from the cache. */
    prompt_caching: bool.default(true),
  })
  .strict();

const mcpSchema = z
  .object({
    roots: list.optional(),
    page_size: int(1, 1000).default(100),
    max_message_bytes: int(1024, 64 * 1024 * 1024).default(4 * 1024 * 1024),
    client_log_level: z.enum(['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency']).default('info'),
    capabilities: z
      .object({
        tools: bool.default(true),
        resources: bool.default(true),
        prompts: bool.default(true),
        logging: bool.default(true),
        completions: bool.default(true),
      })
      .strict()
      .prefault({}),
    fixtures: z
      .object({ conformance: bool.default(false) })
      .strict()
      .prefault({}),
    compat: z
      .object({ telemetryflow_error_codes: bool.default(false) })
      .strict()
      .prefault({}),
    /** The io.modelcontextprotocol/tasks extension (2026-07-28): long-running calls become durable tasks. */
    tasks: z
      .object({
        enabled: bool.default(true),
        /** Live (not terminal) tasks one principal may hold; one more is refused with a retryable error. */
        max_live_per_principal: int(1, 100_000).default(32),
        /** How long a task (and its result) is kept after it was created, unless the client asks for less. */
        ttl_ms: int(1_000, 7 * 86_400_000).default(3_600_000),
        /** A task-supporting tool answers inline when it finishes within this; otherwise it becomes a task. */
        sync_budget_ms: int(0, 60_000).default(500),
        /** Suggested tasks/get polling interval. */
        poll_interval_ms: int(100, 60_000).default(1_000),
      })
      .strict()
      .prefault({}),
    /** Multi-round-trip requests (2026-07-28): the HMAC keys that sign requestState. */
    request_state: z
      .object({
        /** Newest first: new states are signed with the first, verified against all (rotation). Each ≥ 32 characters. */
        keys: listOf(z.string().min(32, 'a request_state key must be at least 32 characters')).default([]),
        ttl_seconds: int(10, 86_400).default(600),
      })
      .strict()
      .prefault({}),
    timeouts: z
      .object({
        tool_ms: int(100, 3_600_000).default(120_000),
        shutdown_ms: int(100, 120_000).default(5_000),
      })
      .strict()
      .prefault({}),
  })
  .strict();

const loggingSchema = z
  .object({
    level: z.enum(['error', 'warn', 'info', 'debug']).default('info'),
    /** `pretty`: colourless lines for a terminal; `text` is its old name, still accepted. */
    format: z.enum(['json', 'pretty', 'text']).default('json'),
  })
  .strict();

const natsSchema = z
  .object({
    url: z.string().min(1).default('nats://127.0.0.1:4222'),
    stream: z.string().regex(/^[A-Za-z0-9_-]+$/).default('TFO_MCP_EVENTS'),
    subject_prefix: z.string().regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/).default('tfo.mcp'),
    retention: z.enum(['limits', 'interest', 'workqueue']).default('limits'),
    max_age_ms: int(0, 365 * 24 * 3_600_000).default(7 * 24 * 3_600_000),
    duplicate_window_ms: int(1000, 24 * 3_600_000).default(2 * 60_000),
    storage: z.enum(['file', 'memory']).default('file'),
  })
  .strict();

const eventsSchema = z
  .object({
    driver: z.enum(['none', 'memory', 'nats']).default('memory'),
    source: z.string().min(1).default('tfo-mcp'),
    memory_retention: int(0, 1_000_000).default(1_000),
    outbox_capacity: int(100, 10_000_000).default(100_000),
    relay_batch_size: int(1, 10_000).default(256),
    relay_max_attempts: int(1, 1000).default(10),
    nats: natsSchema.prefault({}),
  })
  .strict();

const persistenceSchema = z
  .object({
    driver: z.enum(['memory', 'postgres']).default('memory'),
    closed_session_retention: int(0, 10_000_000).default(1000),
    postgres: z
      .object({
        url: z.string().min(1).default('postgres://tfo:tfo@127.0.0.1:5432/tfo_mcp'),
        pool_max: int(1, 1000).default(10),
        statement_timeout_ms: int(100, 600_000).default(10_000),
        migrate_on_start: bool.default(true),
      })
      .strict()
      .prefault({}),
  })
  .strict();

const cacheSchema = z
  .object({
    driver: z.enum(['memory', 'redis']).default('memory'),
    ttl_ms: int(0, 24 * 3_600_000).default(0),
    max_entries: int(0, 10_000_000).default(10_000),
    max_value_bytes: int(1024, 64 * 1024 * 1024).default(1024 * 1024),
    disabled_tools: list.default([]),
    redis: z
      .object({
        url: z.string().min(1).default('redis://127.0.0.1:6379/0'),
        key_prefix: z.string().default('tfo-mcp:'),
        connect_timeout_ms: int(100, 60_000).default(2_000),
      })
      .strict()
      .prefault({}),
  })
  .strict();

const analyticsSchema = z
  .object({
    driver: z.enum(['none', 'clickhouse']).default('none'),
    clickhouse: z
      .object({
        url: z.string().min(1).default('http://127.0.0.1:8123'),
        database: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/).default('tfo_mcp'),
        username: z.string().default('default'),
        password: z.string().default(''),
        batch_size: int(1, 1_000_000).default(1_000),
      })
      .strict()
      .prefault({}),
  })
  .strict();

/** Every section; auth, rate_limits and telemetry are z.lazy, built on their first parse (see configSchemaFor). */
const configShape = {
  server: serverSchema.prefault({}),
  claude: claudeSchema.prefault({}),
  /** Absent: HTTP callers are anonymous (loopback only) and stdio may use everything. */
  auth: authSchema.optional(),
  /** Off unless `enabled`: per-principal request, tool-call and concurrency limits (memory or Redis). */
  rate_limits: rateLimitsSchema.prefault({}),
  mcp: mcpSchema.prefault({}),
  /** Deprecated (one release): the keys moved to execution.security; the loader moves them and warns. */
  security: securitySchema.optional(),
  execution: executionSchema.prefault({}),
  logging: loggingSchema.prefault({}),
  telemetry: telemetrySchema.prefault({}),
  events: eventsSchema.prefault({}),
  persistence: persistenceSchema.prefault({}),
  cache: cacheSchema.prefault({}),
  analytics: analyticsSchema.prefault({}),
};

type ConfigSchema = z.ZodObject<typeof configShape, z.core.$strict>;

/**
 * Sections a server without them never builds a schema for (auth.schema.ts, rate-limits.schema.ts,
 * telemetry.schema.ts: z.lazy): building and first running those schemas was most of what issues 14
 * and 15 added to start-up. What each becomes when the configuration leaves it out: nothing (auth),
 * or the defaults an empty section parses to.
 */
const SECTIONS_BUILT_WHEN_PRESENT = {
  auth: () => z.undefined().optional(),
  rate_limits: () => z.undefined().optional().transform(rateLimitsDefaults),
  telemetry: () => z.undefined().optional().transform(telemetryDefaults),
} as const;
type DeferredSection = keyof typeof SECTIONS_BUILT_WHEN_PRESENT;
const DEFERRED_SECTIONS = Object.keys(SECTIONS_BUILT_WHEN_PRESENT) as DeferredSection[];
const schemasByAbsent = new Map<string, ConfigSchema>();

/**
 * The schema `input` (the merged layers) is parsed with: every section, except that each deferred
 * section the input leaves out is replaced by what it becomes (SECTIONS_BUILT_WHEN_PRESENT). A section
 * that is there (even as null or a wrong type) keeps its full schema, so its problems read as before.
 * Built once per combination of absent sections.
 */
export function configSchemaFor(input: Readonly<Record<string, unknown>>): ConfigSchema {
  const absent = DEFERRED_SECTIONS.filter((key) => input[key] === undefined);
  const key = absent.join();
  let schema = schemasByAbsent.get(key);
  if (schema === undefined) {
    const placeholders = Object.fromEntries(absent.map((section) => [section, SECTIONS_BUILT_WHEN_PRESENT[section]()]));
    // Spread keeps every key where configShape has it: the parsed config's key order (config print) is unchanged.
    schema = z.strictObject({ ...configShape, ...placeholders }) as unknown as ConfigSchema;
    schemasByAbsent.set(key, schema);
  }
  return schema;
}

export type AppConfig = z.infer<ConfigSchema>;
/**
 * After loading: the server version filled in, and roots resolved to absolute paths — the
 * configured ones, or the working directory where that is safe, or none (with the reason).
 */
export type ResolvedConfig = AppConfig & {
  readonly mcp: AppConfig['mcp'] & {
    readonly roots: readonly string[];
    readonly roots_source: 'config' | 'working-directory' | 'none';
    readonly roots_note?: string;
  };
  readonly server: AppConfig['server'] & { readonly version: string };
  /** The deprecated telemetry keys moved (telemetry.schema.ts). */
  readonly telemetry: TelemetryConfig;
  readonly execution: AppConfig['execution'] & { readonly docker: AppConfig['execution']['docker'] & { readonly host: string } };
  /**
   * @deprecated read `execution.security`. The same object, kept (not enumerable, so neither printed
   * nor compared on reload) for readers not yet moved; removed with the `security` section.
   */
  readonly security: AppConfig['execution']['security'];
  /** Deprecated keys that were set, with where they moved (not enumerable: a note, not configuration). */
  readonly deprecations: readonly ConfigDeprecation[];
};

export type { ConfigDeprecation } from './config-deprecation.js';
