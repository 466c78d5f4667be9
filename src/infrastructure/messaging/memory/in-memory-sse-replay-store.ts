import type { SseReplayStore, StoredSseEvent } from '../../../application/ports/sse-replay-store.js';

interface Stream {
  next: number;
  events: StoredSseEvent[];
}

/**
 * The embedded SSE replay store: a bounded list of recent events per stream. Event ids are
 * `<streamId>_<sequence>`, so a Last-Event-ID names its stream without a lookup table.
 */
export class InMemorySseReplayStore implements SseReplayStore {
  private readonly streams = new Map<string, Stream>();

  constructor(private readonly retentionPerStream: number) {}

  async append(streamId: string, message: unknown): Promise<string> {
    let stream = this.streams.get(streamId);
    if (!stream) {
      stream = { next: 1, events: [] };
      this.streams.set(streamId, stream);
    }
    const eventId = `${streamId}_${stream.next++}`;
    if (this.retentionPerStream > 0) {
      stream.events.push({ eventId, message });
      if (stream.events.length > this.retentionPerStream) stream.events.splice(0, stream.events.length - this.retentionPerStream);
    }
    return eventId;
  }

  async replayAfter(lastEventId: string): Promise<{ streamId: string; events: StoredSseEvent[] } | undefined> {
    const cut = lastEventId.lastIndexOf('_');
    if (cut <= 0) return undefined;
    const streamId = lastEventId.slice(0, cut);
    const digits = lastEventId.slice(cut + 1);
    if (!/^\d{1,15}$/.test(digits)) return undefined;
    const sequence = Number(digits);
    const stream = this.streams.get(streamId);
    if (!stream || sequence >= stream.next) return undefined;
    const events = stream.events.filter((event) => sequenceOf(event.eventId) > sequence);
    // The client missed events we no longer hold: resuming would silently skip them.
    if (events.length < stream.next - 1 - sequence) return undefined;
    return { streamId, events };
  }

  async dropSession(sessionId: string): Promise<void> {
    const prefix = `${sessionId}.`;
    for (const streamId of this.streams.keys()) if (streamId.startsWith(prefix)) this.streams.delete(streamId);
  }
}

function sequenceOf(eventId: string): number {
  return Number(eventId.slice(eventId.lastIndexOf('_') + 1));
}
