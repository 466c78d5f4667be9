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

  send(data: unknown, eventId?: string, event = 'message'): void {
    if (this.closedFlag) return;
    const id = eventId !== undefined ? `id: ${eventId}\n` : '';
    this.res.write(`event: ${event}\n${id}data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`);
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
    for (const listener of this.closeListeners.splice(0)) listener();
  }
}
