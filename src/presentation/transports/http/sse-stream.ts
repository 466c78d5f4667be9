import type { ServerResponse } from 'node:http';

export interface SseOptions {
  readonly keepaliveMs: number;
  readonly retryMs: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** Event id of a priming event (id + empty data) sent first, so a client can resume from the very start. */
  readonly primingEventId?: string;
}

/**
 * One text/event-stream response. Comment lines keep proxies from timing it out; `retry:` tells the
 * client how soon to reconnect (SEP-1699 polling relies on it).
 */
export class SseStream {
  private readonly keepalive: NodeJS.Timeout;
  private closedFlag = false;
  private readonly closeListeners: (() => void)[] = [];
  /** Sends whose bytes have not left for the socket yet: settled when they do, or when the stream closes. */
  private readonly unflushed = new Set<() => void>();

  constructor(
    private readonly res: ServerResponse,
    options: SseOptions,
  ) {
    res.writeHead(200, {
      'Content-Type': 'text/event-stream',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
      ...options.headers,
    });
    res.write(
      options.primingEventId !== undefined
        ? `id: ${options.primingEventId}\nretry: ${options.retryMs}\ndata: \n\n`
        : `retry: ${options.retryMs}\n\n`,
    );
    this.keepalive = setInterval(() => this.res.write(': keep-alive\n\n'), options.keepaliveMs);
    this.keepalive.unref();
    res.on('close', () => this.markClosed());
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  /** Settles once the event has been handed to the socket (or the stream closed): its memory is then no longer ours. */
  send(data: unknown, eventId?: string, event = 'message'): Promise<void> {
    if (this.closedFlag) return Promise.resolve();
    const id = eventId !== undefined ? `id: ${eventId}\n` : '';
    const text = `event: ${event}\n${id}data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`;
    return new Promise<void>((resolve) => {
      const settle = () => {
        this.unflushed.delete(settle);
        resolve();
      };
      this.unflushed.add(settle);
      this.res.write(text, settle);
    });
  }

  onClose(listener: () => void): void {
    if (this.closedFlag) listener();
    else this.closeListeners.push(listener);
  }

  end(): void {
    if (this.closedFlag) return;
    this.res.end();
    this.markClosed();
  }

  private markClosed(): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    clearInterval(this.keepalive);
    for (const settle of [...this.unflushed]) settle();
    for (const listener of this.closeListeners.splice(0)) listener();
  }
}
