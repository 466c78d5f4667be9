import { request as httpRequest, type IncomingMessage } from 'node:http';
import { performance } from 'node:perf_hooks';
import { ToolFailure } from '../../../application/application.errors.js';
import type { ExecutionIsolation, ExecutionRequest, ExecutionResult, Executor, ExecutorHealth, LookupContext, ProgramLookup } from '../../../application/ports/executor.js';
import type { Logger } from '../../../application/ports/logger.js';
import { DomainError } from '../../../domain/shared/domain-error.js';
import { EXECUTE_PATH, HEALTH_PATH, parseAgentUrl, signedHeaders, WHICH_PATH, whichAnswer, wireResult, type AgentAddress, type ExecuteBody, type WhichBody, type WireResult } from './host-agent-protocol.js';
import { readSecret } from './secret-file.js';
import { cancelledRun } from '../execution-results.js';

export interface HostAgentExecutorOptions {
  /** `http://127.0.0.1:PORT` or `unix:///path.sock`. */
  readonly url: string;
  readonly secretFile: string;
  /** How long after the run's own timeout the answer may take before the connection is cut. */
  readonly graceMs?: number;
}

/**
 * The `host_agent` backend: each run is a signed request to `tfo-mcp host-agent`, which applies its
 * own policy and runs the program natively on its host. Cancellation and our own deadline close the
 * connection, which the agent takes as "kill the run". The agent's refusals come back as policy
 * denials naming its rule (`host_agent.<rule>`); an agent that cannot be reached or refuses our
 * signature is an operator problem, reported without the agent's words.
 */
export class HostAgentExecutor implements Executor {
  readonly backend = 'host_agent';
  readonly isolation: ExecutionIsolation = {
    contained: true,
    description: 'runs on the host through tfo-mcp host-agent, under the agent\'s own policy and process isolation',
  };
  private readonly address: AgentAddress;
  private readonly secret: Buffer;
  private readonly graceMs: number;
  private readonly open = new Set<{ destroy(): void }>();

  constructor(private readonly options: HostAgentExecutorOptions, private readonly logger: Logger) {
    this.address = parseAgentUrl(options.url);
    this.secret = readSecret(options.secretFile, 'execution.host_agent.secret_file');
    this.graceMs = options.graceMs ?? 5000;
  }

  async execute(request: ExecutionRequest): Promise<ExecutionResult> {
    if (request.signal?.aborted) return cancelledRun(0);
    const body: ExecuteBody = {
      command: request.command,
      args: [...request.args],
      cwd: request.cwd,
      env: { ...(request.env ?? {}) },
      ...(request.stdin !== undefined ? { stdin: request.stdin } : {}),
      timeoutMs: request.timeoutMs,
      maxOutputBytes: request.maxOutputBytes,
      shell: request.shell ?? false,
      ...(limitsOf(request) ?? {}),
    };
    const started = performance.now();
    const response = await this.send('POST', EXECUTE_PATH, Buffer.from(JSON.stringify(body)), request.signal, request.timeoutMs + this.graceMs);
    if (response.kind === 'cancelled') return cancelledRun(performance.now() - started);
    if (response.kind === 'deadline') return { ...cancelledRun(performance.now() - started), cancelled: false, timedOut: true, signal: 'SIGKILL' };
    if (response.status !== 200) throw this.refusal(response.status, await readAll(response.message), request.command);
    try {
      return await this.readResult(response, request);
    } catch (error) {
      // Our cancel or deadline cut the stream: report that, not the broken connection it caused.
      const cut = response.cut();
      if (cut === 'cancelled') return cancelledRun(performance.now() - started);
      if (cut === 'deadline') return { ...cancelledRun(performance.now() - started), cancelled: false, timedOut: true, signal: 'SIGKILL' };
      throw error;
    }
  }

  async health(signal?: AbortSignal): Promise<ExecutorHealth> {
    const details: Record<string, unknown> = { url: this.options.url };
    try {
      const response = await this.send('GET', HEALTH_PATH, Buffer.alloc(0), signal, 5000);
      if (response.kind !== 'answer') return { backend: this.backend, status: 'down', details: { ...details, problem: 'no answer' } };
      const text = await readAll(response.message);
      if (response.status !== 200) return { backend: this.backend, status: 'down', details: { ...details, problem: `agent answered ${response.status}` } };
      return { backend: this.backend, status: 'up', details: { ...details, agent: JSON.parse(text) as unknown } };
    } catch (error) {
      return { backend: this.backend, status: 'down', details: { ...details, problem: (error as NodeJS.ErrnoException).code ?? 'unreachable' } };
    }
  }

  /** Asks the agent (signed like every request): its PATH and its policy decide, nothing runs. */
  async which(command: string, where: LookupContext): Promise<ProgramLookup> {
    const body = Buffer.from(JSON.stringify({ command, cwd: where.cwd } satisfies WhichBody));
    const response = await this.send('POST', WHICH_PATH, body, where.signal, 5000);
    if (response.kind !== 'answer') return { status: 'unknown', reason: response.kind === 'cancelled' ? 'cancelled' : 'the host agent did not answer within 5 s' };
    const text = await readAll(response.message);
    if (response.status !== 200) return { status: 'unknown', reason: `the host agent answered ${response.status}` };
    const answer = whichAnswer.safeParse(JSON.parse(text));
    if (!answer.success) return { status: 'unknown', reason: 'the host agent sent an answer this server does not understand' };
    if (answer.data.status === 'refused') return { status: 'unknown', reason: `the host agent's own policy refuses it (${answer.data.rule}): ${answer.data.message}` };
    return answer.data;
  }

  async shutdown(): Promise<void> {
    // Closing each connection tells the agent to kill that run.
    for (const request of this.open) request.destroy();
    this.open.clear();
  }

