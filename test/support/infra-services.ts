/**
 * Real services for the infra-* e2e tests: per-test-file isolation on the SHARED instances of
 * `bash scripts/services.sh up` (own Postgres database, NATS stream + subject prefix, ClickHouse
 * database, Redis key prefix), and throwaway instances of our own (nats-server, redis-server, a
 * Postgres cluster) for fault tests that stop or kill a service. Nothing here ever stops a shared
 * instance: every process it signals is one it spawned, by PID.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { Redis } from 'ioredis';
import { AckPolicy, connect, DeliverPolicy, type NatsConnection } from 'nats';
import pg from 'pg';
import { freeLoopbackPort } from './http-server.js';

const run = promisify(execFile);

/** The shared instances (`bash scripts/services.sh env`; `npm test` exports these). */
export const SHARED = {
  pg: process.env.TFO_PG_URL ?? 'postgres://mcp:mcp@127.0.0.1:55432/mcp',
  redis: process.env.TFO_REDIS_URL ?? 'redis://127.0.0.1:56379/0',
  nats: process.env.TFO_NATS_URL ?? 'nats://127.0.0.1:54222',
  clickhouse: process.env.TFO_CLICKHOUSE_URL ?? 'http://127.0.0.1:58123',
} as const;

export function suffix(): string {
  return randomBytes(5).toString('hex');
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `probe` until it returns something other than undefined; fails with `what` after `timeoutMs`. */
export async function eventually<T>(probe: () => Promise<T | undefined> | T | undefined, timeoutMs: number, what: string, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${String(lastError)})` : ''}`);
    }
    await sleep(everyMs);
  }
}

// ---------------------------------------------------------------------------------------------
// Server configuration

export interface InfraEnvOptions {
  readonly root: string;
  readonly postgresUrl?: string;
  readonly events?: 'memory' | 'none' | { readonly url: string; readonly stream: string; readonly subjectPrefix: string };
  readonly redis?: { readonly url: string; readonly keyPrefix: string; readonly ttlMs: number };
  readonly clickhouse?: { readonly url: string; readonly database: string };
  readonly extra?: Record<string, string>;
}

/** TELEMETRYFLOW_MCP_* for a server on the given services (anything left out stays embedded). */
export function infraEnv(options: InfraEnvOptions): Record<string, string> {
  const env: Record<string, string> = {
    TELEMETRYFLOW_MCP_MCP__ROOTS: options.root,
    TELEMETRYFLOW_MCP_LOGGING__LEVEL: 'info',
  };
  if (options.postgresUrl) {
    env.TELEMETRYFLOW_MCP_PERSISTENCE__DRIVER = 'postgres';
    env.TELEMETRYFLOW_MCP_PERSISTENCE__POSTGRES__URL = options.postgresUrl;
  }
  const events = options.events ?? 'memory';
  if (typeof events === 'string') {
    env.TELEMETRYFLOW_MCP_EVENTS__DRIVER = events;
  } else {
    env.TELEMETRYFLOW_MCP_EVENTS__DRIVER = 'nats';
    env.TELEMETRYFLOW_MCP_EVENTS__NATS__URL = events.url;
    env.TELEMETRYFLOW_MCP_EVENTS__NATS__STREAM = events.stream;
    env.TELEMETRYFLOW_MCP_EVENTS__NATS__SUBJECT_PREFIX = events.subjectPrefix;
  }
  if (options.redis) {
    env.TELEMETRYFLOW_MCP_CACHE__DRIVER = 'redis';
    env.TELEMETRYFLOW_MCP_CACHE__REDIS__URL = options.redis.url;
    env.TELEMETRYFLOW_MCP_CACHE__REDIS__KEY_PREFIX = options.redis.keyPrefix;
    env.TELEMETRYFLOW_MCP_CACHE__TTL_MS = String(options.redis.ttlMs);
  }
  if (options.clickhouse) {
    env.TELEMETRYFLOW_MCP_ANALYTICS__DRIVER = 'clickhouse';
    env.TELEMETRYFLOW_MCP_ANALYTICS__CLICKHOUSE__URL = options.clickhouse.url;
    env.TELEMETRYFLOW_MCP_ANALYTICS__CLICKHOUSE__DATABASE = options.clickhouse.database;
  }
  return { ...env, ...options.extra };
}

