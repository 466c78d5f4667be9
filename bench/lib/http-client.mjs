import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { CLIENT_INFO, PROTOCOL_VERSION, checkEcho } from './stdio-client.mjs';

/** One keep-alive connection pool per server run; loopback only. */
export function createAgent() {
  return new Agent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: 1024, keepAliveMsecs: 10_000 });
}

/** JSON-RPC messages in an SSE body: the `data:` lines of each event, joined. */
export function parseSse(body) {
  const messages = [];
  for (const block of body.split(/\r?\n\r?\n/)) {
    const data = [];
    for (const line of block.split(/\r?\n/)) {
      if (line.startsWith('data:')) data.push(line.slice(line[5] === ' ' ? 6 : 5));
    }
    if (data.length === 0) continue;
    const text = data.join('\n');
    if (text.trim() === '') continue; // a priming event carries an empty data line
    messages.push(JSON.parse(text));
  }
  return messages;
}

/** A POST to an MCP endpoint; resolves with status, headers, the JSON-RPC messages and the completion time. */
export function post({ agent, port, path, headers, body, timeoutMs }) {
  return new Promise((resolve, reject) => {
    const payload = Buffer.from(JSON.stringify(body));
    const req = request(
      {
        agent,
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          Accept: 'application/json, text/event-stream',
          'Content-Length': payload.length,
          ...headers,
        },
      },
      (res) => {
        const chunks = [];
        res.on('data', (chunk) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const at = performance.now();
          clearTimeout(timer);
          const text = Buffer.concat(chunks).toString('utf8');
          const type = String(res.headers['content-type'] ?? '');
          let messages = [];
          try {
            if (type.includes('text/event-stream')) messages = parseSse(text);
            else if (text.trim() !== '') {
              const parsed = JSON.parse(text);
              messages = Array.isArray(parsed) ? parsed : [parsed];
            }
          } catch (error) {
            reject(new Error(`unparseable ${type || 'untyped'} body (HTTP ${res.statusCode}): ${text.slice(0, 200)}`));
            return;
          }
          resolve({ status: res.statusCode, headers: res.headers, messages, at, sse: type.includes('text/event-stream') });
        });
      },
    );
    const timer = setTimeout(() => req.destroy(new Error(`POST ${path} got no complete answer within ${timeoutMs} ms`)), timeoutMs);
    req.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    req.end(payload);
  });
}

/** One Streamable HTTP session, driven with raw JSON-RPC: initialize → notifications/initialized → tools/call. */
export class HttpMcpSession {
  /** `credentials`: headers sent with every request (Authorization for the authenticated suite). */
  constructor({ agent, port, path = '/mcp', requestTimeoutMs = 10_000, credentials = {} }) {
    Object.assign(this, { agent, port, path, requestTimeoutMs, credentials });
    this.nextId = 1;
    this.sessionId = undefined;
    this.protocolVersion = undefined;
    this.sawSse = false;
  }

  headers() {
    const h = { ...this.credentials };
    if (this.sessionId !== undefined) h['Mcp-Session-Id'] = this.sessionId;
    if (this.protocolVersion !== undefined) h['MCP-Protocol-Version'] = this.protocolVersion;
    return h;
  }

  async call(method, params) {
    const id = this.nextId++;
    const answer = await post({
      agent: this.agent,
      port: this.port,
      path: this.path,
      headers: this.headers(),
      body: { jsonrpc: '2.0', id, method, params },
      timeoutMs: this.requestTimeoutMs,
    });
    if (answer.sse) this.sawSse = true;
    const response = answer.messages.find((m) => m.id === id && m.method === undefined);
    if (answer.status !== 200 || !response) {
      throw new Error(`${method}: HTTP ${answer.status} without its answer: ${JSON.stringify(answer.messages).slice(0, 300)}`);
    }
    return { response, answer };
  }

  async open() {
    const { response, answer } = await this.call('initialize', {
      protocolVersion: PROTOCOL_VERSION,
      capabilities: {},
      clientInfo: CLIENT_INFO,
    });
    if (response.error || !response.result?.protocolVersion) {
      throw new Error(`initialize failed: ${JSON.stringify(response.error ?? response.result).slice(0, 300)}`);
    }
    const sid = answer.headers['mcp-session-id'];
    if (typeof sid !== 'string' || sid === '') throw new Error('initialize answered without an Mcp-Session-Id header');
    this.sessionId = sid;
    this.protocolVersion = response.result.protocolVersion;
    const ack = await post({
      agent: this.agent,
      port: this.port,
      path: this.path,
      headers: this.headers(),
      body: { jsonrpc: '2.0', method: 'notifications/initialized' },
      timeoutMs: this.requestTimeoutMs,
    });
    if (ack.status !== 202 && ack.status !== 200) throw new Error(`notifications/initialized: HTTP ${ack.status}`);
  }

