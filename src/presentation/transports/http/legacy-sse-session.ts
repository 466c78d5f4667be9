import type { ServerResponse } from 'node:http';
import type { JSONRPCMessage } from '@modelcontextprotocol/server';
import type { MessageInfo, Transport } from '../transport.js';
import { SseStream } from './sse-stream.js';

/**
 * The 2024-11-05 HTTP+SSE transport, for older clients: GET /sse opens the one stream every server
 * message travels on, and announces (event `endpoint`) where to POST client messages.
 */
export class LegacySseSession implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage, extra?: MessageInfo) => void;
  lastActivity = Date.now();
  private readonly stream: SseStream;
  private closed = false;

  constructor(
    readonly sessionId: string,
    res: ServerResponse,
    endpoint: string,
    options: { keepaliveMs: number; retryMs: number },
  ) {
    this.stream = new SseStream(res, options);
    this.stream.send(`${endpoint}?sessionId=${encodeURIComponent(sessionId)}`, undefined, 'endpoint');
    this.stream.onClose(() => void this.close());
  }

  get busy(): boolean {
    return !this.stream.closed;
  }

  async start(): Promise<void> {}

  handlePost(res: ServerResponse, messages: readonly JSONRPCMessage[], extra: MessageInfo): void {
    this.lastActivity = Date.now();
    res.writeHead(202, { 'Content-Type': 'text/plain' }).end('Accepted');
    for (const message of messages) this.onmessage?.(message, extra);
  }

  send(message: JSONRPCMessage): Promise<void> {
    return this.stream.send(message);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stream.end();
    this.onclose?.();
  }
}
