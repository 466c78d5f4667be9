import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { constants as os } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { ExecutionRequest, ExecutionResult, Executor } from '../../application/ports/executor.js';
import { CappedOutput } from './capped-output.js';
import { EXECUTION_MARKER, killMarkedProcesses } from './marked-process-sweep.js';
import { chooseIsolation, type ProcessIsolation } from './process-isolation.js';
import { resolveProgram } from './program-path.js';

export interface NativeExecutorOptions {
  /** Time between SIGTERM and SIGKILL when a run times out or is cancelled. */
  readonly killGraceMs?: number;
  /** How long shutdown() waits for killed runs to exit. */
  readonly shutdownWaitMs?: number;
  /**
   * How long a run that exited or was killed waits for its output pipes to close before it answers
   * anyway: a process that escaped the run may hold them open for ever.
   */
  readonly pipeGraceMs?: number;
  /** Defaults to the strongest isolation this machine offers (`chooseIsolation('auto')`). */
  readonly isolation?: ProcessIsolation;
}

interface Running {
  readonly kill: (signal: NodeJS.Signals) => void;
  readonly markCancelled: () => void;
  readonly done: Promise<void>;
}

/**
 * Runs programs as child processes of this server, each wrapped by its `ProcessIsolation`: in a
 * PID namespace of its own where available (the program cannot see the server, and the whole tree
 * dies with the run), otherwise as a process group plus a sweep of marked processes. Timeouts,
 * cancellation and shutdown signal the whole group; the answer comes at the deadline whatever the
 * pipes do. The child's environment is exactly `request.env` (plus the sweep marker when there is
 * no namespace): nothing is inherited.
 *
 * A program that cannot be started (ENOENT, EACCES…) rejects with the errno error, so callers can
 * tell "not found" from "ran and failed". Everything after a successful spawn resolves.
 */
export class NativeExecutor implements Executor {
  readonly backend = 'native';
  readonly isolation: ProcessIsolation;
  private readonly running = new Set<Running>();
  private readonly killGraceMs: number;
  private readonly shutdownWaitMs: number;
  private readonly pipeGraceMs: number;
  private stopped = false;

  constructor(options: NativeExecutorOptions = {}) {
    this.killGraceMs = options.killGraceMs ?? 1000;
    this.shutdownWaitMs = options.shutdownWaitMs ?? 3000;
    this.pipeGraceMs = options.pipeGraceMs ?? 500;
    this.isolation = options.isolation ?? chooseIsolation('auto');
  }

  execute(request: ExecutionRequest): Promise<ExecutionResult> {
    if (this.stopped || request.signal?.aborted) return Promise.resolve(notStarted());
    return new Promise((resolve, reject) => this.run(request, resolve, reject));
  }

