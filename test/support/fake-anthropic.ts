/**
 * A fake Anthropic Messages API on 127.0.0.1, for tests that drive the real @anthropic-ai/sdk client.
 *
 *   const fake = await startFakeAnthropic([reply.toolUse('read_file', { path: 'a.txt' }), reply.text('It says hi.')]);
 *   // claude.base_url (or ANTHROPIC_BASE_URL) = fake.url; claude.api_key = FAKE_API_KEY (any key, unless options.apiKey)
 *   ...
 *   fake.messages()                 // bodies of POST /v1/messages, in order: what the model saw
 *   fake.requests[0].headers        // every request (messages and models), with headers and parsed body
 *   await fake.requests[0].ended    // 'completed', or 'closed' when the client hung up first (a cancel)
 *   await fake.stop()               // closes every connection, hung ones included
 *
 * Routes:
 * - POST /v1/messages: each request takes the next step of the script (an array, consumed in order, or
 *   a function of the request). A step is an answer (`reply.text`, `reply.toolUse`, `reply.answer`), an
 *   error (`reply.error`, `reply.rateLimited`, `reply.overloaded`, `reply.unauthorized`) or `reply.hang()`
 *   (read the request, never answer). Answers are JSON, or SSE when the body says `stream: true`, framed
 *   as the API frames them: message_start, content_block_start, ping, content_block_delta (text_delta,
 *   input_json_delta), content_block_stop, message_delta (stop_reason, usage), message_stop. Text and tool
 *   input are split into deltas of `chunkSize` characters; `delayMs` paces the events (a slow stream);
 *   `stallAfterEvents` stops sending after that many events and keeps the connection open (a hung stream);
 *   `errorAfterEvents` sends an SSE `error` event there instead (e.g. overloaded_error mid-stream).
 *   When the script runs out: 500 api_error with `x-should-retry: false`, so a test fails loudly.
 * - GET /v1/models/{id}: a ModelInfo (`lifecycle: active` unless `options.models` says otherwise);
 *   with `options.models` set, ids not in it answer 404 not_found_error.
 * - With `options.apiKey`, any request without that key (x-api-key, or Authorization: Bearer) gets 401
 *   before the script is consulted.
 * Every response carries `request-id: req_fake_<n>`.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export const FAKE_API_KEY = 'sk-ant-fake-0123456789abcdef';

export type FakeBlock =
  | { readonly type: 'text'; readonly text: string }
  /** `rawInput`: streamed as the input JSON instead of `input` (e.g. an input cut off by max_tokens). */
  | { readonly type: 'tool_use'; readonly id?: string; readonly name: string; readonly input: unknown; readonly rawInput?: string };

export interface FakeUsage {
  readonly input_tokens: number;
  readonly output_tokens: number;
  readonly cache_read_input_tokens: number;
  readonly cache_creation_input_tokens: number;
}

export interface FakeAnswer {
  readonly kind: 'answer';
  readonly content: readonly FakeBlock[];
  /** Default: tool_use when the content has a tool_use block, else end_turn. */
  readonly stopReason?: string;
  readonly usage?: Partial<FakeUsage>;
  /** Default: the model the request named. */
  readonly model?: string;
  /** Characters per text_delta / input_json_delta (default 5). */
  readonly chunkSize?: number;
  /** Pause before each SSE event, or before a JSON answer (default 0). */
  readonly delayMs?: number;
  /** Send this many SSE events (ping included), then nothing, keeping the connection open. */
  readonly stallAfterEvents?: number;
  /** Send this many SSE events, then an `error` event of this type, and end the response. */
  readonly errorAfterEvents?: { readonly after: number; readonly type: string; readonly message?: string };
}

export interface FakeError {
  readonly kind: 'error';
  readonly status: number;
  readonly type: string;
  readonly message: string;
  readonly headers?: Readonly<Record<string, string>>;
}

export type FakeStep = FakeAnswer | FakeError | { readonly kind: 'hang' };

export interface FakeModel {
  readonly id?: string;
  readonly lifecycle?: 'active' | 'deprecated' | 'retired';
  readonly deprecated_at?: string | null;
  readonly retires_at?: string | null;
  readonly display_name?: string;
}

export interface RecordedRequest {
  readonly index: number;
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  /** The parsed JSON body (undefined for GET). */
  readonly body: any;
  readonly receivedAt: number;
  /** `completed`: the fake sent its whole answer; `closed`: the client (or stop()) closed the connection first. */
  readonly ended: Promise<'completed' | 'closed'>;
}

export type FakeScript = readonly FakeStep[] | ((request: RecordedRequest, index: number) => FakeStep);

export interface FakeAnthropicOptions {
  readonly apiKey?: string;
  readonly models?: Readonly<Record<string, FakeModel>>;
}

