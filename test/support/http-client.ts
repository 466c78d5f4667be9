import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';
import { LATEST_PROTOCOL_VERSION, type ClientCapabilities } from '@modelcontextprotocol/sdk/types.js';
import type { JsonRpcId, JsonRpcMessage } from './raw-server.js';

/** What a Streamable HTTP client must accept on POST. */
export const ACCEPT_BOTH = 'application/json, text/event-stream';
/** RFC 4122 version 4 (122 random bits), the shape the server promises for Mcp-Session-Id. */
export const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

export interface SseEvent {
  readonly id?: string;
  readonly event: string;
  readonly data: string;
}

export interface RawResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  /** JSON-RPC messages in the body: the JSON body (one or a batch), or the data of each SSE `message` event. */
  readonly messages: JsonRpcMessage[];
  /** SSE events when the body was a stream. */
  readonly events: SseEvent[];
}

export interface PostOptions {
  readonly sessionId?: string;
  readonly protocolVersion?: string;
  readonly headers?: Record<string, string>;
  readonly signal?: AbortSignal;
}

/** Parses complete SSE events out of `buffer`; returns them and the unparsed rest. */
export function parseSse(buffer: string): { events: SseEvent[]; rest: string } {
  const events: SseEvent[] = [];
  const normalized = buffer.replace(/\r\n?/g, '\n');
  const blocks = normalized.split('\n\n');
  const rest = blocks.pop() ?? '';
  for (const block of blocks) {
    let id: string | undefined;
    let event = 'message';
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line === '' || line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'id') id = value;
      else if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
    }
    // retry-only and comment-only blocks carry no event, and (as in the WHATWG SSE spec) neither does
    // an event whose data is empty: the SEP-1699 priming event that opens each stream
    if (data.length > 0 && data.join('\n') !== '') events.push({ ...(id !== undefined ? { id } : {}), event, data: data.join('\n') });
  }
  return { events, rest };
}

function messagesOf(contentType: string, text: string): { messages: JsonRpcMessage[]; events: SseEvent[] } {
  if (contentType.startsWith('text/event-stream')) {
    const { events } = parseSse(`${text}\n\n`);
    return { events, messages: events.filter((e) => e.event === 'message').map((e) => JSON.parse(e.data) as JsonRpcMessage) };
  }
  if (contentType.startsWith('application/json') && text.length > 0) {
    const value = JSON.parse(text) as JsonRpcMessage | JsonRpcMessage[];
    return { events: [], messages: Array.isArray(value) ? value : [value] };
  }
  return { events: [], messages: [] };
}

