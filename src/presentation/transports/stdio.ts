import type { Readable, Writable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import type { JSONRPCMessage } from '@modelcontextprotocol/server';
import { classifyFrame } from './json-rpc-frame.js';
import type { SendOptions, Transport } from './transport.js';

export interface StdioTransportOptions {
  /** A line longer than this is answered with -32600 and discarded without being buffered whole. */
  readonly maxMessageBytes: number;
  /**
   * Called at end of input instead of closing at once, so requests still running can be answered
   * on the output (which stays open) before the owner closes the transport.
   */
  readonly onInputEnd?: () => void;
}

/**
 * Newline-delimited JSON-RPC over a pair of streams. Unlike the SDK's stdio transport it answers
 * malformed input (-32700 parse error, -32600 invalid request, oversized lines) instead of only
 * reporting it locally, and it never writes anything but protocol frames to its output.
 */
export class StdioServerTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;

  private readonly decoder = new StringDecoder('utf8');
  private buffer = '';
  private bufferBytes = 0;
  private discarding = false;
  private closed = false;
  private started = false;
  /** Messages read while delivery is held (see hold), in arrival order. */
  private held?: JSONRPCMessage[];
  /** Frames sent since the last flush, joined into one write when the current tick's work is done. */
  private outgoing: string[] = [];
  /** The pending write's completion, shared by every frame in it: settled when the output takes it. */
  private batch?: { readonly done: Promise<void>; readonly settle: () => void };
  private drainWaiters: (() => void)[] = [];

  constructor(
    private readonly input: Readable,
    private readonly output: Writable,
    private readonly options: StdioTransportOptions,
  ) {}

  /**
   * Idempotent: the stdio connection starts the transport to read the first message, and the
   * connection that message picks attaches to the same, already started, transport.
   */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.input.on('data', this.onData);
    this.input.on('end', this.onEnd);
    this.input.on('error', this.onInputError);
    this.output.on('error', this.onOutputError);
    this.output.on('drain', this.onDrain);
  }

  /**
   * Frames are coalesced: every answer produced while one input chunk is handled (a pipelining
   * client's whole window) leaves in one write once the tick's promise work is done, instead of
   * one write — one stream request and one syscall — per frame. Order is kept; a frame waits at
   * most until the end of the current tick. The returned promise settles when the output has
   * accepted the write holding the frame, so senders feel backpressure.
   */
  send(message: JSONRPCMessage, _options?: SendOptions): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.outgoing.push(JSON.stringify(message));
    if (!this.batch) {
      let settle!: () => void;
      const done = new Promise<void>((resolve) => (settle = resolve));
      this.batch = { done, settle };
      process.nextTick(this.flush);
    }
    return this.batch.done;
  }

  private readonly flush = (): void => {
    const batch = this.batch;
    if (!batch) return;
    this.batch = undefined;
    const frames = this.outgoing;
    this.outgoing = [];
    const text = frames.length === 1 ? `${frames[0]}\n` : `${frames.join('\n')}\n`;
    if (this.output.write(text)) batch.settle();
    else this.drainWaiters.push(batch.settle);
  };

  /**
   * Keeps the messages read from now on instead of delivering them, until `release`: while the
   * first message's connection is set up (opening a session is asynchronous), nothing overtakes it.
   * Malformed lines are still answered at once.
   */
  hold(): void {
    this.held ??= [];
  }

  /** Delivers the held messages in order to the current `onmessage`, then every later one directly. */
  release(): void {
    const held = this.held;
    this.held = undefined;
    if (held) for (const message of held) this.onmessage?.(message);
  }

  /** The output 'error' listener stays: a late EPIPE must not become an uncaught exception. */
  async close(): Promise<void> {
    if (this.closed) return;
    // What was sent before close still leaves, in order.
    this.flush();
    this.closed = true;
    this.held = undefined;
    this.input.off('data', this.onData);
    this.input.off('end', this.onEnd);
    this.input.off('error', this.onInputError);
    this.output.off('drain', this.onDrain);
    this.onDrain();
    this.onclose?.();
  }

  private readonly onData = (chunk: Buffer | string): void => {
    const text = typeof chunk === 'string' ? chunk : this.decoder.write(chunk);
    let start = 0;
    let newline = text.indexOf('\n');
    while (newline !== -1) {
      this.takeLine(text.slice(start, newline));
      start = newline + 1;
      newline = text.indexOf('\n', start);
    }
    this.keepPartial(text.slice(start));
  };

  private takeLine(tail: string): void {
    if (this.discarding) {
      this.discarding = false;
      return;
    }
    const line = this.buffer.length > 0 ? this.buffer + tail : tail;
    this.buffer = '';
    this.bufferBytes = 0;
    if (line.length * 3 > this.options.maxMessageBytes && Buffer.byteLength(line) > this.options.maxMessageBytes) {
      this.reject(-32600, `Invalid Request: message larger than ${this.options.maxMessageBytes} bytes`, null);
      return;
    }
    this.dispatch(line.endsWith('\r') ? line.slice(0, -1) : line);
  }

  private keepPartial(partial: string): void {
    if (this.discarding || partial.length === 0) return;
    this.buffer += partial;
    this.bufferBytes += Buffer.byteLength(partial);
    if (this.bufferBytes > this.options.maxMessageBytes) {
      // Answer now and drop the rest of this line as it streams in, so memory stays bounded.
      this.buffer = '';
      this.bufferBytes = 0;
      this.discarding = true;
      this.reject(-32600, `Invalid Request: message larger than ${this.options.maxMessageBytes} bytes`, null);
    }
  }

  private dispatch(line: string): void {
    if (line.trim().length === 0) return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      this.reject(-32700, 'Parse error: the line is not valid JSON', null);
      return;
    }
    const verdict = classifyFrame(value);
    if (!verdict.ok) {
      this.reject(verdict.code, verdict.message, verdict.id);
      return;
    }
    if (this.held) this.held.push(verdict.message);
    else this.onmessage?.(verdict.message);
  }

  private reject(code: number, message: string, id: string | number | null): void {
    void this.send({ jsonrpc: '2.0', id, error: { code, message } } as unknown as JSONRPCMessage);
    this.onerror?.(new Error(message));
  }

  /** A last line without its newline is still a message. */
  private readonly onEnd = (): void => {
    const rest = this.decoder.end();
    if (rest.length > 0) this.keepPartial(rest);
    if (this.buffer.length > 0) this.takeLine('');
    this.discarding = false;
    if (this.options.onInputEnd) this.options.onInputEnd();
    else void this.close();
  };

  private readonly onInputError = (error: Error): void => {
    this.onerror?.(error);
    void this.close();
  };

  /** EPIPE and friends: the client is gone. */
  private readonly onOutputError = (error: Error): void => {
    this.onerror?.(error);
    void this.close();
  };

  private readonly onDrain = (): void => {
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const resolve of waiters) resolve();
  };
}
