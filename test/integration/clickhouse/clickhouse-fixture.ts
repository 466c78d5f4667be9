import { randomBytes } from 'node:crypto';
import type { ClickHouseClient } from '@clickhouse/client';
import type { ToolOutcome } from '../../../src/domain/tool/tool.events.js';
import { domainEvent, type DomainEvent } from '../../../src/domain/shared/domain-event.js';
import { createClickHouseClient } from '../../../src/infrastructure/analytics/clickhouse-client.js';
import { RecordingLogger } from '../../support/builders.js';

/** The 18.16 server of `bash scripts/services.sh up`. */
export const CLICKHOUSE_URL = process.env.TFO_CLICKHOUSE_URL ?? 'http://127.0.0.1:58123';

export interface TestDatabase {
  readonly client: ClickHouseClient;
  readonly database: string;
  readonly logger: RecordingLogger;
  /** Drops the database and closes the client. */
  drop(): Promise<void>;
}

/** A database of its own per test file, so files can run in parallel; the migrator creates it. */
export async function openTestDatabase(tag: string): Promise<TestDatabase> {
  const logger = new RecordingLogger();
  const client = createClickHouseClient({ url: CLICKHOUSE_URL, username: 'default', password: '', requestTimeoutMs: 5_000 }, logger);
  const ping = await client.ping();
  if (!ping.success) {
    await client.close();
    throw new Error(`ClickHouse is not reachable at ${CLICKHOUSE_URL} (run: bash scripts/services.sh up): ${ping.error.message}`);
  }
  const database = `tfo_it_${tag}_${process.pid}_${randomBytes(4).toString('hex')}`;
  return {
    client,
    database,
    logger,
    async drop() {
      try {
        await client.command({ query: `DROP DATABASE IF EXISTS \`${database}\`` });
      } finally {
        await client.close();
      }
    },
  };
}

/** Rows of any query as the server sends them (18.16: 64-bit integers as strings). */
export async function select<T extends Record<string, unknown>>(client: ClickHouseClient, query: string): Promise<T[]> {
  const result = await client.query({ query, format: 'JSONEachRow' });
  return result.json<T>();
}

export async function countOf(client: ClickHouseClient, query: string): Promise<number> {
  const [row] = await select<{ n: unknown }>(client, query);
  return Number(row?.n);
}

let sequence = 0;

/** A tool.executed / tool.failed envelope exactly as ToolExecution records it. */
export function toolEvent(tool: string, outcome: ToolOutcome, durationMs: number, occurredAt: Date, sessionId = 'session-1'): DomainEvent {
  sequence += 1;
  const executionId = `exec-${sequence}-${randomBytes(3).toString('hex')}`;
  const meta = { id: `evt-${sequence}-${randomBytes(3).toString('hex')}`, occurredAt };
  return outcome === 'success'
    ? domainEvent('tool_execution', executionId, 'tool.executed', { executionId, tool, durationMs, outcome }, meta, sessionId)
    : domainEvent('tool_execution', executionId, 'tool.failed', { executionId, tool, durationMs, outcome, error: `${tool} ${outcome}`, retryable: false }, meta, sessionId);
}

export function sessionEvent(occurredAt: Date, sessionId = 'session-1'): DomainEvent {
  sequence += 1;
  return domainEvent('session', sessionId, 'session.created', { transport: 'stdio' }, { id: `evt-s-${sequence}-${randomBytes(3).toString('hex')}`, occurredAt }, sessionId);
}
