import type { ToolContext } from '../tools/tool-definition.js';

/** At most four notifications a second: a progress bar, not a token stream. */
export const PROGRESS_INTERVAL_MS = 250;
/** A notification's text is the stream since the last one, cut to a readable length. */
const MAX_MESSAGE_CHARS = 2_000;

/**
 * notifications/progress for one turn (sent only when the request has a progressToken; the
 * context's `progress` is a no-op otherwise). `progress` counts characters streamed plus tool
 * calls made, so it always increases; each message carries the text that arrived since the
 * previous one, or says which tool runs. Text is batched, so a fast stream costs at most four
 * notifications a second, and what is left is flushed when a model call ends.
 */
export class TurnProgress {
  private count = 0;
  private pending = '';
  private lastSent = -Infinity;

  constructor(
    private readonly context: Pick<ToolContext, 'progress'>,
    private readonly now: () => number = Date.now,
  ) {}

  readonly text = (delta: string): void => {
    if (delta.length === 0) return;
    this.count += delta.length;
    this.pending += delta;
    if (this.now() - this.lastSent >= PROGRESS_INTERVAL_MS) this.flush();
  };

  /** Sends what streamed since the last notification, if anything did. */
  flush(): void {
    if (this.pending.length === 0) return;
    const message = this.pending.length > MAX_MESSAGE_CHARS ? `…${this.pending.slice(-MAX_MESSAGE_CHARS)}` : this.pending;
    this.pending = '';
    this.send(message);
  }

  /** Announced only if the rate allows (a model asking for ten tools at once is one notification, not ten). */
  toolCall(name: string): void {
    this.count += 1;
    if (this.now() - this.lastSent >= PROGRESS_INTERVAL_MS) this.send(`running ${name}`);
  }

  private send(message: string): void {
    this.lastSent = this.now();
    this.context.progress(this.count, undefined, message);
  }
}
