import { performance } from 'node:perf_hooks';
import type { ClientChannel } from 'ssh2';
import type { ExecutionRequest, ExecutionResult } from '../../../application/ports/executor.js';
import { CappedOutput } from '../capped-output.js';
import { SshExecutorError } from './ssh-errors.js';

export interface SshRunOptions {
  /** Kills the run's remote processes (the marker sweep through a second exec). */
  readonly sweep: () => void;
  /** How long after an exit or a kill the answer waits for the channel to close. */
  readonly pipeGraceMs: number;
  /** `user@host:port`, for the connection-lost error. */
  readonly hostName: string;
}

type Exit = { readonly code: number | null; readonly signal: string | null };

/**
 * One remote run on its exec channel, from the first byte to the answer. On timeout or cancellation
 * the session's process is sent SIGKILL through the channel (which reaches only the group leader) and
 * the sweep kills the rest of the run on the host. After the program exits the sweep runs too: like the
 * native backend, nothing the program left in the background outlives its run.
 */
export class SshRun {
  readonly result: Promise<ExecutionResult>;
  private readonly started = performance.now();
  private readonly stdout: CappedOutput;
  private readonly stderr: CappedOutput;
  private readonly timers: { deadline?: NodeJS.Timeout; pipes?: NodeJS.Timeout } = {};
  private timedOut = false;
  private cancelled = false;
  private killed = false;
  private swept = false;
  private exit: Exit | undefined;
  private settled = false;
  private answer: (result: ExecutionResult) => void = () => undefined;
  private fail: (error: Error) => void = () => undefined;

  constructor(
    private readonly channel: ClientChannel,
    private readonly request: ExecutionRequest,
    private readonly options: SshRunOptions,
  ) {
    this.stdout = new CappedOutput(request.maxOutputBytes);
    this.stderr = new CappedOutput(request.maxOutputBytes);
    this.result = new Promise((resolve, reject) => {
      this.answer = resolve;
      this.fail = reject;
    });
    this.timers.deadline = setTimeout(() => {
      this.timedOut = true;
      this.kill();
    }, request.timeoutMs);
    request.signal?.addEventListener('abort', this.onAbort, { once: true });
    this.wire();
  }

  /** Shutdown: kill at once, reported as cancelled. */
  cancelNow(): void {
    this.cancelled = true;
    this.kill();
  }

  private readonly onAbort = (): void => {
    this.cancelled = true;
    this.kill();
  };

  private wire(): void {
    const { channel } = this;
    channel.on('data', (chunk: Buffer) => this.output(this.stdout, 'stdout', chunk));
    channel.stderr.on('data', (chunk: Buffer) => this.output(this.stderr, 'stderr', chunk));
    channel.on('error', () => undefined);
    channel.once('exit', (code: number | null, signal?: string) => this.exited(code, signal));
    // A fast program's exit-status can arrive in the same read as the channel's opening, before these
    // listeners exist; ssh2 repeats it as the arguments of 'close'.
    channel.once('close', (code?: number | null, signal?: string) => {
      if (code !== undefined || signal !== undefined) this.exited(code ?? null, signal);
      this.settle();
    });
    channel.end(this.request.stdin ?? '');
  }

  private exited(code: number | null, signal: string | undefined): void {
    if (this.exit) return;
    this.exit = { code: signal ? null : code, signal: signal ? (signal.startsWith('SIG') ? signal : `SIG${signal}`) : null };
    this.sweepOnce();
    this.timers.pipes ??= setTimeout(() => this.settle(), this.options.pipeGraceMs);
  }

  private kill(): void {
    if (this.exit || this.settled) return;
    this.killed = true;
    try {
      // Reaches only the session's process (the group leader, `timeout`); the sweep takes the rest.
      this.channel.signal('KILL');
    } catch {
      // The channel is already closing; the sweep below still reaches the host.
    }
    this.sweepOnce();
    this.timers.pipes ??= setTimeout(() => this.settle(), this.options.pipeGraceMs);
  }

  private sweepOnce(): void {
    if (this.swept) return;
    this.swept = true;
    this.options.sweep();
  }

  private output(into: CappedOutput, stream: 'stdout' | 'stderr', chunk: Buffer): void {
    into.push(chunk);
    if (!this.request.onOutput) return;
    try {
      this.request.onOutput(stream, chunk.length);
    } catch {
      // Progress is best effort: a failing listener must not lose the result.
    }
  }

  private settle(): void {
    if (this.settled) return;
    this.settled = true;
    clearTimeout(this.timers.deadline);
    clearTimeout(this.timers.pipes);
    this.request.signal?.removeEventListener('abort', this.onAbort);
    // Whatever still holds the channel open (an escaped process) must not keep us reading.
    this.channel.removeAllListeners('data');
    this.channel.stderr.removeAllListeners('data');
    this.channel.close();
    if (!this.exit && !this.killed) {
      this.fail(new SshExecutorError('ssh.connection_lost', `the connection to ${this.options.hostName} closed while the program ran; its outcome is unknown`));
      return;
    }
    this.answer({
      exitCode: this.exit ? this.exit.code : null,
      signal: this.exit ? this.exit.signal : 'SIGKILL',
      stdout: this.stdout.text(),
      stderr: this.stderr.text(),
      stdoutTruncated: this.stdout.truncated,
      stderrTruncated: this.stderr.truncated,
      timedOut: this.timedOut,
      cancelled: this.cancelled && !this.timedOut,
      durationMs: Math.round(performance.now() - this.started),
    });
  }
}

