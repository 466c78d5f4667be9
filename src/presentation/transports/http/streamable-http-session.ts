import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { JSONRPCMessage, RequestId } from '@modelcontextprotocol/server';
import type { SseReplayStore } from '../../../application/ports/sse-replay-store.js';
import type { MessageInfo, SendOptions, Transport } from '../transport.js';
import { SseStream } from './sse-stream.js';

export interface StreamableSessionOptions {
  readonly keepaliveMs: number;
  readonly retryMs: number;
  /** auto: answer with JSON unless something must be streamed before the answer. */
  readonly responseMode: 'auto' | 'json' | 'sse';
  readonly requestTimeoutMs: number;
  readonly replayStore?: SseReplayStore;
}

/** The answers owed for one POST: JSON once all are in, or an SSE stream as they come. */
interface Exchange {
  readonly res: ServerResponse;
  readonly headers: Readonly<Record<string, string>>;
  readonly pending: Set<RequestId>;
  readonly batch: boolean;
  readonly collected: JSONRPCMessage[];
  readonly timer: NodeJS.Timeout;
  stream?: SseStream;
  streamId?: string;
  /** Serializes event-id allocation and writes on this exchange's stream. */
  chain: Promise<void>;
  finished: boolean;
}

type Message = JSONRPCMessage & { id?: RequestId; method?: string; result?: unknown; error?: unknown };

const PRIMING = null;

const isResponse = (m: Message) => m.id !== undefined && m.method === undefined && ('result' in m || 'error' in m);

/**
 * The server side of one Streamable HTTP session (spec 2025-03-26 and later): POSTs carry client
 * messages, GETs open server-to-client streams, and every message the server sends goes to exactly
 * one stream — a request's answer and the notifications about it to that request's POST, the rest
 * to the newest open GET stream.
 */
