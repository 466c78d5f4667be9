import { spawn, type ChildProcess } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { StringDecoder } from 'node:string_decoder';
import type { ExecutionRequest, ExecutionResult, Executor } from '../../application/ports/executor.js';

export interface NativeExecutorOptions {
  /** Time between SIGTERM and SIGKILL when a run times out or is cancelled. */
  readonly killGraceMs?: number;
  /** How long shutdown() waits for killed groups to exit. */
  readonly shutdownWaitMs?: number;
}

interface Running {
  readonly kill: (signal: NodeJS.Signals) => void;
  readonly markCancelled: () => void;
  readonly done: Promise<void>;
}

/** Keeps at most `limit` bytes of a stream and counts the rest, so a chatty child cannot exhaust memory. */
class CappedOutput {
  private readonly chunks: Buffer[] = [];
  private kept = 0;
  private dropped = 0;

  constructor(private readonly limit: number) {}

  push(chunk: Buffer): void {
    const room = this.limit - this.kept;
    if (room >= chunk.length) {
      this.chunks.push(chunk);
      this.kept += chunk.length;
      return;
    }
    if (room > 0) {
      this.chunks.push(chunk.subarray(0, room));
      this.kept += room;
    }
    this.dropped += chunk.length - Math.max(room, 0);
  }

  get truncated(): boolean {
    return this.dropped > 0;
  }

  text(): string {
    const bytes = Buffer.concat(this.chunks, this.kept);
    // write() without end() holds back a multibyte character cut at the cap instead of emitting U+FFFD.
    return this.truncated ? new StringDecoder('utf8').write(bytes) : bytes.toString('utf8');
  }
}

/**
 * Runs programs as child processes of this server. Each child leads its own process group
 * (`detached`), so timeouts, cancellation and shutdown signal the whole group and no grandchild
 * survives. The child's environment is exactly `request.env`: nothing is inherited.
 *
 * A program that cannot be started (ENOENT, EACCES…) rejects with the errno error, so callers can
 * tell "not found" from "ran and failed". Everything after a successful spawn resolves.
 */
export class NativeExecutor implements Executor {
  readonly backend = 'native';
  private readonly running = new Set<Running>();
  private readonly killGraceMs: number;
  private readonly shutdownWaitMs: number;
  private stopped = false;

  constructor(options: NativeExecutorOptions = {}) {
    this.killGraceMs = options.killGraceMs ?? 1000;
    this.shutdownWaitMs = options.shutdownWaitMs ?? 3000;
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
    const child = spawnChild(request);
    const stdout = new CappedOutput(request.maxOutputBytes);
    const stderr = new CappedOutput(request.maxOutputBytes);
    let timedOut = false;
    let cancelled = false;
    let escalation: NodeJS.Timeout | undefined;
    let finish: () => void = () => undefined;
    const done = new Promise<void>((resolveDone) => {
      finish = resolveDone;
    });

    const kill = (signal: NodeJS.Signals): void => killGroup(child, signal);
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

    const cleanup = (): void => {
      clearTimeout(timeout);
      clearTimeout(escalation);
      request.signal?.removeEventListener('abort', onAbort);
      this.running.delete(entry);
      finish();
    };

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

    // Background jobs the program left behind would hold our pipes open and outlive the run.
    child.once('exit', () => kill('SIGKILL'));
    child.once('error', (error) => {
      if (child.pid !== undefined) return;
      cleanup();
      reject(error);
    });
    child.once('close', (code, signal) => {
      if (child.pid === undefined) return;
      cleanup();
      resolve({
        exitCode: code,
        signal,
        stdout: stdout.text(),
        stderr: stderr.text(),
        stdoutTruncated: stdout.truncated,
        stderrTruncated: stderr.truncated,
        timedOut,
        cancelled: cancelled && !timedOut,
        durationMs: Math.round(performance.now() - started),
      });
    });
  }
}

function spawnChild(request: ExecutionRequest): ChildProcess {
  const [file, argv] = request.shell
    ? ['/bin/sh', ['-c', request.command, 'sh', ...request.args]]
    : [request.command, [...request.args]];
  return spawn(file, argv, {
    cwd: request.cwd,
    env: { ...(request.env ?? {}) },
    detached: true,
    shell: false,
    stdio: ['pipe', 'pipe', 'pipe'],
    windowsHide: true,
  });
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
