export interface StoredSseEvent {
  readonly eventId: string;
  readonly message: unknown;
}

/**
 * Port: the SSE events a session has sent, kept so a client that lost a stream can resume it with
 * Last-Event-ID. Event ids are opaque to clients and name their stream. These are SSE frames of the
 * transport, not domain events: those leave through the outbox.
 */
export interface SseReplayStore {
  append(streamId: string, message: unknown): Promise<string>;
  /** The events after `lastEventId` on its stream, oldest first; undefined for an unknown or expired id. */
  replayAfter(lastEventId: string): Promise<{ streamId: string; events: StoredSseEvent[] } | undefined>;
  /** Forgets every stream of a session (streams are named `<sessionId>.<n>`). */
  dropSession(sessionId: string): Promise<void>;
}
