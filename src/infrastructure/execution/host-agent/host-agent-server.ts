import { chmodSync, lstatSync, unlinkSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ExecutionRequest, ExecutionResult, Executor } from '../../../application/ports/executor.js';
import type { Logger } from '../../../application/ports/logger.js';
import type { HostAgentAudit, AuditRecord } from './host-agent-audit.js';
import type { HostAgentConfig } from './host-agent-config.js';
import { GateRefusal, HostAgentGate } from './host-agent-gate.js';
import { EXECUTE_PATH, executeBody, HEALTH_PATH, parseAgentUrl, WHICH_PATH, whichBody, type ExecuteBody, type ExecuteLine, type WhichAnswer, type WhichBody, type WireRefusal } from './host-agent-protocol.js';
import { resolveProgram } from '../program-path.js';
import { RequestAuthenticator } from './request-authenticator.js';

/** ±30 s: wide enough for ordinary clock drift, short enough that a captured request soon goes stale. */
export const CLOCK_WINDOW_MS = 30_000;
const PROGRESS_INTERVAL_MS = 200;

export interface HostAgentServerOptions {
  readonly config: HostAgentConfig;
  readonly secret: Uint8Array;
  /** The native backend: the agent adds its own gate in front, never its own way of running. */
  readonly executor: Executor;
  readonly audit: HostAgentAudit;
  readonly logger: Logger;
  readonly now?: () => number;
}

type Action = AuditRecord['action'];

/**
 * `tfo-mcp host-agent`'s HTTP service: every request authenticated (HMAC, timestamp, nonce), every
 * execute gated by the agent's own policy, every answer audited once. A run lives as long as its
 * request: when the caller closes the connection (cancel, or its own deadline), the run is killed.
 */
export class HostAgentServer {
  private readonly server: Server;
  private readonly auth: RequestAuthenticator;
  private readonly gate: HostAgentGate;
  private readonly runs = new Set<AbortController>();
  private socketPath: string | undefined;

  constructor(private readonly options: HostAgentServerOptions) {
    this.auth = new RequestAuthenticator(options.secret, { windowMs: CLOCK_WINDOW_MS, maxNonces: options.config.max_nonces, now: options.now });
    this.gate = new HostAgentGate(options.config);
    this.server = createServer((req, res) => void this.handle(req, res).catch((error: unknown) => this.crashed(res, error)));
    // Bodies are small and sent at once; a slow sender only holds a socket.
    this.server.requestTimeout = 60_000;
    this.server.headersTimeout = 10_000;
  }

  /** Binds the configured address; answers the URL a client should use (the real port when 0 was asked). */
  async listen(): Promise<string> {
    const address = parseAgentUrl(this.options.config.listen);
    if (address.kind === 'unix') {
      removeStaleSocket(address.path);
      // Created owner-only from the first instant: no window in which another user can connect.
      const previous = process.umask(0o177);
      try {
        await this.bind(() => this.server.listen(address.path));
      } finally {
        process.umask(previous);
      }
      chmodSync(address.path, 0o600);
      this.socketPath = address.path;
      return `unix://${address.path}`;
    }
    await this.bind(() => this.server.listen(address.port, address.host));
    const bound = this.server.address() as AddressInfo;
    return `http://${bound.family === 'IPv6' ? `[${bound.address}]` : bound.address}:${bound.port}`;
  }

  /** Kills running commands, then stops listening. */
  async close(): Promise<void> {
    for (const run of this.runs) run.abort();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    if (this.socketPath) removeStaleSocket(this.socketPath);
  }