export interface HealthComponent {
  readonly name: string;
  readonly status: 'up' | 'down' | 'degraded';
  readonly detail?: string;
}

export interface HealthAnswer {
  readonly status: number;
  readonly body: { status?: string; ready?: boolean; live?: boolean; components?: HealthComponent[] } & Record<string, unknown>;
}

/** GET /health or /ready; a body that is not JSON is kept as `{ raw }`. */
export async function getHealth(base: string, which: '/health' | '/ready', timeoutMs = 5_000): Promise<HealthAnswer> {
  const text = await fetchText(`${base}${which}`, timeoutMs);
  return { status: text.status, body: parseBody(text.body) };
}

/** A bounded GET whose timer never outlives it (AbortSignal.timeout would keep Jest waiting). */
async function fetchText(url: string, timeoutMs: number): Promise<{ status: number; body: string }> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    const response = await fetch(url, { signal: controller.signal });
    return { status: response.status, body: await response.text() };
  } finally {
    clearTimeout(timer);
  }
}

function parseBody(text: string): HealthAnswer['body'] {
  try {
    return JSON.parse(text) as HealthAnswer['body'];
  } catch {
    return { raw: text };
  }
}

export function componentStatus(answer: HealthAnswer, name: string): string | undefined {
  return answer.body.components?.find((c) => c.name === name)?.status;
}

// ---------------------------------------------------------------------------------------------
// Postgres

export interface PgDatabase {
  readonly name: string;
  readonly url: string;
  query<T extends pg.QueryResultRow = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Ends the pool and drops the database (FORCE: a killed server may leave connections behind). */
  drop(): Promise<void>;
}