/** A raw POST to the MCP endpoint; `body` objects are JSON-encoded, strings are sent as they are. */
export async function post(url: string, body: unknown, options: PostOptions = {}): Promise<RawResponse> {
  const headers: Record<string, string> = { 'Content-Type': 'application/json', Accept: ACCEPT_BOTH };
  if (options.sessionId !== undefined) headers['Mcp-Session-Id'] = options.sessionId;
  if (options.protocolVersion !== undefined) headers['MCP-Protocol-Version'] = options.protocolVersion;
  const response = await fetch(url, {
    method: 'POST',
    headers: { ...headers, ...options.headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    signal: options.signal,
  });
  return readResponse(response);
}

export async function readResponse(response: Response): Promise<RawResponse> {
  const text = await response.text();
  const { messages, events } = messagesOf(response.headers.get('content-type') ?? '', text);
  return { status: response.status, headers: response.headers, text, messages, events };
}

export const initializeRequest = (id: JsonRpcId = 1, protocolVersion = LATEST_PROTOCOL_VERSION, name = 'http-e2e') => ({
  jsonrpc: '2.0',
  id,
  method: 'initialize',
  params: { protocolVersion, capabilities: {}, clientInfo: { name, version: '1.0.0' } },
});

export interface RawSession {
  readonly sessionId: string;
  readonly initialize: RawResponse;
}

/** initialize + notifications/initialized over raw fetch; fails loudly on anything unexpected. */
export async function openRawSession(url: string, options: { name?: string; headers?: Record<string, string> } = {}): Promise<RawSession> {
  const initialize = await post(url, initializeRequest(1, LATEST_PROTOCOL_VERSION, options.name), { headers: options.headers });
  const sessionId = initialize.headers.get('mcp-session-id');
  if (initialize.status !== 200 || !sessionId) throw new Error(`initialize failed: ${initialize.status} ${initialize.text.slice(0, 500)}`);
  const initialized = await post(url, { jsonrpc: '2.0', method: 'notifications/initialized' }, { sessionId, protocolVersion: LATEST_PROTOCOL_VERSION });
  if (initialized.status !== 202) throw new Error(`notifications/initialized got ${initialized.status} ${initialized.text.slice(0, 500)}`);
  return { sessionId, initialize };
}

/** One request on a raw session; returns the response message with `id` (throws if it is missing). */
export async function rawRequest(
  url: string,
  sessionId: string,
  method: string,
  params: Record<string, unknown> = {},
  id: JsonRpcId = 1,
): Promise<JsonRpcMessage> {
  const response = await post(url, { jsonrpc: '2.0', id, method, params }, { sessionId, protocolVersion: LATEST_PROTOCOL_VERSION });
  const answer = response.messages.find((m) => m.id === id && (m.result !== undefined || m.error !== undefined));
  if (!answer) throw new Error(`no response with id ${JSON.stringify(id)} to ${method}: ${response.status} ${response.text.slice(0, 500)}`);
  return answer;
}

/** A raw DELETE of a session. */
export async function deleteSession(url: string, sessionId: string): Promise<RawResponse> {
  return readResponse(await fetch(url, { method: 'DELETE', headers: { 'Mcp-Session-Id': sessionId, 'MCP-Protocol-Version': LATEST_PROTOCOL_VERSION } }));
}

export interface NodeHttpResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/**
 * node:http to 127.0.0.1 with any headers, including a Host header fetch would not send; `chunks`
 * are written one by one (chunked encoding unless a Content-Length header is given).
 */
export function nodeHttp(options: {
  port: number;
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string | readonly string[];
  timeoutMs?: number;
}): Promise<NodeHttpResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port: options.port, method: options.method, path: options.path, headers: options.headers, timeout: options.timeoutMs ?? 10_000 },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${options.timeoutMs ?? 10_000} ms`)));
    req.on('error', reject);
    const chunks = options.body === undefined ? [] : typeof options.body === 'string' ? [options.body] : options.body;
    for (const chunk of chunks) req.write(chunk);
    req.end();
  });
}

/**
 * An SSE response (usually a GET stream) read incrementally: every event is kept in order, and tests wait for the ones
 * they expect. `abort()` drops the connection the way a network failure would.
 */
export class SseReader {
  readonly events: SseEvent[] = [];
  status = 0;
  headers?: Headers;
  ended = false;
  error?: unknown;
  private readonly controller = new AbortController();
  private buffer = '';
  private waiters: (() => void)[] = [];

  private constructor() {}

  /** A GET with `headers` (Accept: text/event-stream added), or any request given as `init` (e.g. a POST answered with SSE). */
  static async open(url: string, headers: Record<string, string>, init: { method?: string; body?: string } = {}): Promise<SseReader> {
    const reader = new SseReader();
    const response = await fetch(url, {
      method: init.method ?? 'GET',
      headers: { Accept: 'text/event-stream', ...headers },
      ...(init.body !== undefined ? { body: init.body } : {}),
      signal: reader.controller.signal,
    });
    reader.status = response.status;
    reader.headers = response.headers;
    if (!response.ok || !response.body) {
      reader.buffer = await response.text().catch(() => '');
      reader.ended = true;
      return reader;
    }
    void reader.pump(response.body);
    return reader;
  }

  /** The body text of a refused GET. */
  get refusal(): string {
    return this.buffer;
  }

  get messages(): JsonRpcMessage[] {
    return this.events.filter((e) => e.event === 'message').map((e) => JSON.parse(e.data) as JsonRpcMessage);
  }

  abort(): void {
    this.controller.abort();
  }

  /** Resolves with the events once `count` have arrived; rejects after `timeoutMs` or when the stream ends short. */
  async waitForEvents(count: number, timeoutMs = 5000): Promise<SseEvent[]> {
    await this.waitUntil(() => this.events.length >= count, timeoutMs, `${count} event(s)`);
    return this.events.slice(0, count);
  }

  waitForEnd(timeoutMs = 5000): Promise<void> {
    return this.waitUntil(() => this.ended, timeoutMs, 'the end of the stream', true);
  }

  private waitUntil(predicate: () => boolean, timeoutMs: number, what: string, endIsOk = false): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        if (predicate()) {
          done(resolve);
          return true;
        }
        if (this.ended && !endIsOk) {
          done(() => reject(new Error(`stream ended while waiting for ${what}; got ${this.events.length}: ${JSON.stringify(this.events)}`)));
          return true;
        }
        return false;
      };
      const timer = setTimeout(
        () => done(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; got ${this.events.length}: ${JSON.stringify(this.events)}`))),
        timeoutMs,
      );
      const waiter = () => void check();
      const done = (then: () => void) => {
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== waiter);
        then();
      };
      if (!check()) this.waiters.push(waiter);
    });
  }

  private async pump(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    try {
      for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
        this.buffer += decoder.decode(chunk, { stream: true });
        const { events, rest } = parseSse(this.buffer);
        this.buffer = rest;
        this.events.push(...events);
        this.wake();
      }
    } catch (error) {
      this.error = error;
    } finally {
      this.ended = true;
      this.wake();
    }
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}

