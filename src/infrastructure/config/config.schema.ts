import { z } from 'zod';

/** Env values arrive as strings: lists may be JSON arrays or comma-separated. */
const listOf = (item: z.ZodString) => z.preprocess(splitList, z.array(item));

function splitList(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const trimmed = value.trim();
  if (trimmed.startsWith('[')) {
    try {
      return JSON.parse(trimmed);
    } catch {
      return value;
    }
  }
  return trimmed === '' ? [] : trimmed.split(',').map((item) => item.trim());
}

const list = listOf(z.string().min(1));

const bool = z.preprocess((value) => {
  if (typeof value !== 'string') return value;
  const v = value.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(v)) return true;
  if (['false', '0', 'no', 'off'].includes(v)) return false;
  return value;
}, z.boolean());

/** Whole numbers in a range; every failure (not a number, a fraction, out of range) says the range. */
const int = (min: number, max: number, message = `expected an integer ${min}–${max}`) =>
  z.coerce.number({ error: message }).int({ error: message }).min(min, { error: message }).max(max, { error: message });

export const DEFAULT_ALLOWED_COMMANDS = [
  'echo', 'ls', 'cat', 'head', 'tail', 'wc', 'grep', 'sort', 'uniq', 'cut', 'tr', 'diff', 'stat', 'file',
  'pwd', 'date', 'whoami', 'uname', 'hostname', 'uptime', 'df', 'du', 'ps', 'sha256sum', 'md5sum', 'true', 'false',
];

export const DEFAULT_BLOCKED_COMMANDS = [
  'rm', 'rmdir', 'dd', 'mkfs', 'fdisk', 'shutdown', 'reboot', 'halt', 'poweroff', 'sudo', 'su', 'doas',
  'chmod', 'chown', 'kill', 'killall', 'pkill', 'mount', 'umount', 'curl', 'wget', 'nc', 'ncat', 'ssh', 'scp',
  'sh', 'bash', 'zsh', 'dash', 'env', 'xargs', 'eval', 'exec', 'nohup', 'setsid', 'crontab', 'systemctl',
];

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
    http: httpSchema.prefault({}),
  })
  .strict();

const claudeSchema = z
  .object({
    api_key: z.string().optional(),
    model: z.string().min(1).default('claude-sonnet-4-5'),
    max_tokens: int(1, 200_000).default(4096),
    base_url: z.string().url().optional(),
    timeout_ms: int(1000, 600_000).default(60_000),
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

const securitySchema = z
  .object({
    allowed_commands: list.default(DEFAULT_ALLOWED_COMMANDS),
    blocked_commands: list.default(DEFAULT_BLOCKED_COMMANDS),
    /** Allowed programs without a reviewed option rule that may run anyway, options unchecked ("*" = all). */
    unreviewed_commands: list.default([]),
    allow_shell: bool.default(false),
    allow_paths_outside_roots: bool.default(false),
    /** Append to a file with more than one hard link (another name may lie outside the roots). */
    allow_hardlink_writes: bool.default(false),
    command_timeout_ms: int(100, 3_600_000).default(30_000),
    max_command_timeout_ms: int(100, 3_600_000).default(300_000),
    max_output_bytes: int(1024, 256 * 1024 * 1024).default(1024 * 1024),
    max_file_bytes: int(1024, 1024 * 1024 * 1024).default(10 * 1024 * 1024),
    /** One read_file answer or file:// resource: the answer carries it twice (text + structuredContent), and SDK clients refuse frames over 10 MiB. */
    max_read_bytes: int(1024, 1024 * 1024 * 1024).default(2 * 1024 * 1024),
    max_read_bytes_in_flight: int(1024, 64 * 1024 * 1024 * 1024).default(32 * 1024 * 1024),
    max_read_bytes_in_flight_per_session: int(1024, 64 * 1024 * 1024 * 1024).default(16 * 1024 * 1024),
    max_concurrent_executions: int(1, 100_000).default(16),
    max_concurrent_executions_per_session: int(1, 100_000).default(4),
    max_list_entries: int(1, 1_000_000).default(5000),
    max_search_results: int(1, 100_000).default(1000),
    env_passthrough: list.default(['PATH', 'LANG', 'LC_ALL', 'TZ', 'HOME']),
    /**
     * How native commands are kept from the server: `namespace` (a PID namespace per run; refuse to
     * start without it), `auto` (that, else process groups with a warning), `process_group`.
     */
    isolation: z.enum(['auto', 'namespace', 'process_group']).default('auto'),
  })
  .strict();

const loggingSchema = z
  .object({
    level: z.enum(['error', 'warn', 'info', 'debug']).default('info'),
    format: z.enum(['json', 'text']).default('json'),
  })
  .strict();

const telemetrySchema = z
  .object({
    enabled: bool.default(false),
    service_name: z.string().min(1).default('tfo-mcp'),
    otlp_endpoint: z.string().url().optional(),
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

export const configSchema = z
  .object({
    server: serverSchema.prefault({}),
    claude: claudeSchema.prefault({}),
    mcp: mcpSchema.prefault({}),
    security: securitySchema.prefault({}),
    logging: loggingSchema.prefault({}),
    telemetry: telemetrySchema.prefault({}),
    events: eventsSchema.prefault({}),
    persistence: persistenceSchema.prefault({}),
    cache: cacheSchema.prefault({}),
    analytics: analyticsSchema.prefault({}),
  })
  .strict();

export type AppConfig = z.infer<typeof configSchema>;
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
};
