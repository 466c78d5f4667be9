import type { Pool, PoolClient } from 'pg';
import type { Logger } from '../../../application/ports/logger.js';
import { signalFor, type TaskSignal, type TaskSignals } from '../../../application/tasks/task-signals.js';
import { DomainError } from '../../../domain/shared/domain-error.js';
import type { EventMetaSource } from '../../../domain/shared/event-meta-source.js';
import { LIVE_TASK_STATUSES, Task, type TaskSnapshot, type TaskStatus } from '../../../domain/task/task.js';
import { TaskVersionConflict, type TaskRepository } from '../../../domain/task/task.repository.js';
import { ListenConnection } from './listen-connection.js';
import { insertOutboxEvents } from './outbox-rows.js';
import { toJsonb, withoutNul } from './pg-errors.js';
import { withTransaction } from './postgres-pool.js';

/** The channel saves notify on; the payload names the schema, so schemas sharing a server stay apart. */
export const TASK_SIGNAL_CHANNEL = 'tfo_task_signal';
// First key of the per-principal advisory lock (the migrator's is 0x74666f31).
const CREATE_LOCK_KEY = 0x74666f32;
const LIVE = `status IN (${LIVE_TASK_STATUSES.map((s) => `'${s}'`).join(', ')})`;
const DELETE_BATCH = 1000;

interface TaskRow {
  id: string;
  principal: string;
  method: string;
  name: string;
  status: TaskStatus;
  status_message: string | null;
  created_at: Date;
  last_updated_at: Date;
  ttl_ms: number;
  poll_interval_ms: number;
  owner_replica: string;
  heartbeat_at: Date;
  cancel_requested: boolean;
  result: TaskSnapshot['result'] | null;
  error: TaskSnapshot['error'] | null;
  input_requests: TaskSnapshot['inputRequests'] | null;
  input_responses: TaskSnapshot['inputResponses'] | null;
  input_keys: string[];
  trace: TaskSnapshot['trace'] | null;
  actor: TaskSnapshot['actor'] | null;
  version: number;
}

/**
 * Tasks as rows (migration 005). Every state change is an UPDATE guarded by the version the task
 * was loaded at, with its events and, for a cancel or an answer, a NOTIFY to the owner replica, in
 * one transaction: a signal is never sent for a change that did not commit.
 */
export class PostgresTaskRepository implements TaskRepository {
  constructor(
    private readonly pool: Pool,
    private readonly meta: EventMetaSource,
  ) {}

