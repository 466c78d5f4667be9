import { spawn, type ChildProcess } from 'node:child_process';
import { builtServerPath, serverEnv } from './server-path.js';

export type JsonRpcId = string | number | null;

/** One stdout line that parsed as JSON (anything else is kept in `badLines`). */
export interface JsonRpcMessage {
  jsonrpc?: unknown;
  id?: JsonRpcId;
  method?: string;
  params?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: { code: number; message: string; data?: unknown };
}

export interface ExitInfo {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface RawServerOptions {
  readonly cwd: string;
  /** Default timeout of the wait helpers. */
  readonly timeoutMs?: number;
}

/** Map key that keeps 1 and "1" apart. */
const keyOf = (id: JsonRpcId | undefined): string => JSON.stringify(id ?? null);

/**
 * Drives `node dist/main.js` over raw stdio: writes arbitrary bytes to stdin and records every
 * stdout line and all of stderr, so tests can see exactly what the server puts on the wire.
 */
export class RawServer {
  /** Every complete stdout line, in order, exactly as received (without the "\n"). */
  readonly lines: string[] = [];
  /** The stdout lines that parsed as JSON, in order. */
  readonly messages: JsonRpcMessage[] = [];
  /** The stdout lines that did not parse as JSON. */
  readonly badLines: string[] = [];
  stderr = '';
  readonly exited: Promise<ExitInfo>;
  exitInfo: ExitInfo | undefined;

  private readonly byId = new Map<string, JsonRpcMessage[]>();
  private partial = '';
  private cursor = 0;
  private waiters: (() => void)[] = [];
  private nextId = 1;
  private readonly timeoutMs: number;