function withDatabase(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

/** `CREATE DATABASE t_<random>` on the server of `serverUrl` (the shared one unless told otherwise). */
export async function createPgDatabase(serverUrl: string = SHARED.pg): Promise<PgDatabase> {
  const name = `t_${suffix()}`;
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: serverUrl, connectionTimeoutMillis: 5_000 });
    try {
      await client.connect();
    } catch (error) {
      throw new Error(`Postgres is not reachable (run 'bash scripts/services.sh up'): ${String(error)}`);
    }
    try {
      await client.query(sql);
    } finally {
      await client.end().catch(() => undefined);
    }
  };
  await admin(`CREATE DATABASE ${name}`);
  const url = withDatabase(serverUrl, name);
  const pool = new pg.Pool({ connectionString: url, max: 3, connectionTimeoutMillis: 5_000 });
  pool.on('error', () => undefined); // the server may be restarted under an idle connection
  return {
    name,
    url,
    async query<T extends pg.QueryResultRow>(sql: string, params: unknown[] = []) {
      return (await pool.query<T>(sql, params)).rows;
    },
    async drop() {
      await pool.end().catch(() => undefined);
      await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}

export interface OutboxRow {
  readonly seq: string;
  readonly event_id: string;
  readonly type: string;
  readonly aggregate_id: string;
  readonly session_id: string | null;
  readonly payload: { data?: Record<string, unknown> } & Record<string, unknown>;
  readonly attempts: number;
  readonly last_error: string | null;
  readonly claimed_until: Date | null;
  readonly published_at: Date | null;
  readonly parked_at: Date | null;
}

export async function outboxRows(db: PgDatabase): Promise<OutboxRow[]> {
  return db.query<OutboxRow & pg.QueryResultRow>(
    'SELECT seq, event_id, type, aggregate_id, session_id, payload, attempts, last_error, claimed_until, published_at, parked_at FROM outbox ORDER BY seq',
  );
}

/** Waits until the outbox has at least `minRows` rows and none is unpublished or parked. */
export async function waitForOutboxPublished(db: PgDatabase, timeoutMs: number, minRows = 1): Promise<OutboxRow[]> {
  let last: OutboxRow[] = [];
  try {
    return await eventually(
      async () => {
        last = await outboxRows(db);
        return last.length >= minRows && last.every((r) => r.published_at !== null && r.parked_at === null) ? last : undefined;
      },
      timeoutMs,
      'every outbox row to be published',
      100,
    );
  } catch (error) {
    const open = last.filter((r) => r.published_at === null || r.parked_at !== null);
    throw new Error(
      `${(error as Error).message}: ${last.length} row(s), ${open.length} not published; first: ${JSON.stringify(open.slice(0, 3).map((r) => ({ type: r.type, attempts: r.attempts, parked: r.parked_at, error: r.last_error })))}`,
    );
  }
}

export interface ToolExecutionRow {
  readonly id: string;
  readonly session_id: string;
  readonly tool: string;
  readonly started_at: Date;
  readonly finished_at: Date | null;
  readonly outcome: string | null;
  readonly error: string | null;
}

export async function toolExecutionRows(db: PgDatabase): Promise<ToolExecutionRow[]> {
  return db.query<ToolExecutionRow & pg.QueryResultRow>(
    'SELECT id, session_id, tool, started_at, finished_at, outcome, error FROM tool_executions ORDER BY started_at',
  );
}

// ---------------------------------------------------------------------------------------------
// NATS

export interface TestStream {
  readonly name: string;
  readonly subjectPrefix: string;
}

/** A stream name and a subject prefix no other stream on the shared server overlaps. */
export function uniqueStream(): TestStream {
  const id = suffix();
  return { name: `TFO_E2E_${id.toUpperCase()}`, subjectPrefix: `tfoe2e.${id}` };
}

export interface ReceivedEvent {
  readonly seq: number;
  readonly subject: string;
  /** The Nats-Msg-Id header. */
  readonly msgId: string | undefined;
  /** The W3C trace context the message carries (tracing on). */
  readonly traceparent: string | undefined;
  readonly redeliveryCount: number;
  readonly envelope: {
    readonly id: string;
    readonly type: string;
    readonly version: number;
    readonly source: string;
    readonly occurred_at: string;
    readonly aggregate_type: string;
    readonly aggregate_id: string;
    readonly session_id?: string;
    readonly data: Record<string, unknown>;
  };
}

export interface DurableRead {
  readonly events: ReceivedEvent[];
  /** Messages the stream holds. */
  readonly streamMessages: number;
  /** After the read: what the consumer still had to deliver, and what it redelivered. */
  readonly numPending: number;
  readonly numAckPending: number;
  readonly numRedelivered: number;
}

async function natsClient(url: string): Promise<NatsConnection> {
  try {
    return await connect({ servers: url, name: 'tfo-mcp infra e2e', timeout: 3_000, maxReconnectAttempts: 0 });
  } catch (error) {
    throw new Error(`NATS is not reachable at ${url}: ${String(error)}`);
  }
}

/**
 * Creates a durable pull consumer (deliver all, explicit ack) on `stream` and reads every message
 * it has, acking each: at least `expected` messages, then whatever the consumer still reports
 * pending. Returns what arrived plus the consumer's own counters, so "exactly once" can be checked
 * against the server rather than by sleeping.
 */
export async function readStreamDurable(url: string, stream: string, expected: number, timeoutMs = 10_000): Promise<DurableRead> {
  const nc = await natsClient(url);
  const durable = `e2e_${suffix()}`;
  try {
    const jsm = await nc.jetstreamManager();
    await jsm.consumers.add(stream, {
      durable_name: durable,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ack_wait: 30_000_000_000,
    });
    const consumer = await nc.jetstream().consumers.get(stream, durable);
    const events: ReceivedEvent[] = [];
    const decoder = new TextDecoder();
    const pull = async (max: number) => {
      const batch = await consumer.fetch({ max_messages: max, expires: 1_000 });
      for await (const m of batch) {
        events.push({
          seq: m.seq,
          subject: m.subject,
          msgId: m.headers?.get('Nats-Msg-Id') || undefined,
          traceparent: m.headers?.get('traceparent') || undefined,
          redeliveryCount: m.info.redeliveryCount,
          envelope: JSON.parse(decoder.decode(m.data)) as ReceivedEvent['envelope'],
        });
        await m.ackAck();
      }
    };
    const deadline = Date.now() + timeoutMs;
    while (events.length < expected && Date.now() < deadline) await pull(Math.max(1, expected - events.length));
    for (let pending = (await consumer.info()).num_pending; pending > 0 && Date.now() < deadline; pending = (await consumer.info()).num_pending) {
      await pull(pending);
    }
    const info = await consumer.info();
    const streamInfo = await jsm.streams.info(stream);
    await jsm.consumers.delete(stream, durable).catch(() => false);
    return {
      events,
      streamMessages: streamInfo.state.messages,
      numPending: info.num_pending,
      numAckPending: info.num_ack_pending,
      numRedelivered: info.num_redelivered,
    };
  } finally {
    await nc.close().catch(() => undefined);
  }
}

export async function deleteStream(url: string, stream: string): Promise<void> {
  const nc = await natsClient(url).catch(() => undefined);
  if (!nc) return;
  try {
    await (await nc.jetstreamManager()).streams.delete(stream).catch(() => false);
  } finally {
    await nc.close().catch(() => undefined);
  }
}

/** Duplicate ids in `ids` (each listed once). */
export function duplicatesOf(ids: readonly string[]): string[] {
  const seen = new Set<string>();
  const dup = new Set<string>();
  for (const id of ids) (seen.has(id) ? dup : seen).add(id);
  return [...dup];
}

// ---------------------------------------------------------------------------------------------
// ClickHouse

export interface ChDatabase {
  readonly name: string;
  readonly client: ClickHouseClient;
  select<T extends Record<string, unknown>>(sql: string): Promise<T[]>;
  drop(): Promise<void>;
}

/** A database name of our own on the shared server; the server under test creates it (migrator). */
export async function openChDatabase(url: string = SHARED.clickhouse): Promise<ChDatabase> {
  const client = createClient({ url, username: 'default', password: '', request_timeout: 10_000 });
  const ping = await client.ping();
  if (!ping.success) {
    await client.close();
    throw new Error(`ClickHouse is not reachable at ${url}: ${String(ping.error)}`);
  }
  const name = `t_e2e_${suffix()}`;
  return {
    name,
    client,
    async select<T extends Record<string, unknown>>(sql: string) {
      const result = await client.query({ query: sql, format: 'JSONEachRow' });
      return result.json<T>();
    },
    async drop() {
      try {
        await client.command({ query: `DROP DATABASE IF EXISTS \`${name}\`` });
      } finally {
        await client.close();
      }
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Redis (shared instance: keys under a prefix of our own)

export function uniqueRedisPrefix(tag: string): string {
  return `tfo-e2e:${tag}:${suffix()}:`;
}

function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}

export async function redisKeys(url: string, prefix: string): Promise<string[]> {
  const admin = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 2_000, enableOfflineQueue: false });
  admin.on('error', () => undefined);
  try {
    await admin.connect();
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await admin.scan(cursor, 'MATCH', `${escapeGlob(prefix)}*`, 'COUNT', 500);
      cursor = next;
      keys.push(...batch);
    } while (cursor !== '0');
    return keys;
  } finally {
    await closeRedis(admin);
  }
}