  async create(task: Task, maxLivePerPrincipal: number): Promise<boolean> {
    if (task.version !== 0) throw new Error(`task ${task.id.slice(0, 80)} was already stored; save it instead`);
    const s = task.snapshot();
    const created = await withTransaction(this.pool, async (client) => {
      // Serialises creations per principal across replicas, so the cap holds exactly.
      await client.query('SELECT pg_advisory_xact_lock($1, hashtext(current_schema() || $2))', [CREATE_LOCK_KEY, withoutNul(s.principal)]);
      const live = await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM tasks WHERE principal = $1 AND ${LIVE}`, [withoutNul(s.principal)]);
      if ((live.rows[0]?.n ?? 0) >= maxLivePerPrincipal) return false;
      const [status, statusMessage, lastUpdatedAt, ...rest] = stateColumns(s);
      await client.query(
        `INSERT INTO tasks (id, principal, method, name, created_at, ttl_ms, expires_at, poll_interval_ms, owner_replica, heartbeat_at,
                            trace, status, status_message, last_updated_at, cancel_requested, result, error, input_requests,
                            input_responses, input_keys, actor, version)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::jsonb, $12, $13, $14, $15, $16::jsonb, $17::jsonb, $18::jsonb,
                 $19::jsonb, $20::jsonb, $21::jsonb, 1)`,
        [
          withoutNul(s.id), withoutNul(s.principal), withoutNul(s.method), withoutNul(s.name), s.createdAt, s.ttlMs,
          new Date(Date.parse(s.createdAt) + s.ttlMs), s.pollIntervalMs, withoutNul(s.ownerReplica), s.heartbeatAt,
          s.trace ? toJsonb(s.trace) : null, status, statusMessage, lastUpdatedAt, ...rest, s.actor ? toJsonb(s.actor) : null,
        ],
      );
      await insertOutboxEvents(client, task.pullEvents());
      return true;
    });
    if (created) task.stored(1);
    return created;
  }

  async get(id: string): Promise<Task> {
    // Postgres text cannot hold U+0000, so such an id cannot name a stored task.
    if (id.includes('\u0000')) throw notFound(id);
    const { rows } = await this.pool.query<TaskRow>('SELECT * FROM tasks WHERE id = $1', [id]);
    const row = rows[0];
    if (!row) throw notFound(id);
    return this.restore(row);
  }

  async find(ids: readonly string[]): Promise<Task[]> {
    if (ids.length === 0) return [];
    const { rows } = await this.pool.query<TaskRow>('SELECT * FROM tasks WHERE id = ANY($1::text[])', [ids.map(withoutNul)]);
    return rows.map((row) => this.restore(row));
  }

  async save(task: Task): Promise<void> {
    const events = task.pullEvents();
    if (events.length === 0) return;
    const s = task.snapshot();
    const kind = signalFor(events);
    await withTransaction(this.pool, async (client) => {
      const updated = await client.query(
        `UPDATE tasks SET status = $3, status_message = $4, last_updated_at = $5, cancel_requested = $6, result = $7::jsonb,
                error = $8::jsonb, input_requests = $9::jsonb, input_responses = $10::jsonb, input_keys = $11::jsonb, version = version + 1
          WHERE id = $1 AND version = $2`,
        [withoutNul(s.id), s.version, ...stateColumns(s)],
      );
      if (updated.rowCount === 0) throw await missingOrConflict(client, s.id);
      await insertOutboxEvents(client, events);
      if (kind) await notify(client, s.id, kind);
    });
    task.stored(s.version + 1);
  }

  async countLive(principal: string): Promise<number> {
    const { rows } = await this.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM tasks WHERE principal = $1 AND ${LIVE}`, [withoutNul(principal)]);
    return rows[0]?.n ?? 0;
  }

  async countByStatus(): Promise<Partial<Record<TaskStatus, number>>> {
    const { rows } = await this.pool.query<{ status: TaskStatus; n: number }>('SELECT status, count(*)::int AS n FROM tasks GROUP BY status');
    return Object.fromEntries(rows.map((row) => [row.status, row.n])) as Partial<Record<TaskStatus, number>>;
  }

  async heartbeat(ownerReplica: string, ids: readonly string[], at: Date): Promise<void> {
    if (ids.length === 0) return;
    await this.pool.query(
      `UPDATE tasks SET heartbeat_at = $3 WHERE owner_replica = $1 AND id = ANY($2::text[]) AND ${LIVE} AND heartbeat_at < $3`,
      [withoutNul(ownerReplica), ids.map(withoutNul), at],
    );
  }

  async orphaned(staleBefore: Date, limit: number): Promise<Task[]> {
    const { rows } = await this.pool.query<TaskRow>(`SELECT * FROM tasks WHERE ${LIVE} AND heartbeat_at < $1 ORDER BY heartbeat_at LIMIT $2`, [staleBefore, limit]);
    return rows.map((row) => this.restore(row));
  }

  async deleteExpired(now: Date): Promise<number> {
    // In batches, so a backlog never holds row locks (or the statement timeout) for long.
    let deleted = 0;
    for (;;) {
      const { rowCount } = await this.pool.query(
        'DELETE FROM tasks WHERE id IN (SELECT id FROM tasks WHERE expires_at <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED)',
        [now, DELETE_BATCH],
      );
      deleted += rowCount ?? 0;
      if ((rowCount ?? 0) < DELETE_BATCH) return deleted;
    }
  }

