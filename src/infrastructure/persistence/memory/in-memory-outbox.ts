import type { Logger } from '../../../application/ports/logger.js';
import type { OutboxBacklog } from '../../../application/ports/metrics.js';
import type { Outbox, OutboxEntry } from '../../../application/ports/outbox.js';
import type { DomainEvent } from '../../../domain/shared/domain-event.js';

/**
 * The embedded outbox: a bounded FIFO. When full, the oldest unpublished entry is dropped and the
 * drop is counted and logged — memory must stay bounded when no relay keeps up.
 */
export class InMemoryOutbox implements Outbox {
  private queue: (OutboxEntry | undefined)[] = [];
  private head = 0;
  private readonly claimed = new Map<string, OutboxEntry>();
  private readonly parked: OutboxEntry[] = [];
  private readonly listeners: (() => void)[] = [];
  dropped = 0;

  constructor(
    private readonly capacity: number,
    private readonly logger: Logger,
  ) {}

  async append(events: readonly DomainEvent[]): Promise<void> {
    for (const event of events) {
      if (this.size() >= this.capacity) this.dropOldest();
      this.queue.push({ event, attempts: 0 });
    }
    if (events.length > 0) for (const listener of this.listeners) listener();
  }

  async claim(limit: number): Promise<OutboxEntry[]> {
    const end = Math.min(this.queue.length, this.head + limit);
    const batch = this.queue.slice(this.head, end) as OutboxEntry[];
    // Claimed slots are cleared at once: an entry still referenced from the consumed part of the
    // queue lived until the next compaction, long enough to be promoted out of the young
    // generation (measured: see ADR 006).
    this.queue.fill(undefined, this.head, end);
    this.head = end;
    for (const entry of batch) this.claimed.set(entry.event.id, entry);
    this.compact();
    return batch;
  }

  async markPublished(ids: readonly string[]): Promise<void> {
    for (const id of ids) this.claimed.delete(id);
  }

  async release(ids: readonly string[], error: string, maxAttempts: number): Promise<{ parked: string[] }> {
    const parked: string[] = [];
    const retry: OutboxEntry[] = [];
    for (const id of ids) {
      const entry = this.claimed.get(id);
      if (!entry) continue;
      this.claimed.delete(id);
      entry.attempts += 1;
      if (entry.attempts >= maxAttempts) {
        this.parked.push(entry);
        parked.push(id);
      } else {
        retry.push(entry);
      }
    }
    if (parked.length > 0) this.logger.error('outbox entries parked after repeated publish failures', { ids: parked, error });
    // Retried entries go back to the front so order is kept as far as possible.
    this.queue = [...retry, ...(this.queue.slice(this.head) as OutboxEntry[])];
    this.head = 0;
    return { parked };
  }

  onAppend(listener: () => void): void {
    this.listeners.push(listener);
  }

  async pending(): Promise<number> {
    return this.queue.length - this.head + this.claimed.size;
  }

  async backlog(): Promise<OutboxBacklog> {
    let oldest = Number.POSITIVE_INFINITY;
    for (let i = this.head; i < this.queue.length; i += 1) {
      const entry = this.queue[i];
      if (entry) {
        oldest = Date.parse(entry.event.occurredAt);
        break;
      }
    }
    for (const entry of this.claimed.values()) oldest = Math.min(oldest, Date.parse(entry.event.occurredAt));
    const ageSeconds = Number.isFinite(oldest) ? Math.max(0, (Date.now() - oldest) / 1000) : 0;
    return { pending: await this.pending(), oldestAgeSeconds: ageSeconds, parked: this.parked.length };
  }

  parkedCount(): number {
    return this.parked.length;
  }

  private size(): number {
    return this.queue.length - this.head + this.claimed.size;
  }

  private dropOldest(): void {
    if (this.head >= this.queue.length) return;
    this.queue[this.head] = undefined;
    this.head += 1;
    this.dropped += 1;
    if (this.dropped === 1 || this.dropped % 1000 === 0) {
      this.logger.warn('in-memory outbox full: dropping the oldest unpublished events', { dropped: this.dropped, capacity: this.capacity });
    }
  }

  private compact(): void {
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }
}