export interface FakeAnthropic {
  /** Base URL for the SDK (`baseURL`) or claude.base_url: http://127.0.0.1:<port> */
  readonly url: string;
  readonly requests: readonly RecordedRequest[];
  /** Bodies of POST /v1/messages, in order. */
  messages(): any[];
  /** Appends steps to an array script. */
  push(...steps: FakeStep[]): void;
  stop(): Promise<void>;
}

export const reply = {
  answer: (content: readonly FakeBlock[], extra: Partial<Omit<FakeAnswer, 'kind' | 'content'>> = {}): FakeAnswer => ({ kind: 'answer', content, ...extra }),
  text: (text: string, extra: Partial<Omit<FakeAnswer, 'kind' | 'content'>> = {}): FakeAnswer => reply.answer([{ type: 'text', text }], extra),
  /** A tool call, optionally after some text; stop_reason tool_use. */
  toolUse: (name: string, input: unknown, extra: Partial<Omit<FakeAnswer, 'kind' | 'content'>> & { readonly text?: string; readonly id?: string } = {}): FakeAnswer => {
    const { text, id, ...rest } = extra;
    return reply.answer([...(text ? [{ type: 'text' as const, text }] : []), { type: 'tool_use', name, input, ...(id ? { id } : {}) }], rest);
  },
  error: (status: number, type: string, message: string, headers: Record<string, string> = {}): FakeError => ({ kind: 'error', status, type, message, headers }),
  /** 429 with retry-after in seconds (fractions allowed: the SDK parses it as a float). */
  rateLimited: (retryAfterSeconds = 0.05): FakeError => reply.error(429, 'rate_limit_error', 'Number of request tokens has exceeded your per-minute rate limit', { 'retry-after': String(retryAfterSeconds) }),
  overloaded: (retryAfterSeconds = 0.05): FakeError => reply.error(529, 'overloaded_error', 'Overloaded', { 'retry-after': String(retryAfterSeconds) }),
  unauthorized: (): FakeError => reply.error(401, 'authentication_error', 'invalid x-api-key'),
  hang: (): FakeStep => ({ kind: 'hang' }),
};

