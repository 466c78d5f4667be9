import { Gauge, type Registry } from 'prom-client';
import type { ExecutorLoad, OutboxBacklog } from '../../../application/ports/metrics.js';
import { SESSION_STATES, type SessionState } from '../../../domain/session/session-state.js';
import { TASK_STATUSES } from '../../../domain/task/task.js';
import type { TaskStatus } from '../../../domain/task/task.events.js';
import type { ProbeSampler } from './probe-sampler.js';

/**
 * Gauges read at scrape time from a probe: state that lives elsewhere (the session registry, the
 * task table, the outbox, the connection pools) is counted where it is, never mirrored by
 * increments that could drift. Every known state is reported, 0 included, so a panel or an alert
 * never sees a series vanish when a count drops to nothing.
 */

export interface PostgresPoolUsage {
  /** Connections open (idle and checked out). */
  readonly total: number;
  readonly idle: number;
  /** Checkouts waiting for a connection. */
  readonly waiting: number;
  /** persistence.postgres.pool_max */
  readonly max: number;
}

export const NATS_CONNECTION_STATES = ['idle', 'connecting', 'connected', 'reconnecting', 'closed'] as const;
export type NatsState = (typeof NATS_CONNECTION_STATES)[number];

/** One kind of probe: the name its failures are counted under, what a usable value is, its gauges. */
export interface ProbeKind<T> {
  readonly name: string;
  /** Throws on an unusable value: a throw inside a gauge's collect would fail the whole scrape. */
  validate(value: T): void;
  gauges(registry: Registry, sampler: ProbeSampler<T>): void;
}

interface Spec<L extends string> {
  readonly name: string;
  readonly help: string;
  readonly labelNames?: readonly L[];
}

/** A gauge whose collect asks `sampler` (shared by the gauges of one probe); no value: no series. */
function sampledGauge<T, L extends string>(registry: Registry, sampler: ProbeSampler<T>, spec: Spec<L>, fill: (gauge: Gauge<L>, value: T) => void): void {
  new Gauge<L>({
    ...spec,
    labelNames: spec.labelNames ?? [],
    registers: [registry],
    async collect() {
      const value = await sampler.sample();
      this.reset();
      // reset() leaves a label-less gauge at 0: no value must show no series, not a false 0.
      this.remove({} as Record<L, string>);
      if (value !== undefined) fill(this, value);
    },
  });
}

function assertCount(value: unknown, what: string): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw new Error(`${what} is not a count: ${String(value).slice(0, 40)}`);
}

function statesKind<S extends string>(name: string, states: readonly S[], spec: Spec<string> & { readonly labelNames: readonly [string] }): ProbeKind<Readonly<Partial<Record<S, number>>>> {
  const label = spec.labelNames[0];
  return {
    name,
    validate: (counts) => {
      if (counts === null || typeof counts !== 'object') throw new Error(`${name}: expected counts by state`);
      for (const state of states) assertCount(counts[state] ?? 0, `${name} ${state}`);
    },
    gauges: (registry, sampler) =>
      sampledGauge(registry, sampler, spec, (gauge, counts) => {
        for (const state of states) gauge.set({ [label]: state }, counts[state] ?? 0);
      }),
  };
}

export const SESSIONS_PROBE = statesKind<SessionState>('sessions', SESSION_STATES, {
  name: 'tfo_mcp_sessions',
  help: 'MCP sessions this replica holds, by lifecycle state.',
  labelNames: ['state'],
});

export const TASKS_PROBE = statesKind<TaskStatus>('tasks', TASK_STATUSES, {
  name: 'tfo_mcp_tasks',
  help: 'Tasks in the task store, by status (a shared store reports the same on every replica).',
  labelNames: ['status'],
});

const SHARED = '(a shared Postgres outbox reports the same on every replica: aggregate with max)';

export const OUTBOX_PROBE: ProbeKind<OutboxBacklog> = {
  name: 'outbox',
  validate: (v) => {
    assertCount(v?.pending, 'outbox pending');
    assertCount(v.oldestAgeSeconds, 'outbox oldest age');
    if (v.parked !== undefined) assertCount(v.parked, 'outbox parked');
  },
  gauges: (registry, sampler) => {
    sampledGauge(registry, sampler, { name: 'tfo_mcp_outbox_pending_events', help: `Domain events in the outbox not yet published ${SHARED}.` }, (g, v) => g.set(v.pending));
    sampledGauge(registry, sampler, { name: 'tfo_mcp_outbox_oldest_pending_age_seconds', help: `Age of the oldest unpublished event, 0 when none ${SHARED}.` }, (g, v) => g.set(v.oldestAgeSeconds));
    sampledGauge(registry, sampler, { name: 'tfo_mcp_outbox_parked_events', help: `Domain events parked after repeated rejected publishes ${SHARED}.` }, (g, v) => {
      if (v.parked !== undefined) g.set(v.parked);
    });
  },
};

export const EXECUTOR_PROBE: ProbeKind<ExecutorLoad> = {
  name: 'executor',
  validate: (v) => {
    assertCount(v?.running, 'executor running');
    assertCount(v.capacity, 'executor capacity');
  },
  gauges: (registry, sampler) => {
    sampledGauge(registry, sampler, { name: 'tfo_mcp_executor_executions_running', help: 'Commands running now on this replica (the execution budget in use).' }, (g, v) => g.set(v.running));
    sampledGauge(registry, sampler, { name: 'tfo_mcp_executor_executions_max', help: 'Commands this replica runs at once at most; saturation is running / max.' }, (g, v) => g.set(v.capacity));
  },
};

export const POSTGRES_POOL_PROBE: ProbeKind<PostgresPoolUsage> = {
  name: 'postgres_pool',
  validate: (v) => {
    for (const key of ['total', 'idle', 'waiting', 'max'] as const) assertCount(v?.[key], `postgres pool ${key}`);
  },
  gauges: (registry, sampler) => {
    sampledGauge(registry, sampler, { name: 'tfo_mcp_postgres_pool_connections', help: 'Postgres pool connections, by state (idle or in_use).', labelNames: ['state'] }, (g, v) => {
      g.set({ state: 'idle' }, v.idle);
      g.set({ state: 'in_use' }, Math.max(0, v.total - v.idle));
    });
    sampledGauge(registry, sampler, { name: 'tfo_mcp_postgres_pool_max_connections', help: 'The Postgres pool size limit (persistence.postgres.pool_max).' }, (g, v) => g.set(v.max));
    sampledGauge(registry, sampler, { name: 'tfo_mcp_postgres_pool_waiting_clients', help: 'Checkouts waiting for a free Postgres connection.' }, (g, v) => g.set(v.waiting));
  },
};

export const NATS_PROBE: ProbeKind<NatsState> = {
  name: 'nats',
  validate: (state) => {
    if (!NATS_CONNECTION_STATES.includes(state)) throw new Error(`unknown NATS connection state ${String(state).slice(0, 40)}`);
  },
  gauges: (registry, sampler) =>
    sampledGauge(registry, sampler, { name: 'tfo_mcp_nats_connection_state', help: 'The NATS connection: 1 for its current state, 0 for the others.', labelNames: ['state'] }, (g, current) => {
      for (const state of NATS_CONNECTION_STATES) g.set({ state }, state === current ? 1 : 0);
    }),
};
