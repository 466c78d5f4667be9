import { performance } from 'node:perf_hooks';

export const PROTOCOL_VERSION = '2025-06-18';
export const CLIENT_INFO = { name: 'tfo-mcp-bench', version: '1.0.0' };

/**
 * Raw newline-delimited JSON-RPC over a child's stdin/stdout. No SDK on the client side, so the
 * client's cost is the same small constant for every server.
 */
export class StdioRpcClient {
  constructor(handle, { requestTimeoutMs = 10_000 } = {}) {
    this.handle = handle;
    this.requestTimeoutMs = requestTimeoutMs;
    this.nextId = 1;
    this.pending = new Map();
    this.buffer = '';
    this.failure = undefined;
    this.stdin = handle.child.stdin;
    this.stdin.on('error', (error) => this.fail(new Error(`server stdin: ${error.message}`)));
    handle.child.stdout.setEncoding('utf8');
    handle.child.stdout.on('data', (chunk) => this.onData(chunk));
    handle.onUnexpectedExit = (code, signal) =>
      this.fail(new Error(`server exited unexpectedly (code ${code}, signal ${signal})\n${handle.stderrTail.slice(-1500)}`));
  }

  onData(chunk) {
    this.buffer += chunk;
    let newline;
    while ((newline = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, newline).replace(/\r$/, '');
      this.buffer = this.buffer.slice(newline + 1);
      if (line.trim() !== '') this.onLine(line);
    }
  }

  onLine(line) {
    let message;
    try {
      message = JSON.parse(line);
    } catch {
      this.fail(new Error(`server wrote a non-JSON line on stdout: ${line.slice(0, 200)}`));
      return;
    }
    if (message.method !== undefined) {
      // A server→client request (ping, roots/list…): answer it so the server never waits on us.
      if (message.id !== undefined) {
        const reply = message.method === 'ping'
          ? { jsonrpc: '2.0', id: message.id, result: {} }
          : { jsonrpc: '2.0', id: message.id, error: { code: -32601, message: 'Method not found' } };
        this.stdin.write(`${JSON.stringify(reply)}\n`);
      }
      return;
    }
    const entry = this.pending.get(message.id);
    if (!entry) return;
    this.pending.delete(message.id);
    clearTimeout(entry.timer);
    entry.resolve({ message, at: performance.now() });
  }

  fail(error) {
    if (this.failure) return;
    this.failure = error;
    for (const entry of this.pending.values()) {
      clearTimeout(entry.timer);
      entry.reject(error);
    }
    this.pending.clear();
  }

  /** Sends a request; resolves with { message, at } (the arrival time) or rejects on timeout/crash. */
  request(method, params) {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${method} #${id} got no answer within ${this.requestTimeoutMs} ms`));
      }, this.requestTimeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id, method, params })}\n`);
    });
  }

  notify(method, params) {
    this.stdin.write(`${JSON.stringify(params === undefined ? { jsonrpc: '2.0', method } : { jsonrpc: '2.0', method, params })}\n`);
  }

  async initialize() {
    const { message, at } = await this.request('initialize', {
      protocolVersion: PROTOCOL_VERSION,
      capabilities: {},
      clientInfo: CLIENT_INFO,
    });
    if (message.error || !message.result?.protocolVersion) {
      throw new Error(`initialize failed: ${JSON.stringify(message.error ?? message.result).slice(0, 300)}`);
    }
    this.notify('notifications/initialized');
    return { result: message.result, at };
  }

  /** One `tools/call echo`; checks the answer and returns the latency in milliseconds. */
  async echo(text) {
    const sent = performance.now();
    const { message, at } = await this.request('tools/call', { name: 'echo', arguments: { message: text } });
    checkEcho(message, text);
    return at - sent;
  }
}

/** Throws unless `message` is a successful echo of `text`. */
export function checkEcho(message, text) {
  if (message.error) throw new Error(`echo returned a JSON-RPC error: ${JSON.stringify(message.error).slice(0, 300)}`);
  const result = message.result;
  if (!result || result.isError) throw new Error(`echo failed: ${JSON.stringify(result).slice(0, 300)}`);
  const got = result.content?.[0]?.text;
  if (got !== text) throw new Error(`echo answered ${JSON.stringify(got)?.slice(0, 100)} instead of ${JSON.stringify(text)}`);
}