/** QUIT when connected (the server closes the socket); a plain disconnect would leave ioredis's 2 s destroy timer running. */
async function closeRedis(client: Redis): Promise<void> {
  if (client.status === 'ready') await client.quit().catch(() => client.disconnect());
  else client.disconnect();
}

export async function deleteRedisKeys(url: string, prefix: string): Promise<void> {
  const keys = await redisKeys(url, prefix).catch(() => [] as string[]);
  if (keys.length === 0) return;
  const admin = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 2_000 });
  admin.on('error', () => undefined);
  try {
    await admin.connect();
    await admin.del(...keys);
  } finally {
    await closeRedis(admin);
  }
}

// ---------------------------------------------------------------------------------------------
// Throwaway service processes (ours to stop, by PID)

async function waitForExit(child: ChildProcess, timeoutMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
    }, timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** `nats-server -js` on free loopback ports with its own store dir; restartable on the same port and store. */
export class OwnNatsServer {
  private child: ChildProcess | undefined;
  private log = '';

  private constructor(
    readonly port: number,
    readonly monitorPort: number,
    readonly dir: string,
  ) {}

  static async create(): Promise<OwnNatsServer> {
    const dir = await mkdtemp(path.join(tmpdir(), 'tfo-e2e-nats-'));
    return new OwnNatsServer(await freeLoopbackPort(), await freeLoopbackPort(), dir);
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async start(timeoutMs = 8_000): Promise<void> {
    const child = spawn(
      'nats-server',
      ['-js', '-sd', path.join(this.dir, 'js'), '-a', '127.0.0.1', '-p', String(this.port), '-m', String(this.monitorPort)],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    this.child = child;
    child.stderr!.on('data', (chunk: Buffer) => (this.log = (this.log + chunk.toString()).slice(-20_000)));
    const exited = new Promise<never>((_, reject) =>
      child.once('exit', (code, signal) => reject(new Error(`nats-server exited (${code ?? signal}) during start:\n${this.log.slice(-2000)}`))),
    );
    exited.catch(() => undefined);
    await Promise.race([
      eventually(
        async () => {
          const r = await fetchText(`http://127.0.0.1:${this.monitorPort}/healthz?js-enabled=true`, 500);
          return r.status === 200 ? true : undefined;
        },
        timeoutMs,
        `nats-server on ${this.port}`,
        25,
      ),
      exited,
    ]);
  }

  /** Sends `signal` to our nats-server and waits for it to exit. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill(signal);
    await waitForExit(child, 5_000);
  }

  async dispose(): Promise<void> {
    await this.stop('SIGKILL');
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** PING over a raw socket: true on +PONG (no client library, so no timers left behind). */
function redisPing(port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let reply = '';
    const done = (ok: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once('error', () => done(false));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
    socket.once('connect', () => socket.write('PING\r\n'));
  });
}

/** `redis-server` on a free loopback port, no persistence; restartable on the same port. */
export class OwnRedisServer {
  private child: ChildProcess | undefined;

  private constructor(readonly port: number) {}

  static async create(): Promise<OwnRedisServer> {
    return new OwnRedisServer(await freeLoopbackPort());
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}/0`;
  }

  async start(timeoutMs = 5_000): Promise<void> {
    const child = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--protected-mode', 'yes'],
      { stdio: 'ignore' },
    );
    this.child = child;
    const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`redis-server exited (${code}) during start`))));
    exited.catch(() => undefined);
    await Promise.race([
      eventually(
        async () => ((await redisPing(this.port)) ? true : undefined),
        timeoutMs,
        `redis-server on ${this.port}`,
        25,
      ),
      exited,
    ]);
  }

  async stop(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill(signal);
    await waitForExit(child, 5_000);
  }
}

const PG_BIN = '/usr/lib/postgresql/15/bin';

/**
 * A Postgres 15 cluster of our own (INFRA-FACTS §1): initdb as the postgres user in a temp dir,
 * trust auth on 127.0.0.1 and a free port, stopped and started with pg_ctl on that data dir only.
 */
export class OwnPostgres {
  private constructor(
    readonly port: number,
    readonly dir: string,
  ) {}

  static async create(): Promise<OwnPostgres> {
    const dir = await mkdtemp(path.join(tmpdir(), 'tfo-e2e-pg-'));
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    await chown(dir, Number(stdout.trim()), Number(gid.trim()));
    const server = new OwnPostgres(await freeLoopbackPort(), dir);
    await run('runuser', ['-u', 'postgres', '--', `${PG_BIN}/initdb`, '-D', server.dataDir, '-U', 'mcp', '--auth=trust', '-E', 'UTF8', '--locale=C.UTF-8', '--no-sync'], {
      timeout: 30_000,
    });
    return server;
  }

  get dataDir(): string {
    return path.join(this.dir, 'data');
  }

  /** The `postgres` maintenance database; pass it to createPgDatabase for a database of one's own. */
  get url(): string {
    return `postgres://mcp@127.0.0.1:${this.port}/postgres`;
  }

  private pgCtl(args: string[]): Promise<unknown> {
    return run('runuser', ['-u', 'postgres', '--', `${PG_BIN}/pg_ctl`, '-D', this.dataDir, ...args], { timeout: 20_000 });
  }

  async start(): Promise<void> {
    await this.pgCtl([
      '-l',
      path.join(this.dir, 'server.log'),
      '-w',
      '-o',
      `-c listen_addresses=127.0.0.1 -p ${this.port} -c unix_socket_directories='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off`,
      'start',
    ]);
  }

  /** pg_ctl stop -m fast: open connections are terminated, as in a real restart. */
  async stop(): Promise<void> {
    await this.pgCtl(['-w', '-m', 'fast', 'stop']).catch(() => undefined);
  }

  async dispose(): Promise<void> {
    await this.stop();
    await rm(this.dir, { recursive: true, force: true });
  }
}