  private restore(row: TaskRow): Task {
    const snapshot: TaskSnapshot = {
      id: row.id,
      principal: row.principal,
      method: row.method,
      name: row.name,
      status: row.status,
      createdAt: row.created_at.toISOString(),
      lastUpdatedAt: row.last_updated_at.toISOString(),
      ttlMs: row.ttl_ms,
      pollIntervalMs: row.poll_interval_ms,
      ownerReplica: row.owner_replica,
      heartbeatAt: row.heartbeat_at.toISOString(),
      cancelRequested: row.cancel_requested,
      inputKeys: row.input_keys,
      version: row.version,
      ...(row.status_message !== null ? { statusMessage: row.status_message } : {}),
      ...(row.result !== null ? { result: row.result } : {}),
      ...(row.error !== null ? { error: row.error } : {}),
      ...(row.input_requests !== null ? { inputRequests: row.input_requests } : {}),
      ...(row.input_responses !== null ? { inputResponses: row.input_responses } : {}),
      ...(row.trace !== null ? { trace: row.trace } : {}),
      ...(row.actor !== null ? { actor: row.actor } : {}),
    };
    return Task.restore(snapshot, this.meta);
  }
}

/** status, status_message, last_updated_at, cancel_requested, result, error, input_requests, input_responses, input_keys. */
function stateColumns(s: TaskSnapshot): unknown[] {
  const json = (value: unknown) => (value === undefined ? null : toJsonb(value));
  return [
    s.status,
    s.statusMessage !== undefined ? withoutNul(s.statusMessage) : null,
    s.lastUpdatedAt,
    s.cancelRequested,
    json(s.result),
    json(s.error),
    json(s.inputRequests),
    json(s.inputResponses),
    toJsonb(s.inputKeys),
  ];
}

async function missingOrConflict(client: PoolClient, id: string): Promise<Error> {
  const { rows } = await client.query('SELECT 1 FROM tasks WHERE id = $1', [id]);
  return rows.length === 0 ? notFound(id) : new TaskVersionConflict(id);
}

async function notify(client: PoolClient, taskId: string, kind: TaskSignal['kind']): Promise<void> {
  await client.query(
    `SELECT pg_notify('${TASK_SIGNAL_CHANNEL}', json_build_object('schema', current_schema(), 'taskId', $1::text, 'kind', $2::text)::text)`,
    [withoutNul(taskId), kind],
  );
}

function notFound(id: string): DomainError {
  return new DomainError('task.not_found', `task ${id.slice(0, 80)} does not exist (unknown, or deleted after its ttlMs)`);
}

export interface PostgresTaskSignalsOptions {
  /** Wait before a lost LISTEN connection is opened again; the task service's poll covers the gap. */
  readonly reconnectDelayMs: number;
}

/**
 * Delivers the signals `PostgresTaskRepository` saves NOTIFY, from any process on this schema,
 * through one LISTEN connection held out of the pool for the listener's life. A lost connection is
 * logged once and reopened after a delay; signals sent meanwhile are lost, which the task
 * service's poll of the rows it runs makes good within a second.
 */
export class PostgresTaskSignals implements TaskSignals {
  private readonly listeners = new Set<(signal: TaskSignal) => void>();
  private readonly connection: ListenConnection;

  constructor(
    pool: Pool,
    private readonly logger: Logger,
    options: PostgresTaskSignalsOptions,
  ) {
    this.connection = new ListenConnection(pool, logger, {
      channel: TASK_SIGNAL_CHANNEL,
      reconnectDelayMs: options.reconnectDelayMs,
      unavailableMessage: 'task signal LISTEN connection unavailable; the task poll covers it until it is back',
      onNotification: (payload, schema) => {
        if (payload) this.deliver(payload, schema);
      },
    });
  }

  listen(listener: (signal: TaskSignal) => void): () => void {
    this.listeners.add(listener);
    this.connection.open();
    return () => this.listeners.delete(listener);
  }

  /** Resolves once the LISTEN is in place (or the attempt failed and a retry is scheduled). */
  async ready(): Promise<void> {
    await this.connection.ready();
  }

  async close(): Promise<void> {
    await this.connection.close();
  }

  private deliver(payload: string, schema: string | undefined): void {
    let signal: { schema?: unknown; taskId?: unknown; kind?: unknown };
    try {
      signal = JSON.parse(payload) as typeof signal;
    } catch {
      return;
    }
    if (signal.schema !== schema || typeof signal.taskId !== 'string' || (signal.kind !== 'cancel' && signal.kind !== 'input')) return;
    for (const listener of this.listeners) {
      try {
        listener({ taskId: signal.taskId, kind: signal.kind });
      } catch (error) {
        this.logger.error('task signal listener threw', { error: error instanceof Error ? error.message : String(error) });
      }
    }
  }
}