export interface FetchRecord {
  readonly method: string;
  readonly status: number;
  readonly contentType: string;
  readonly sessionId: string | null;
}

export interface HttpClientHandle {
  readonly client: Client;
  readonly transport: StreamableHTTPClientTransport;
  /** Every HTTP exchange the transport made, in the order the answers arrived. */
  readonly fetches: FetchRecord[];
  readonly clientErrors: Error[];
  /** Resolves when the transport's standalone GET stream was accepted (200, text/event-stream). */
  readonly standaloneStream: Promise<void>;
  close(): Promise<void>;
}

/** An SDK Client over StreamableHTTPClientTransport, with the transport's HTTP traffic recorded. */
export async function connectHttpClient(
  url: string,
  options: { name?: string; capabilities?: ClientCapabilities } = {},
): Promise<HttpClientHandle> {
  const fetches: FetchRecord[] = [];
  let streamOpened: () => void = () => undefined;
  const standaloneStream = new Promise<void>((resolve) => (streamOpened = resolve));
  const recording: FetchLike = async (input, init) => {
    const response = await fetch(input, init);
    const method = init?.method ?? 'GET';
    const contentType = response.headers.get('content-type') ?? '';
    fetches.push({ method, status: response.status, contentType, sessionId: response.headers.get('mcp-session-id') });
    if (method === 'GET' && response.status === 200 && contentType.startsWith('text/event-stream')) streamOpened();
    return response;
  };
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    fetch: recording,
    // A server that went away must not keep a test busy with reconnect attempts.
    reconnectionOptions: { maxReconnectionDelay: 1000, initialReconnectionDelay: 200, reconnectionDelayGrowFactor: 1, maxRetries: 1 },
  });
  const client = new Client({ name: options.name ?? 'tfo-mcp-http-e2e', version: '1.0.0' }, { capabilities: options.capabilities ?? {} });
  const clientErrors: Error[] = [];
  client.onerror = (error) => clientErrors.push(error);
  await client.connect(transport);
  return {
    client,
    transport,
    fetches,
    clientErrors,
    standaloneStream,
    close: async () => {
      await client.close().catch(() => undefined);
    },
  };
}
