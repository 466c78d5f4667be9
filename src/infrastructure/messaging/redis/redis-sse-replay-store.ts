import type { ChainableCommander, Redis } from 'ioredis';
import type { SseReplayStore, StoredSseEvent } from '../../../application/ports/sse-replay-store.js';

export interface RedisSseReplayStoreOptions {
  /** `server.http.event_retention`: events kept per stream. 0 keeps none, so nothing can be resumed. */
  readonly retentionPerStream: number;
  /** A stream, and a session's index of streams, expire after this long without an append. Default 24 h. */
  readonly idleTtlMs?: number;
  /** Inside the connection's key prefix. Default `events:` (older than the port's name; kept so replicas of either version share streams). */
  readonly namespace?: string;
}

/** Redis refused, failed or did not answer in time (the connection's command timeout); `cause` says which. */
export class SseReplayStoreUnavailable extends Error {
  /** Kept from when the port was called EventStore: codes are stable, and log alerts may match it. */
  readonly code = 'event_store.unavailable';

  constructor(operation: string, options: { cause: unknown }) {
    super(`SSE replay store ${operation} failed (redis)`, options);
    this.name = 'SseReplayStoreUnavailable';
  }
}

const DAY_MS = 24 * 3_600_000;
const SEQUENCE = /^(0|[1-9][0-9]{0,15})$/;

/**
 * The SSE replay store shared by every replica, so a client can resume on any of them. One Redis
 * stream per SSE stream, with explicit ids `0-<seq>` (XADD `0-*` numbers them 1, 2, … atomically),
 * trimmed to the retention; event ids are `<streamId>_<seq>` like the embedded store's. A set per
 * session lists its stream keys so dropSession needs no SCAN.
 *
 * Unlike the cache this adapter throws (SseReplayStoreUnavailable) when Redis is down: an event that
 * was not stored must not be given an id a client would later resume from.
 */
export class RedisSseReplayStore implements SseReplayStore {
  private readonly retention: number;
  private readonly idleTtlMs: number;
  private readonly namespace: string;

  constructor(
    private readonly client: Redis,
    options: RedisSseReplayStoreOptions,
  ) {
    this.retention = Math.max(0, Math.floor(options.retentionPerStream));
    this.idleTtlMs = Math.max(1, Math.floor(options.idleTtlMs ?? DAY_MS));
    this.namespace = options.namespace ?? 'events:';
  }

  async append(streamId: string, message: unknown): Promise<string> {
    // JSON-RPC messages are JSON; undefined (not JSON) comes back as null.
    const payload = JSON.stringify(message) ?? 'null';
    const streamKey = this.streamKey(streamId);
    // MAXLEN 0 keeps no entry but still advances the stream's last id, so ids keep increasing.
    const tx = this.client
      .multi()
      .xadd(streamKey, 'MAXLEN', '=', String(this.retention), '0-*', 'm', payload)
      .pexpire(streamKey, this.idleTtlMs);
    for (const sessionId of sessionsOf(streamId)) {
      const sessionKey = this.sessionKey(sessionId);
      // Members are stored without the connection's key prefix: ioredis adds it again to DEL's keys.
      tx.sadd(sessionKey, streamKey).pexpire(sessionKey, this.idleTtlMs);
    }
    const [added] = await this.run('append', tx);
    return `${streamId}_${sequenceOf(String(added))}`;
  }

  async replayAfter(lastEventId: string): Promise<{ streamId: string; events: StoredSseEvent[] } | undefined> {
    const cut = lastEventId.lastIndexOf('_');
    const text = lastEventId.slice(cut + 1);
    if (cut <= 0 || !SEQUENCE.test(text) || this.retention === 0) return undefined;
    const streamId = lastEventId.slice(0, cut);
    const sequence = Number(text);
    const key = this.streamKey(streamId);
    // One transaction, so a concurrent append or trim cannot fall between the checks and the read.
    const [first, last, later] = (await this.run(
      'replay',
      this.client.multi().xrange(key, '-', '+', 'COUNT', 1).xrevrange(key, '+', '-', 'COUNT', 1).xrange(key, `(0-${sequence}`, '+'),
    )) as [Entry[], Entry[], Entry[]];
    // Retention ≥ 1 always keeps the newest entry, so `last` is the last id issued.
    if (first.length === 0 || last.length === 0 || sequence > sequenceOf(last[0][0])) return undefined;
    // The client missed events we no longer hold: resuming would silently skip them.
    if (sequenceOf(first[0][0]) > sequence + 1) return undefined;
    return { streamId, events: later.map(([id, fields]) => ({ eventId: `${streamId}_${sequenceOf(id)}`, message: decode(fields) })) };
  }

  async dropSession(sessionId: string): Promise<void> {
    const sessionKey = this.sessionKey(sessionId);
    const streamKeys = await guard('dropSession', this.client.smembers(sessionKey));
    await guard('dropSession', this.client.del(sessionKey, ...streamKeys));
  }

  private streamKey(streamId: string): string {
    return `${this.namespace}stream:${streamId}`;
  }

  private sessionKey(sessionId: string): string {
    return `${this.namespace}session:${sessionId}`;
  }

  private async run(operation: string, tx: ChainableCommander): Promise<unknown[]> {
    const results = await guard(operation, tx.exec());
    if (!results) throw new SseReplayStoreUnavailable(operation, { cause: new Error('transaction aborted') });
    const failed = results.find(([error]) => error);
    if (failed) throw new SseReplayStoreUnavailable(operation, { cause: failed[0] });
    return results.map(([, result]) => result);
  }
}

type Entry = [id: string, fields: string[]];

async function guard<T>(operation: string, command: Promise<T>): Promise<T> {
  try {
    return await command;
  } catch (error) {
    throw new SseReplayStoreUnavailable(operation, { cause: error });
  }
}

/** Every session a stream belongs to, as the embedded store's prefix match sees it: `a.b.1` → `a`, `a.b`. */
function sessionsOf(streamId: string): string[] {
  const sessions: string[] = [];
  for (let dot = streamId.indexOf('.'); dot > 0; dot = streamId.indexOf('.', dot + 1)) sessions.push(streamId.slice(0, dot));
  return sessions;
}

function sequenceOf(entryId: string): number {
  return Number(entryId.slice(entryId.indexOf('-') + 1));
}

function decode(fields: string[]): unknown {
  const at = fields.indexOf('m');
  return at >= 0 ? JSON.parse(fields[at + 1]) : null;
}