  /** One `tools/call echo`; checks the answer and returns the latency in milliseconds. */
  async echo(text) {
    const sent = performance.now();
    const { response, answer } = await this.call('tools/call', { name: 'echo', arguments: { message: text } });
    checkEcho(response, text);
    return answer.at - sent;
  }

  /** DELETE the session (best effort: a server may not support it). */
  close() {
    if (this.sessionId === undefined) return Promise.resolve();
    return new Promise((resolve) => {
      const req = request(
        { agent: this.agent, host: '127.0.0.1', port: this.port, path: this.path, method: 'DELETE', headers: this.headers() },
        (res) => {
          res.resume();
          res.on('end', resolve);
          res.on('error', resolve);
        },
      );
      req.setTimeout(this.requestTimeoutMs, () => req.destroy());
      req.on('error', () => resolve());
      req.end();
    });
  }
}

/** The stateless revision the `http 2026-07-28 stateless` suite speaks. */
export const MODERN_PROTOCOL_VERSION = '2026-07-28';

/** The per-request envelope a 2026-07-28 request carries in `params._meta` (no initialize, no session). */
const ENVELOPE = Object.freeze({
  'io.modelcontextprotocol/protocolVersion': MODERN_PROTOCOL_VERSION,
  'io.modelcontextprotocol/clientInfo': CLIENT_INFO,
  'io.modelcontextprotocol/clientCapabilities': {},
});

const MODERN_HEADERS = Object.freeze({ 'MCP-Protocol-Version': MODERN_PROTOCOL_VERSION, 'Mcp-Method': 'tools/call', 'Mcp-Name': 'echo' });

/**
 * A first answer that says "this server does not serve 2026-07-28 statelessly": no result, and either
 * a 2025-only server asking for a session / initialize, or -32022 (unsupported protocol version).
 * Anything else that is not a correct echo is a failure, not "not served".
 */
function notServed(answer, response) {
  if (response?.result !== undefined) return false;
  const error = response?.error ?? answer.messages[0]?.error;
  if (error?.code === -32022) return true;
  return answer.status >= 400 && answer.status < 500 && /session|initiali[sz]e/i.test(String(error?.message ?? ''));
}

/**
 * A 2026-07-28 client: each `tools/call echo` is a self-contained POST with the routing headers and
 * the `_meta` envelope; no handshake and no Mcp-Session-Id. Lanes share it (and the keep-alive agent).
 */
export class StatelessMcpClient {
  constructor({ agent, port, path = '/mcp', requestTimeoutMs = 10_000 }) {
    Object.assign(this, { agent, port, path, requestTimeoutMs });
    this.nextId = 1;
    this.sawSse = false;
  }

  async send(text) {
    const id = this.nextId++;
    const sent = performance.now();
    const answer = await post({
      agent: this.agent,
      port: this.port,
      path: this.path,
      headers: MODERN_HEADERS,
      body: { jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'echo', arguments: { message: text }, _meta: ENVELOPE } },
      timeoutMs: this.requestTimeoutMs,
    });
    if (answer.sse) this.sawSse = true;
    const response = answer.messages.find((m) => m.id === id && m.method === undefined);
    return { answer, response, latency: answer.at - sent };
  }

  /** One stateless `tools/call echo`; checks the answer and returns the latency in milliseconds. */
  async echo(text) {
    const { answer, response, latency } = await this.send(text);
    check(answer, response, text);
    return latency;
  }

  /**
   * The first call: `{ served: true }` after a correct echo, `{ served: false, firstAnswer }` when
   * the server answers like one that does not serve this revision; throws on any other answer.
   */
  async probe(text) {
    const { answer, response } = await this.send(text);
    if (notServed(answer, response)) return { served: false, firstAnswer: describe(answer) };
    check(answer, response, text);
    return { served: true };
  }
}

const describe = (answer) => `HTTP ${answer.status}: ${JSON.stringify(answer.messages.length === 1 ? answer.messages[0] : answer.messages).slice(0, 240)}`;

/** A correct 2026-07-28 echo: HTTP 200, the result (not an error, not input_required/task) with the text. */
function check(answer, response, text) {
  if (answer.status !== 200 || !response) throw new Error(`stateless tools/call without its answer: ${describe(answer)}`);
  checkEcho(response, text);
  const { resultType, structuredContent } = response.result;
  if (resultType !== undefined && resultType !== 'complete') throw new Error(`stateless echo answered resultType ${JSON.stringify(resultType)}`);
  if (structuredContent?.message !== text) throw new Error(`stateless echo structuredContent ${JSON.stringify(structuredContent)?.slice(0, 100)} is not { message: ${JSON.stringify(text)} }`);
}
