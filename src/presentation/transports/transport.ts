import type { IncomingHttpHeaders } from 'node:http';
import type { JSONRPCMessage, RequestId } from '@modelcontextprotocol/server';

/** What arrived with a message besides the message itself. */
export interface MessageInfo {
  /** The HTTP request's headers (HTTP transports only). */
  readonly headers?: IncomingHttpHeaders;
  /** SEP-1699: ends the POST's SSE stream early; the client resumes with Last-Event-ID. */
  readonly closeSSEStream?: () => void;
}

export interface SendOptions {
  /** The request this message belongs to: an HTTP transport sends it on that request's stream. */
  readonly relatedRequestId?: RequestId;
}

/**
 * One client connection as the dispatcher sees it: our stdio framing, a Streamable HTTP session or
 * a 2024-11-05 SSE session. Ours, not the SDK's: no SDK Protocol is ever connected to a transport
 * (ADR 009), so this interface holds only what our dispatcher uses, and node's own header type
 * instead of the SDK v2's web-standard Request.
 */
export interface Transport {
  readonly sessionId?: string;
  onmessage?: (message: JSONRPCMessage, info?: MessageInfo) => void;
  onclose?: () => void;
  onerror?: (error: Error) => void;
  start(): Promise<void>;
  send(message: JSONRPCMessage, options?: SendOptions): Promise<void>;
  close(): Promise<void>;
  setProtocolVersion?(version: string): void;
}