  private bind(start: () => void): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.once('listening', () => {
        this.server.off('error', reject);
        resolve();
      });
      start();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = req.url ?? '/';
    const action: Action = path === EXECUTE_PATH ? 'execute' : path === WHICH_PATH ? 'which' : path === HEALTH_PATH ? 'health' : 'unknown';
    const remote = req.socket.remoteAddress ?? 'unix';
    const body = await readBody(req, this.options.config.max_request_bytes);
    if (body === undefined) return this.refuse(res, 413, { action, remote, reason: 'request_too_large' }, 'the request body is larger than host_agent.max_request_bytes');
    const refusal = this.auth.check(req.method ?? '', path, req.headers, body);
    if (refusal) {
      const status = refusal === 'nonce_store_full' ? 503 : 401;
      return this.refuse(res, status, { action, remote, reason: refusal }, 'the request is not authenticated');
    }
    if (action === 'unknown') return this.refuse(res, 404, { action, remote, reason: 'not_found' }, `no such endpoint: ${path}`);
    const expected = action === 'health' ? 'GET' : 'POST';
    if (req.method !== expected) return this.refuse(res, 405, { action, remote, reason: 'method_not_allowed' }, `${path} takes ${expected}`);
    if (action === 'health') return sendJson(res, 200, { status: 'up', backend: this.options.executor.backend, isolation: this.options.executor.isolation, running: this.runs.size });
    if (action === 'which') return this.which(body, remote, res);
    return this.execute(body, remote, res);
  }

  /** check_command_exists on this backend: resolved with the agent's PATH, after its own gate (nothing runs). */
  private async which(body: Buffer, remote: string, res: ServerResponse): Promise<void> {
    let request: WhichBody;
    try {
      request = whichBody.parse(JSON.parse(body.toString('utf8')));
    } catch {
      return this.refuse(res, 400, { action: 'which', remote, reason: 'invalid_request' }, 'the body is not a valid which request');
    }
    const record = { action: 'which' as const, remote, program: request.command, cwd: request.cwd };
    let answer: WhichAnswer;
    try {
      await this.gate.admit({ command: request.command, args: [], cwd: request.cwd, env: {}, timeoutMs: 1, maxOutputBytes: 1, shell: false });
      answer = lookUp(request.command, this.options.config.path, request.cwd);
    } catch (error) {
      if (!(error instanceof GateRefusal)) throw error;
      answer = { status: 'refused', rule: `host_agent.${error.rule}`, message: error.message };
    }
    this.options.audit.record({ ...record, outcome: answer.status === 'refused' ? 'refused' : 'accepted', ...(answer.status === 'refused' ? { reason: `policy.${answer.rule.slice('host_agent.'.length)}` } : {}) });
    sendJson(res, 200, answer);
  }

  private async execute(body: Buffer, remote: string, res: ServerResponse): Promise<void> {
    let request: ExecuteBody;
    try {
      request = executeBody.parse(JSON.parse(body.toString('utf8')));
    } catch {
      return this.refuse(res, 400, { action: 'execute', remote, reason: 'invalid_request' }, 'the body is not a valid execute request');
    }
    const seen: AuditRecord = { action: 'execute', outcome: 'refused', remote, program: request.command, argv: request.args, cwd: request.cwd, shell: request.shell, envNames: Object.keys(request.env ?? {}) };
    if (this.runs.size >= this.options.config.max_concurrent) {
      return this.refuse(res, 429, { ...seen, reason: 'busy' }, 'host_agent.max_concurrent runs are in progress');
    }
    let admitted;
    try {
      admitted = await this.gate.admit(request);
    } catch (error) {
      if (!(error instanceof GateRefusal)) throw error;
      return this.refuse(res, 403, { ...seen, reason: `policy.${error.rule}` }, error.message, error.rule);
    }
    await this.run(request, admitted.args, admitted.env, seen, res);
  }

  private async run(request: ExecuteBody, args: readonly string[], env: Readonly<Record<string, string>>, seen: AuditRecord, res: ServerResponse): Promise<void> {
    const { config, executor } = this.options;
    const abort = new AbortController();
    this.runs.add(abort);
    // The caller closing the connection (its cancel or its deadline) ends the run.
    res.on('close', () => {
      if (!res.writableFinished) abort.abort();
    });
    res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' });
    const bytes = { stdout: 0, stderr: 0 };
    let lastProgress = 0;
    let result: ExecutionResult | undefined;
    let spawnError: string | undefined;
    try {
      result = await executor.execute({
        command: request.command,
        args,
        cwd: request.cwd,
        env,
        stdin: request.stdin,
        shell: request.shell,
        timeoutMs: Math.min(request.timeoutMs, config.max_timeout_ms),
        maxOutputBytes: Math.min(request.maxOutputBytes, config.max_output_bytes),
        ...limitsFor(request, config),
        signal: abort.signal,
        onOutput: (stream, count) => {
          bytes[stream] += count;
          const now = Date.now();
          if (now - lastProgress < PROGRESS_INTERVAL_MS) return;
          lastProgress = now;
          writeLine(res, { output: { stream, bytes: bytes[stream] } });
        },
      });
    } catch (error) {
      spawnError = String((error as NodeJS.ErrnoException).code ?? 'EIO');
    } finally {
      this.runs.delete(abort);
    }
    this.options.audit.record({
      ...seen,
      outcome: 'accepted',
      argv: args,
      envNames: Object.keys(env),
      ...(spawnError ? { reason: `spawn_error.${spawnError}` } : {}),
      ...(result ? outcomeOf(result, bytes) : {}),
    });
    writeLine(res, spawnError ? { spawn_error: { code: spawnError } } : { result: result as ExecutionResult });
    res.end();
  }

  private refuse(res: ServerResponse, status: number, record: Omit<AuditRecord, 'outcome'>, message: string, rule?: string): void {
    this.options.audit.record({ ...record, outcome: 'refused' });
    const reason = record.reason ?? 'refused';
    const error: WireRefusal['error'] = rule ? { code: reason, message, rule } : { code: reason, message };
    sendJson(res, status, { error });
  }

  private crashed(res: ServerResponse, error: unknown): void {
    this.options.logger.error('host agent request failed', { error: error instanceof Error ? error.message : String(error) });
    if (!res.headersSent) sendJson(res, 500, { error: { code: 'internal', message: 'internal error; see the agent log' } });
    else res.destroy();
  }
}