  private constructor(readonly child: ChildProcess, options: RawServerOptions) {
    this.timeoutMs = options.timeoutMs ?? 10_000;
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => this.onStdout(chunk));
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      this.stderr += chunk;
      this.wake();
    });
    // A server that already exited makes writes fail with EPIPE; the test sees that through `exited`.
    child.stdin!.on('error', () => undefined);
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        this.wake();
        resolve(this.exitInfo);
      });
    });
  }

  /** Spawns the built server with exactly `env` (plus PATH/HOME), never the test runner's environment. */
  static async start(env: Record<string, string>, options: RawServerOptions): Promise<RawServer> {
    const child = spawn(process.execPath, [builtServerPath()], {
      cwd: options.cwd,
      env: serverEnv(env),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
    return new RawServer(child, options);
  }

  get pid(): number {
    return this.child.pid!;
  }

  get alive(): boolean {
    return this.exitInfo === undefined;
  }

  /** Writes `data` to stdin as is (no newline added). */
  write(data: string | Buffer): void {
    this.child.stdin!.write(data);
  }

  /** Writes one line (a "\n" is appended). */
  sendRaw(line: string): void {
    this.write(`${line}\n`);
  }

  /** Sends a message object as one line; no reply is awaited. */
  send(message: Record<string, unknown>): void {
    this.sendRaw(JSON.stringify(message));
  }

  /** Sends a request (an id is assigned when it has none) and waits for the response with its id. */
  async request(message: Record<string, unknown>, timeoutMs = this.timeoutMs): Promise<JsonRpcMessage> {
    const frame = { jsonrpc: '2.0', ...message, ...('id' in message ? {} : { id: `raw-${this.nextId++}` }) };
    this.send(frame);
    return this.waitForResponse(frame.id as JsonRpcId, timeoutMs);
  }

  /** initialize + notifications/initialized; returns the initialize result. */
  async initialize(protocolVersion = '2025-06-18'): Promise<JsonRpcMessage> {
    const response = await this.request({
      method: 'initialize',
      params: { protocolVersion, capabilities: {}, clientInfo: { name: 'raw-e2e', version: '1.0.0' } },
    });
    this.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    return response;
  }

  /** All responses received so far that carry `id` (a response should come at most once). */
  responsesFor(id: JsonRpcId): JsonRpcMessage[] {
    return this.byId.get(keyOf(id)) ?? [];
  }

  /** The first response carrying `id` (for id null: the first id-null response). */
  async waitForResponse(id: JsonRpcId, timeoutMs = this.timeoutMs): Promise<JsonRpcMessage> {
    await this.waitUntil(() => this.responsesFor(id).length > 0, timeoutMs, `a response with id ${keyOf(id)}`);
    return this.responsesFor(id)[0];
  }

  /** The next `n` stdout lines not returned by an earlier nextLines call. */
  async nextLines(n: number, timeoutMs = this.timeoutMs): Promise<string[]> {
    await this.waitUntil(() => this.lines.length - this.cursor >= n, timeoutMs, `${n} more stdout line(s)`);
    const taken = this.lines.slice(this.cursor, this.cursor + n);
    this.cursor += n;
    return taken;
  }

  /** Resolves once `predicate` holds; rejects after `timeoutMs` or when the server exits first. */
  waitUntil(predicate: () => boolean, timeoutMs = this.timeoutMs, what = 'the condition'): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        if (predicate()) {
          finish();
          resolve();
          return true;
        }
        if (!this.alive) {
          finish();
          reject(new Error(`server exited (${JSON.stringify(this.exitInfo)}) while waiting for ${what}; stderr tail:\n${this.stderr.slice(-2000)}`));
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; stdout lines: ${this.lines.length}`));
      }, timeoutMs);
      const waiter = (): void => void check();
      const finish = (): void => {
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== waiter);
      };
      if (!check()) this.waiters.push(waiter);
    });
  }

  /** Waits for the process to exit; rejects if it is still running after `timeoutMs`. */
  async waitForExit(timeoutMs = this.timeoutMs): Promise<ExitInfo> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`server still running ${timeoutMs} ms later`)), timeoutMs);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Closes stdin (EOF). */
  endInput(): void {
    this.child.stdin!.end();
  }

  /** Stops the server this instance started: EOF, then SIGTERM, then SIGKILL. Safe to call twice. */
  async stop(): Promise<ExitInfo> {
    if (!this.alive) return this.exitInfo!;
    this.endInput();
    for (const signal of [undefined, 'SIGTERM', 'SIGKILL'] as const) {
      if (signal && this.alive) this.child.kill(signal);
      const exited = await within(this.exited, 3000);
      if (exited) return exited;
    }
    return this.exited;
  }

  private onStdout(chunk: string): void {
    const text = this.partial + chunk;
    const parts = text.split('\n');
    this.partial = parts.pop() ?? '';
    for (const line of parts) this.take(line);
    this.wake();
  }

  private take(line: string): void {
    this.lines.push(line);
    let message: JsonRpcMessage;
    try {
      message = JSON.parse(line) as JsonRpcMessage;
    } catch {
      this.badLines.push(line);
      return;
    }
    this.messages.push(message);
    if (message !== null && typeof message === 'object' && 'id' in message && ('result' in message || 'error' in message)) {
      const key = keyOf(message.id);
      const list = this.byId.get(key) ?? [];
      list.push(message);
      this.byId.set(key, list);
    }
  }

  /** Bytes after the last "\n" (a line the server never finished). */
  get unterminated(): string {
    return this.partial;
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** `promise`'s value, or undefined if it takes longer than `ms`; the timer never outlives the race. */
export async function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Problems with stdout as a whole: every line must be a JSON object with jsonrpc "2.0", and
 * nothing may be left unterminated. Returns the offending lines (empty when clean).
 */
export function stdoutProblems(lines: readonly string[], unterminated = ''): string[] {
  const problems: string[] = [];
  for (const line of lines) {
    try {
      const value = JSON.parse(line) as { jsonrpc?: unknown } | null;
      if (value === null || typeof value !== 'object' || Array.isArray(value) || value.jsonrpc !== '2.0') problems.push(line.slice(0, 300));
    } catch {
      problems.push(line.slice(0, 300));
    }
  }
  if (unterminated.length > 0) problems.push(`(unterminated) ${unterminated.slice(0, 300)}`);
  return problems;
}