  async shutdown(): Promise<void> {
    this.stopped = true;
    const all = [...this.running];
    for (const entry of all) {
      entry.markCancelled();
      entry.kill('SIGKILL');
    }
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.shutdownWaitMs);
    });
    await Promise.race([Promise.all(all.map((entry) => entry.done)), deadline]);
    clearTimeout(timer);
  }

  private run(request: ExecutionRequest, resolve: (result: ExecutionResult) => void, reject: (error: Error) => void): void {
    const started = performance.now();
    const marker = this.isolation.contained ? undefined : randomUUID();
    let child: ChildProcess;
    try {
      child = this.spawn(request, marker);
    } catch (error) {
      reject(error as Error);
      return;
    }
    const stdout = new CappedOutput(request.maxOutputBytes);
    const stderr = new CappedOutput(request.maxOutputBytes);
    let timedOut = false;
    let cancelled = false;
    let sent: NodeJS.Signals | undefined;
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    let escalation: NodeJS.Timeout | undefined;
    let pipeDeadline: NodeJS.Timeout | undefined;
    let settled = false;
    let finishDone: () => void = () => undefined;
    const done = new Promise<void>((resolveDone) => {
      finishDone = resolveDone;
    });

    const settle = (pipesClosed: boolean): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timeout);
      clearTimeout(escalation);
      clearTimeout(pipeDeadline);
      request.signal?.removeEventListener('abort', onAbort);
      this.running.delete(entry);
      if (!pipesClosed) {
        // Escaped processes still hold the write ends; stop reading so they cannot keep us here.
        child.stdout?.destroy();
        child.stderr?.destroy();
      }
      finishDone();
      const status = reported(exit, sent, this.isolation.contained);
      resolve({
        ...status,
        stdout: stdout.text(),
        stderr: stderr.text(),
        stdoutTruncated: stdout.truncated,
        stderrTruncated: stderr.truncated,
        timedOut,
        cancelled: cancelled && !timedOut,
        durationMs: Math.round(performance.now() - started),
      });
    };
    const answerSoon = (): void => {
      pipeDeadline ??= setTimeout(() => settle(false), this.pipeGraceMs);
    };
    const kill = (signal: NodeJS.Signals): void => {
      if (!exit) sent = signal;
      killGroup(child, signal);
      if (marker) killMarkedProcesses(marker, signal);
      if (signal === 'SIGKILL') answerSoon();
    };
    const stop = (): void => {
      kill('SIGTERM');
      escalation ??= setTimeout(() => kill('SIGKILL'), this.killGraceMs);
    };
    const entry: Running = { kill, markCancelled: () => (cancelled = true), done };
    const timeout = setTimeout(() => {
      timedOut = true;
      stop();
    }, request.timeoutMs);
    const onAbort = (): void => {
      cancelled = true;
      stop();
    };
    request.signal?.addEventListener('abort', onAbort, { once: true });
    this.running.add(entry);

    child.stdout?.on('data', (chunk: Buffer) => {
      stdout.push(chunk);
      report(request, 'stdout', chunk.length);
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr.push(chunk);
      report(request, 'stderr', chunk.length);
    });
    // The child may exit without reading its stdin; the resulting EPIPE says nothing about the run.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(request.stdin ?? '');

    child.once('exit', (code, signal) => {
      exit = { code, signal };
      // Background jobs the program left behind would hold our pipes open and outlive the run.
      kill('SIGKILL');
    });
    child.once('error', (error) => {
      if (child.pid !== undefined) return;
      settled = true;
      clearTimeout(timeout);
      request.signal?.removeEventListener('abort', onAbort);
      this.running.delete(entry);
      finishDone();
      reject(error);
    });
    child.once('close', (code, signal) => {
      if (child.pid === undefined) return;
      exit ??= { code, signal };
      settle(true);
    });
  }

  private spawn(request: ExecutionRequest, marker: string | undefined): ChildProcess {
    const env: Record<string, string> = { ...(request.env ?? {}), ...(marker ? { [EXECUTION_MARKER]: marker } : {}) };
    const [program, argv] = request.shell
      ? ['/bin/sh', ['-c', request.command, 'sh', ...request.args]]
      : [request.command, [...request.args]];
    const { file, args } = this.isolation.contained
      ? this.isolation.wrap(resolveProgram(program, env, request.cwd), argv)
      : { file: program, args: argv };
    return spawn(file, args, {
      cwd: request.cwd,
      env,
      detached: true,
      shell: false,
      stdio: ['pipe', 'pipe', 'pipe'],
      windowsHide: true,
    });
  }
}

/**
 * In a namespace, the program's parent is the namespace's init, which reports a death by signal
 * as exit 128+n (PID 1 cannot re-raise it on itself). When that is the signal we sent, say so.
 */
function reported(
  exit: { code: number | null; signal: NodeJS.Signals | null } | undefined,
  sent: NodeJS.Signals | undefined,
  contained: boolean,
): { exitCode: number | null; signal: string | null } {
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

function report(request: ExecutionRequest, stream: 'stdout' | 'stderr', bytes: number): void {
  if (!request.onOutput) return;
  try {
    request.onOutput(stream, bytes);
  } catch {
    // Progress is best effort: a failing listener must not crash the stream or lose the result.
  }
}

function notStarted(): ExecutionResult {
  return {
    exitCode: null,
    signal: null,
    stdout: '',
    stderr: '',
    stdoutTruncated: false,
    stderrTruncated: false,
    timedOut: false,
    cancelled: true,
    durationMs: 0,
  };
}