  private send(method: string, path: string, body: Buffer, signal: AbortSignal | undefined, deadlineMs: number): Promise<Answer> {
    const target = this.address.kind === 'unix' ? { socketPath: this.address.path } : { host: this.address.host, port: this.address.port };
    return new Promise((resolve, reject) => {
      const req = httpRequest({
        ...target,
        method,
        path,
        agent: false,
        headers: { ...signedHeaders(method, path, body, this.secret), 'content-type': 'application/json', 'content-length': body.length },
      });
      this.open.add(req);
      let settled: Answer['kind'] | undefined;
      let cut: Cut | undefined;
      const end = (kind: Cut) => {
        settled ??= kind;
        cut ??= kind;
        req.destroy();
        resolve(kind === 'cancelled' ? { kind: 'cancelled' } : { kind: 'deadline' });
      };
      const onAbort = () => end('cancelled');
      const timer = setTimeout(() => end('deadline'), deadlineMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      const cleanup = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.open.delete(req);
      };
      req.once('response', (message) => {
        settled ??= 'answer';
        message.once('close', cleanup);
        // Cancelling mid-stream must still close the connection: keep the listeners until the body ends.
        resolve({ kind: 'answer', status: message.statusCode ?? 0, message, cut: () => cut });
      });
      req.once('error', (error) => {
        cleanup();
        if (settled === undefined) reject(unavailable(this.options.url, error));
      });
      req.end(body);
    });
  }

  private async readResult(response: Extract<Answer, { kind: 'answer' }>, request: ExecutionRequest): Promise<ExecutionResult> {
    let final: WireResult | undefined;
    let spawnCode: string | undefined;
    let buffered = '';
    const { message } = response;
    const closed = new Promise<void>((resolve) => message.once('close', resolve));
    message.setEncoding('utf8');
    for await (const chunk of message as AsyncIterable<string>) {
      buffered += chunk;
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = JSON.parse(buffered.slice(0, newline)) as Record<string, unknown>;
        buffered = buffered.slice(newline + 1);
        if (line['output'] && request.onOutput) progress(request, line['output'] as { stream: 'stdout' | 'stderr'; bytes: number });
        if (line['result']) final = wireResult.parse(line['result']);
        if (line['spawn_error']) spawnCode = String((line['spawn_error'] as { code: unknown }).code);
      }
    }
    await closed;
    // A complete answer stands even if our cancel raced it; a cut one is reported as the cut.
    if (final) return final;
    if (response.cut() !== undefined) throw new Error('cut');
    if (spawnCode) throw Object.assign(new Error(`spawn ${request.command} ${spawnCode}`), { code: spawnCode });
    // The stream ended without a result: the agent died or was stopped mid-run.
    throw unavailable(this.options.url, new Error('the agent closed the answer without a result'));
  }

  private refusal(status: number, text: string, command: string): Error {
    let error: { code?: string; message?: string; rule?: string } = {};
    try {
      error = (JSON.parse(text) as { error?: typeof error }).error ?? {};
    } catch {
      // not ours to read
    }
    if (status === 403 && error.rule) {
      return new DomainError('policy.command_denied', `the host agent refused the command: ${error.message ?? error.rule}`, { command, rule: `host_agent.${error.rule}` });
    }
    // 401 means the secrets differ or the clocks drift: the operator's to fix, not the model's.
    this.logger.error('host agent refused the request', { status, code: error.code, url: this.options.url });
    return new ToolFailure({
      error: 'host agent refused the request',
      reason: status === 429 ? 'the host agent is running as many commands as it allows' : `the host agent answered ${status} (${error.code ?? 'unknown'})`,
      suggested_actions: status === 429 ? ['retry shortly'] : ['ask the operator to check the host agent (secret, clock, version)'],
      retryable: status === 429 || status === 503,
      context: { command, status, code: error.code ?? 'unknown' },
    });
  }
}

type Cut = 'cancelled' | 'deadline';
type Answer = { readonly kind: 'answer'; readonly status: number; readonly message: IncomingMessage; readonly cut: () => Cut | undefined } | { readonly kind: 'cancelled' } | { readonly kind: 'deadline' };

function progress(request: ExecutionRequest, output: { stream: 'stdout' | 'stderr'; bytes: number }): void {
  try {
    request.onOutput?.(output.stream, output.bytes);
  } catch {
    // Progress is best effort.
  }
}

function readAll(message: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    message.setEncoding('utf8');
    message.on('data', (chunk: string) => {
      if (text.length < 65_536) text += chunk;
    });
    message.once('end', () => resolve(text));
    message.once('error', reject);
  });
}

function unavailable(url: string, cause: unknown): ToolFailure {
  return new ToolFailure(
    {
      error: 'host agent unavailable',
      reason: 'the host agent that runs commands for this server could not be reached or stopped answering',
      suggested_actions: ['retry shortly', 'ask the operator to check that tfo-mcp host-agent is running'],
      retryable: true,
      context: { url },
    },
    { cause },
  );
}

/** The limits the agent can enforce (memory and processes; max_cpu has no native enforcement), when any is set. */
function limitsOf(request: ExecutionRequest): Pick<ExecuteBody, 'limits'> | undefined {
  const { maxMemoryBytes, maxProcesses } = request.limits ?? {};
  const whole = (value: number | undefined): number | undefined => (value !== undefined && Number.isFinite(value) && value >= 1 ? Math.floor(value) : undefined);
  const limits = { ...(whole(maxMemoryBytes) ? { maxMemoryBytes: whole(maxMemoryBytes) } : {}), ...(whole(maxProcesses) ? { maxProcesses: whole(maxProcesses) } : {}) };
  return Object.keys(limits).length > 0 ? { limits } : undefined;
}