export class StreamableHttpSession implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage, extra?: MessageInfo) => void;
  protocolVersion?: string;
  lastActivity = Date.now();

  private readonly exchanges = new Map<RequestId, Exchange>();
  private readonly standalone: { stream: SseStream; streamId: string }[] = [];
  /** The last GET stream: events keep going to the store while it is disconnected, for Last-Event-ID. */
  private standaloneStreamId?: string;
  private streams = 0;
  private readonly instance = randomBytes(3).toString('hex');
  private closed = false;

  private readonly headers: Readonly<Record<string, string>>;

  constructor(
    readonly sessionId: string,
    private readonly options: StreamableSessionOptions,
  ) {
    this.headers = { 'Mcp-Session-Id': sessionId };
  }

  async start(): Promise<void> {}

  setProtocolVersion(version: string): void {
    this.protocolVersion = version;
  }

  /** True while a POST awaits answers or a GET stream is open: such a session is not idle. */
  get busy(): boolean {
    return this.exchanges.size > 0 || this.standalone.some((s) => !s.stream.closed);
  }

  handlePost(
    res: ServerResponse,
    messages: readonly JSONRPCMessage[],
    batch: boolean,
    extra: MessageInfo,
    responseHeaders: Readonly<Record<string, string>> = {},
  ): void {
    this.lastActivity = Date.now();
    const headers = { ...responseHeaders, ...this.headers };
    const requests = (messages as Message[]).filter((m) => m.method !== undefined && m.id !== undefined);
    if (requests.length === 0) {
      res.writeHead(202, headers).end();
    } else {
      const exchange: Exchange = {
        res,
        headers,
        pending: new Set(requests.map((r) => r.id as RequestId)),
        batch,
        collected: [],
        timer: setTimeout(() => this.timeOut(exchange), this.options.requestTimeoutMs),
        chain: Promise.resolve(),
        finished: false,
      };
      exchange.timer.unref();
      for (const id of exchange.pending) this.exchanges.set(id, exchange);
      if (this.options.responseMode === 'sse') void this.openStream(exchange);
      // SEP-1699: a handler may end this POST's stream early; the client resumes with Last-Event-ID.
      extra = { ...extra, closeSSEStream: () => void this.release(exchange) };
      res.on('close', () => {
        // The client went away: keep the work going (a disconnect is not a cancellation); answers
        // still reach the replay store, so a GET with Last-Event-ID can resume this stream.
        if (!exchange.finished && !exchange.stream) exchange.finished = true;
      });
    }
    for (const message of messages) {
      const m = message as Message & { params?: { requestId?: RequestId } };
      if (m.method === 'notifications/cancelled' && m.params?.requestId !== undefined) this.forget(m.params.requestId);
      this.onmessage?.(message, extra);
    }
  }

  /** A cancelled request is never answered (the spec): its POST must not wait for it. */
  private forget(id: RequestId): void {
    const exchange = this.exchanges.get(id);
    if (!exchange) return;
    exchange.pending.delete(id);
    this.exchanges.delete(id);
    if (exchange.pending.size === 0) void exchange.chain.then(() => this.finish(exchange));
  }

  /** A GET: replay what a lost stream missed (Last-Event-ID), then keep it open for new messages. */
  async handleGet(
    res: ServerResponse,
    lastEventId: string | undefined,
    responseHeaders: Readonly<Record<string, string>> = {},
  ): Promise<'resumed' | 'fresh'> {
    this.lastActivity = Date.now();
    let streamId: string | undefined;
    let replay: { eventId: string; message: unknown }[] = [];
    if (lastEventId !== undefined && this.options.replayStore) {
      const found = await this.options.replayStore.replayAfter(lastEventId).catch((error: unknown) => {
        this.onerror?.(new Error(`replay store unavailable, resuming as a fresh stream: ${(error as Error).message}`));
        return undefined;
      });
      // Another session's id, or one we no longer hold: a fresh stream (never another session's events).
      if (found && found.streamId.startsWith(`${this.sessionId}.`)) ({ streamId, events: replay } = found);
    }
    const headers = { ...responseHeaders, ...this.headers };
    const fresh = streamId === undefined ? this.nextStreamId() : undefined;
    const primingEventId = fresh !== undefined ? await this.primingId(fresh) : undefined;
    const stream = new SseStream(res, { keepaliveMs: this.options.keepaliveMs, retryMs: this.options.retryMs, headers, primingEventId });
    for (const event of replay) if (event.message !== PRIMING) stream.send(event.message, event.eventId);
    const resumed = streamId !== undefined ? [...new Set(this.exchanges.values())].find((e) => e.streamId === streamId) : undefined;
    if (resumed) {
      resumed.stream = stream;
      return 'resumed';
    }
    const entry = { stream, streamId: streamId ?? (fresh as string) };
    this.standaloneStreamId = entry.streamId;
    this.standalone.push(entry);
    stream.onClose(() => this.standalone.splice(this.standalone.indexOf(entry), 1));
    return streamId !== undefined ? 'resumed' : 'fresh';
  }

  async send(message: JSONRPCMessage, options?: SendOptions): Promise<void> {
    if (this.closed) return;
    const m = message as Message;
    if (isResponse(m)) {
      const exchange = this.exchanges.get(m.id as RequestId);
      if (exchange) await this.answer(exchange, m);
      return;
    }
    const related = options?.relatedRequestId !== undefined ? this.exchanges.get(options.relatedRequestId) : undefined;
    if (related && this.options.responseMode !== 'json') {
      // Both queue on the exchange's chain at once, so nothing sent later can overtake this message.
      if (!related.streamId) void this.openStream(related);
      await this.emit(related, message);
      return;
    }
    await this.sendStandalone(message);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const exchange of new Set(this.exchanges.values())) this.finish(exchange);
    this.exchanges.clear();
    for (const { stream } of this.standalone.splice(0)) stream.end();
    await this.options.replayStore?.dropSession(this.sessionId).catch(() => undefined);
    this.onclose?.();
  }

  private async answer(exchange: Exchange, response: Message): Promise<void> {
    exchange.pending.delete(response.id as RequestId);
    this.exchanges.delete(response.id as RequestId);
    if (exchange.stream || exchange.streamId) {
      await this.emit(exchange, response);
    } else {
      exchange.collected.push(response);
    }
    if (exchange.pending.size === 0) {
      await exchange.chain;
      await this.finish(exchange);
    }
  }

  /** Ends the exchange's response; settles once the body has been handed to the socket (or the client left). */
  private finish(exchange: Exchange): Promise<void> {
    clearTimeout(exchange.timer);
    const res = exchange.res;
    let flushed = Promise.resolve();
    if (exchange.stream) exchange.stream.end();
    else if (!exchange.finished && !res.headersSent) {
      const body = exchange.batch ? exchange.collected : exchange.collected[0];
      if (body === undefined) res.writeHead(202, exchange.headers).end();
      else {
        flushed = new Promise<void>((resolve) => {
          res.once('close', resolve);
          res.writeHead(200, { ...exchange.headers, 'Content-Type': 'application/json' }).end(JSON.stringify(body), resolve);
        });
      }
    }
    exchange.finished = true;
    this.lastActivity = Date.now();
    return flushed;
  }

  /** Stream creation joins the exchange's chain, so nothing can be written before the stream exists. */
  private openStream(exchange: Exchange): Promise<void> {
    if (exchange.streamId) return exchange.chain;
    const streamId = this.nextStreamId();
    exchange.streamId = streamId;
    exchange.chain = exchange.chain.then(async () => {
      const primingEventId = await this.primingId(streamId);
      if (!exchange.finished && !exchange.res.headersSent) {
        exchange.stream = new SseStream(exchange.res, {
          keepaliveMs: this.options.keepaliveMs,
          retryMs: this.options.retryMs,
          headers: exchange.headers,
          primingEventId,
        });
      }
      // Answers collected before the stream opened (a batch) go out first, in order.
      for (const collected of exchange.collected.splice(0)) await this.write(exchange, collected);
    });
    return exchange.chain;
  }

  /** Ends the POST's stream but keeps its work: what follows goes to the replay store for a resume. */
  private async release(exchange: Exchange): Promise<void> {
    await this.openStream(exchange);
    await exchange.chain;
    exchange.stream?.end();
  }

  /** Stored like any event so that its id is a valid Last-Event-ID; never replayed itself. */
  private async primingId(streamId: string): Promise<string | undefined> {
    return this.store(streamId, PRIMING);
  }

  private emit(exchange: Exchange, message: unknown): Promise<void> {
    exchange.chain = exchange.chain.then(() => this.write(exchange, message));
    return exchange.chain;
  }

  private async write(exchange: Exchange, message: unknown): Promise<void> {
    const eventId = exchange.streamId ? await this.store(exchange.streamId, message) : undefined;
    await exchange.stream?.send(message, eventId);
  }

  /**
   * A replay store that is down must not cost the live client its message: it is sent without an
   * id (not resumable) and the outage is reported.
   */
  private async store(streamId: string, message: unknown): Promise<string | undefined> {
    if (!this.options.replayStore) return undefined;
    try {
      return await this.options.replayStore.append(streamId, message);
    } catch (error) {
      this.onerror?.(new Error(`replay store unavailable, sending without an event id: ${(error as Error).message}`));
      return undefined;
    }
  }

  private async sendStandalone(message: JSONRPCMessage): Promise<void> {
    const target = [...this.standalone].reverse().find((s) => !s.stream.closed);
    if (!target) {
      // No GET stream open. If one was open before, keep its events for a Last-Event-ID resume;
      // a session that never opened one gets nothing (the spec lets the server drop them).
      if (this.standaloneStreamId) await this.store(this.standaloneStreamId, message);
      return;
    }
    target.stream.send(message, await this.store(target.streamId, message));
  }

  /** Answers what is still pending with an error and cancels the work behind it. */
  private timeOut(exchange: Exchange): void {
    for (const id of [...exchange.pending]) {
      this.onmessage?.({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: id, reason: 'request timed out' } });
      void this.answer(exchange, {
        jsonrpc: '2.0',
        id,
        error: { code: -32603, message: `Request timed out after ${this.options.requestTimeoutMs} ms (server.http.request_timeout_ms)` },
      } as Message);
    }
  }

  /** `<session>.<instance><n>`: another replica serving the same session never reuses our stream ids. */
  private nextStreamId(): string {
    this.streams += 1;
    return `${this.sessionId}.${this.instance}${this.streams}`;
  }
}