export async function startFakeAnthropic(script: FakeScript = [], options: FakeAnthropicOptions = {}): Promise<FakeAnthropic> {
  const steps = typeof script === 'function' ? undefined : [...script];
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let messageCount = 0;
  let ids = 0;

  const wait = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        resolve();
      }, ms);
      timers.add(timer);
    });

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const raw = await readBody(req);
    let finished = false;
    const ended = new Promise<'completed' | 'closed'>((resolve) => res.on('close', () => resolve(finished ? 'completed' : 'closed')));
    const index = requests.length;
    const path = new URL(req.url ?? '/', 'http://fake').pathname;
    const record: RecordedRequest = { index, method: req.method ?? 'GET', path, headers: req.headers, body: parseJson(raw), receivedAt: Date.now(), ended };
    requests.push(record);
    const requestId = `req_fake_${index + 1}`;
    const done = (): void => {
      finished = true;
      res.end();
    };
    const sendError = (error: Omit<FakeError, 'kind'>): void => {
      res.writeHead(error.status, { 'content-type': 'application/json', 'request-id': requestId, ...(error.headers ?? {}) });
      res.write(JSON.stringify({ type: 'error', error: { type: error.type, message: error.message }, request_id: requestId }));
      done();
    };

    if (options.apiKey !== undefined && keyOf(req.headers) !== options.apiKey) {
      return sendError({ status: 401, type: 'authentication_error', message: 'invalid x-api-key' });
    }
    const model = /^\/v1\/models\/([^/]+)$/.exec(path);
    if (req.method === 'GET' && model) {
      const id = decodeURIComponent(model[1]);
      const known = options.models === undefined ? {} : options.models[id];
      if (known === undefined) return sendError({ status: 404, type: 'not_found_error', message: `model: ${id}` });
      res.writeHead(200, { 'content-type': 'application/json', 'request-id': requestId });
      res.write(JSON.stringify(modelInfo(id, known)));
      return done();
    }
    if (req.method !== 'POST' || path !== '/v1/messages') return sendError({ status: 404, type: 'not_found_error', message: `no route ${req.method} ${path}` });

    const n = messageCount++;
    const step = steps ? steps.shift() : (script as (request: RecordedRequest, index: number) => FakeStep)(record, n);
    if (step === undefined) {
      return sendError({ status: 500, type: 'api_error', message: `fake-anthropic: no scripted reply for messages request #${n + 1}`, headers: { 'x-should-retry': 'false' } });
    }
    if (step.kind === 'hang') return;
    if (step.kind === 'error') return sendError(step);

    const body = record.body as { model?: string; stream?: boolean } | undefined;
    const message = messageOf(step, body?.model ?? 'claude-fake', () => `${++ids}`);
    if (body?.stream !== true) {
      if (step.delayMs) await wait(step.delayMs);
      res.writeHead(200, { 'content-type': 'application/json', 'request-id': requestId });
      res.write(JSON.stringify({ ...message, content: message.content.map((block) => (block.type === 'tool_use' ? { ...block, rawInput: undefined } : block)) }));
      return done();
    }
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'request-id': requestId });
    res.flushHeaders(); // as the API does: the headers go out before the first event
    let sent = 0;
    for (const event of sseEvents(message, step.chunkSize ?? 5)) {
      if (step.stallAfterEvents !== undefined && sent >= step.stallAfterEvents) return;
      if (step.errorAfterEvents !== undefined && sent >= step.errorAfterEvents.after) {
        const { type, message: text = type } = step.errorAfterEvents;
        res.write(frame('error', { type: 'error', error: { type, message: text }, request_id: requestId }));
        return done();
      }
      if (step.delayMs) await wait(step.delayMs);
      if (res.destroyed) return;
      res.write(frame(event.type, event));
      sent++;
    }
    done();
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`fake-anthropic failed: ${String(error)}`);
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    messages: () => requests.filter((r) => r.method === 'POST' && r.path === '/v1/messages').map((r) => r.body),
    push: (...more) => {
      if (!steps) throw new Error('fake-anthropic: push() needs an array script');
      steps.push(...more);
    },
    stop: async () => {
      for (const timer of timers) clearTimeout(timer);
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

interface FakeMessage {
  id: string;
  type: 'message';
  role: 'assistant';
  model: string;
  content: ({ type: 'text'; text: string } | { type: 'tool_use'; id: string; name: string; input: unknown; rawInput?: string })[];
  stop_reason: string;
  stop_sequence: null;
  usage: FakeUsage;
}

function messageOf(step: FakeAnswer, requestedModel: string, nextId: () => string): FakeMessage {
  const content = step.content.map((block) =>
    block.type === 'text' ? { ...block } : { type: 'tool_use' as const, id: block.id ?? `toolu_fake_${nextId()}`, name: block.name, input: block.input, ...(block.rawInput !== undefined ? { rawInput: block.rawInput } : {}) },
  );
  return {
    id: `msg_fake_${nextId()}`,
    type: 'message',
    role: 'assistant',
    model: step.model ?? requestedModel,
    content,
    stop_reason: step.stopReason ?? (content.some((block) => block.type === 'tool_use') ? 'tool_use' : 'end_turn'),
    stop_sequence: null,
    usage: { input_tokens: 12, output_tokens: 6, cache_read_input_tokens: 0, cache_creation_input_tokens: 0, ...step.usage },
  };
}

/** The events of one streamed answer, in the API's order (one ping after the first block starts). */
function* sseEvents(message: FakeMessage, chunkSize: number): Generator<{ type: string } & Record<string, unknown>> {
  const { usage } = message;
  yield {
    type: 'message_start',
    message: { ...message, content: [], stop_reason: null, usage: { input_tokens: usage.input_tokens, cache_creation_input_tokens: usage.cache_creation_input_tokens, cache_read_input_tokens: usage.cache_read_input_tokens, output_tokens: 1 } },
  };
  for (const [index, block] of message.content.entries()) {
    if (block.type === 'text') {
      yield { type: 'content_block_start', index, content_block: { type: 'text', text: '' } };
      if (index === 0) yield { type: 'ping' };
      for (const part of chunks(block.text, chunkSize)) yield { type: 'content_block_delta', index, delta: { type: 'text_delta', text: part } };
    } else {
      yield { type: 'content_block_start', index, content_block: { type: 'tool_use', id: block.id, name: block.name, input: {} } };
      if (index === 0) yield { type: 'ping' };
      yield { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: '' } };
      for (const part of chunks(block.rawInput ?? JSON.stringify(block.input), chunkSize)) yield { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: part } };
    }
    yield { type: 'content_block_stop', index };
  }
  yield { type: 'message_delta', delta: { stop_reason: message.stop_reason, stop_sequence: null }, usage: { output_tokens: usage.output_tokens } };
  yield { type: 'message_stop' };
}

function modelInfo(id: string, model: FakeModel): Record<string, unknown> {
  return {
    type: 'model',
    id: model.id ?? id,
    display_name: model.display_name ?? id,
    created_at: '2026-01-01T00:00:00Z',
    lifecycle: model.lifecycle ?? 'active',
    deprecated_at: model.deprecated_at ?? null,
    retires_at: model.retires_at ?? null,
    line: null,
    max_input_tokens: 200_000,
    max_tokens: 64_000,
    capabilities: null,
  };
}

function frame(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

function chunks(text: string, size: number): string[] {
  const parts: string[] = [];
  for (let at = 0; at < text.length; at += Math.max(1, size)) parts.push(text.slice(at, at + Math.max(1, size)));
  return parts;
}

function keyOf(headers: IncomingHttpHeaders): string | undefined {
  const apiKey = headers['x-api-key'];
  if (typeof apiKey === 'string') return apiKey;
  const bearer = /^Bearer (.+)$/.exec(headers.authorization ?? '');
  return bearer?.[1];
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on('data', (chunk: Buffer) => parts.push(chunk));
    req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    req.on('error', reject);
  });
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