function lookUp(command: string, path: string, cwd: string): WhichAnswer {
  try {
    return { status: 'found', path: resolveProgram(command, { PATH: path }, cwd) };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EACCES') return { status: 'not_executable' };
    if (code === 'ENOENT') return { status: 'missing' };
    throw error;
  }
}

/** The lower of the agent's ceiling and the request's limit, for each resource either names. */
function limitsFor(request: ExecuteBody, config: HostAgentConfig): Partial<Pick<ExecutionRequest, 'limits'>> {
  const lower = (own: number | undefined, asked: number | undefined): number | undefined =>
    own === undefined ? asked : asked === undefined ? own : Math.min(own, asked);
  const maxProcesses = lower(config.max_processes, request.limits?.maxProcesses);
  const maxMemoryBytes = lower(config.max_memory, request.limits?.maxMemoryBytes);
  if (maxProcesses === undefined && maxMemoryBytes === undefined) return {};
  return { limits: { ...(maxProcesses !== undefined ? { maxProcesses } : {}), ...(maxMemoryBytes !== undefined ? { maxMemoryBytes } : {}) } };
}

function outcomeOf(result: ExecutionResult, bytes: { stdout: number; stderr: number }): Partial<AuditRecord> {
  return {
    exitCode: result.exitCode,
    signal: result.signal,
    durationMs: result.durationMs,
    stdoutBytes: bytes.stdout,
    stderrBytes: bytes.stderr,
    truncated: result.stdoutTruncated || result.stderrTruncated,
    timedOut: result.timedOut,
    cancelled: result.cancelled,
  };
}

/** The whole body, or undefined once it passes `limit` (the rest is not read). */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume();
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    });
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', reject);
  });
}

function writeLine(res: ServerResponse, line: ExecuteLine): void {
  if (!res.writableEnded && !res.destroyed) res.write(`${JSON.stringify(line)}\n`);
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const text = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
}

/** A socket file left by an agent that died; anything else at that path is not ours to remove. */
function removeStaleSocket(path: string): void {
  let stat;
  try {
    stat = lstatSync(path);
  } catch {
    return;
  }
  if (!stat.isSocket()) throw new Error(`host_agent.listen: ${path} exists and is not a socket`);
  unlinkSync(path);
}
