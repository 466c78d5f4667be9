import type { ChildProcess } from 'node:child_process';
import { constants as os } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { ExecutionRequest, ExecutionResult } from '../../application/ports/executor.js';
import { CappedOutput } from './capped-output.js';
import { killMarkedProcesses } from './marked-process-sweep.js';

export interface NativeRunOptions {
  readonly killGraceMs: number;
  readonly pipeGraceMs: number;
  /** The child is a PID-namespace wrapper whose init reports a death by signal as exit 128+n. */
  readonly contained: boolean;
  /** The value of the sweep marker in the child's environment, when there is no namespace. */
  readonly marker?: string;
}

type Exit = { readonly code: number | null; readonly signal: NodeJS.Signals | null };

/**
 * One spawned run, from its first byte to its answer. The answer comes on 'close' (all output
 * read) or, once the run has exited or been SIGKILLed, `pipeGraceMs` later at the latest: processes
 * that escaped the run may hold the pipes open for ever.
 */
export class NativeRun {
  readonly result: Promise<ExecutionResult>;
  private readonly started = performance.now();
  private readonly stdout: CappedOutput;
  private readonly stderr: CappedOutput;
  private readonly timers: { deadline?: NodeJS.Timeout; escalation?: NodeJS.Timeout; pipes?: NodeJS.Timeout } = {};
  private timedOut = false;
  private cancelled = false;
  private sent: NodeJS.Signals | undefined;
  private exit: Exit | undefined;
  private settled = false;
  private answer: (result: ExecutionResult) => void = () => undefined;

  constructor(
    private readonly child: ChildProcess,
    private readonly request: ExecutionRequest,
    private readonly options: NativeRunOptions,
  ) {
    this.stdout = new CappedOutput(request.maxOutputBytes);
    this.stderr = new CappedOutput(request.maxOutputBytes);
    this.result = new Promise((resolve) => {
      this.answer = resolve;
    });
    this.timers.deadline = setTimeout(() => {
      this.timedOut = true;
      this.stop();
    }, request.timeoutMs);
    request.signal?.addEventListener('abort', this.onAbort, { once: true });
    this.wire();
  }

  /** Shutdown: stop at once, reported as cancelled. */
  cancelNow(): void {
    this.cancelled = true;
    this.kill('SIGKILL');
  }

  /** The spawn failed: nothing ran, nothing to answer. */
  abandon(): void {
    this.settled = true;
    this.clear();
  }

  private readonly onAbort = (): void => {
    this.cancelled = true;
    this.stop();
  };

  private wire(): void {
    const { child, request } = this;
    child.stdout?.on('data', (chunk: Buffer) => this.output(this.stdout, 'stdout', chunk));
    child.stderr?.on('data', (chunk: Buffer) => this.output(this.stderr, 'stderr', chunk));
    // The child may exit without reading its stdin; the resulting EPIPE says nothing about the run.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(request.stdin ?? '');
    child.once('exit', (code, signal) => {
      this.exit = { code, signal };
      // Background jobs the program left behind would hold our pipes open and outlive the run.
      this.kill('SIGKILL');
    });
    child.once('close', (code, signal) => {
      if (child.pid === undefined) return;
      this.exit ??= { code, signal };
      this.settle(true);
    });
  }

  private stop(): void {
    this.kill('SIGTERM');
    this.timers.escalation ??= setTimeout(() => this.kill('SIGKILL'), this.options.killGraceMs);
  }

  private kill(signal: NodeJS.Signals): void {
    if (!this.exit) this.sent = signal;
    killGroup(this.child, signal);
    if (this.options.marker) killMarkedProcesses(this.options.marker, signal);
    if (signal === 'SIGKILL') this.timers.pipes ??= setTimeout(() => this.settle(false), this.options.pipeGraceMs);
  }

  private output(into: CappedOutput, stream: 'stdout' | 'stderr', chunk: Buffer): void {
    into.push(chunk);
    if (!this.request.onOutput) return;
    try {
      this.request.onOutput(stream, chunk.length);
    } catch {
      // Progress is best effort: a failing listener must not crash the stream or lose the result.
    }
  }

  private settle(pipesClosed: boolean): void {
    if (this.settled) return;
    this.settled = true;
    this.clear();
    if (!pipesClosed) {
      // Escaped processes still hold the write ends; stop reading so they cannot keep us here.
      this.child.stdout?.destroy();
      this.child.stderr?.destroy();
    }
    this.answer({
      ...reported(this.exit, this.sent, this.options.contained),
      stdout: this.stdout.text(),
      stderr: this.stderr.text(),
      stdoutTruncated: this.stdout.truncated,
      stderrTruncated: this.stderr.truncated,
      timedOut: this.timedOut,
      cancelled: this.cancelled && !this.timedOut,
      durationMs: Math.round(performance.now() - this.started),
    });
  }

  private clear(): void {
    clearTimeout(this.timers.deadline);
    clearTimeout(this.timers.escalation);
    clearTimeout(this.timers.pipes);
    this.request.signal?.removeEventListener('abort', this.onAbort);
  }
}

/**
 * In a namespace, the program's parent is the namespace's init, which reports a death by signal
 * as exit 128+n (PID 1 cannot re-raise it on itself). When that is the signal we sent, say so.
 */
function reported(exit: Exit | undefined, sent: NodeJS.Signals | undefined, contained: boolean): { exitCode: number | null; signal: string | null } {
  if (!exit) return { exitCode: null, signal: sent ?? 'SIGKILL' };
  if (contained && sent && exit.signal === null && exit.code === 128 + os.signals[sent]) return { exitCode: null, signal: sent };
  return { exitCode: exit.code, signal: exit.signal };
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // ESRCH: the group is already gone. EPERM: the id now names someone else's group. Either way
    // nothing of ours is left to signal, and a throw here would escape from a timer callback.
  }
}
